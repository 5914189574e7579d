'use client';

import { useCallback, useId, useMemo, useState, type ReactNode } from 'react';
import { Badge } from '@/components/badge';
import { Button } from '@/components/button';
import { inputClassName } from '@/components/form-field';
import {
  formatMinutes,
  getChangedFields,
  getServerFieldErrors,
  parsePolicyFields,
  parsePolicyPreview,
  parsePolicySettings,
  parseSavedPolicy,
  samePolicy,
  STEP_UP_ACTION_LABELS,
  STEP_UP_OPTIONAL_ACTIONS,
  toDraft,
  toggleRole,
  toggleStepUpAction,
  validateDraft,
  type DraftErrors,
  type PolicyDraft,
  type PolicyFields,
  type PolicyPreviewView,
  type PolicySettingsView,
  type StepUpOptionalAction,
  type TenantTapPolicyView,
} from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';
import { PolicyHistory } from '@/components/policy-history';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { StepUpRequiredError } from '@/lib/client/api-fetch';
import { READ_ONLY_DIRECTORY_ROLE_NAMES } from '@/lib/client/directory-roles';
import { useMe } from '@/lib/client/me-context';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { APP_ROLES } from '@/lib/client/navigation';
import { STEP_UP_NOTES } from '@/lib/client/pending-step-up';
import { usePortalApi, usePortalQuery, type PortalApiCall } from '@/lib/client/use-portal-api';
import { useResumeStepUp, useStepUp } from '@/lib/client/use-step-up';

/** "Policy": the broker policy, editable by admins, with the tenant's bounds, a preview and the history. */
export function PolicyConsole() {
  const me = useMe();
  if (me.status === 'loading') return <ListSkeleton label="Loading…" />;
  if (me.status === 'success' && !me.data.roles.includes(APP_ROLES.admin)) {
    return (
      <section aria-labelledby="policy-title" className="space-y-4">
        <SectionHeading id="policy-title" title="Policy" description="The rules the broker applies to every request." />
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Only admins change the broker policy. Ask your administrator for the TAP Broker Admin role if you need it.
        </p>
      </section>
    );
  }
  return <PolicyEditor />;
}

async function putPolicy(call: PortalApiCall, policy: PolicyFields): Promise<number> {
  return parseSavedPolicy(await call('/api/policy', { method: 'PUT', body: policy })).version;
}

/** A save interrupted by the second factor, being retried after it, or why that failed (with the draft). */
type ResumedSave = { phase: 'running' } | { phase: 'failed'; error: unknown; draft: PolicyFields | null };

function PolicyEditor() {
  const settings = usePortalQuery('/api/policy', parsePolicySettings);
  const [historyKey, setHistoryKey] = useState(0);
  const [saved, setSaved] = useState<number | null>(null);
  const stepUp = useStepUp();
  const [resumed, setResumed] = useState<ResumedSave | null>(null);
  const refreshSettings = settings.refresh;

  const onSaved = (version: number) => {
    setSaved(version);
    setHistoryKey((n) => n + 1);
    refreshSettings();
  };

  // Back from the second factor: the same draft is saved once more with the stepped-up token.
  useResumeStepUp(['policy'], (interrupted) => {
    let draft: PolicyFields;
    try {
      draft = parsePolicyFields(interrupted.policy);
    } catch (error) {
      setResumed({ phase: 'failed', error, draft: null });
      return;
    }
    setResumed({ phase: 'running' });
    stepUp.retry(interrupted, (call) => putPolicy(call, draft)).then(
      (version) => {
        setResumed(null);
        onSaved(version);
      },
      (error: unknown) => setResumed({ phase: 'failed', error, draft }),
    );
  });
  const restoredDraft = resumed?.phase === 'failed' ? resumed.draft : null;

  return (
    <section aria-labelledby="policy-title" className="space-y-6">
      <SectionHeading
        id="policy-title"
        title="Policy"
        description={
          settings.status === 'success'
            ? `Version ${settings.data.version} is in force. Saving creates a new version; the old ones stay in the history.`
            : 'The rules the broker applies to every request.'
        }
      />
      <div aria-live="polite">
        {saved !== null && (
          <p role="status" data-testid="policy-saved" className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
            Saved. Version {saved} is now in force.
          </p>
        )}
      </div>
      {resumed?.phase === 'running' && (
        <p role="status" className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
          Checking your second factor and saving the policy…
        </p>
      )}
      {resumed?.phase === 'failed' && <ProblemAlert error={resumed.error} />}
      {settings.status === 'loading' && <ListSkeleton label="Loading the policy…" />}
      {settings.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={settings.error} />
          <Button variant="secondary" onClick={settings.reload}>
            Try again
          </Button>
        </div>
      )}
      {settings.status === 'success' && (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
          <PolicyForm
            // A draft that failed its step-up comes back into a fresh form.
            key={`${settings.data.version}${restoredDraft === null ? '' : '-restored'}`}
            settings={settings.data}
            initialDraft={restoredDraft}
            onSaved={onSaved}
            onEdited={() => setSaved(null)}
          />
          <TenantPolicyCard tenant={settings.data.tenantTapPolicy} />
        </div>
      )}
      <PolicyHistory key={historyKey} />
    </section>
  );
}

function TenantPolicyCard({ tenant }: { tenant: TenantTapPolicyView }) {
  return (
    <aside
      aria-labelledby="tenant-policy-title"
      data-testid="tenant-policy"
      className="order-first h-fit rounded-lg border border-slate-200 bg-slate-50 p-4 text-sm lg:order-last"
    >
      <h3 id="tenant-policy-title" className="font-semibold text-slate-900">
        Tenant TAP policy
      </h3>
      <p className="mt-1 text-slate-600">Set in Entra ID. The broker policy must stay inside it.</p>
      <dl className="mt-3 space-y-2">
        <TenantRow label="State">
          <Badge tone={tenant.state === 'enabled' ? 'green' : 'red'}>{tenant.state === 'enabled' ? 'Enabled' : 'Disabled'}</Badge>
        </TenantRow>
        <TenantRow label="Lifetime">
          {formatMinutes(tenant.minimumLifetimeInMinutes)} – {formatMinutes(tenant.maximumLifetimeInMinutes)}
        </TenantRow>
        <TenantRow label="Default">{formatMinutes(tenant.defaultLifetimeInMinutes)}</TenantRow>
        <TenantRow label="One-time use">{tenant.isUsableOnce ? 'Required' : 'Optional'}</TenantRow>
      </dl>
    </aside>
  );
}

function TenantRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-3">
      <dt className="text-slate-600">{label}</dt>
      <dd className="text-right font-medium text-slate-900">{children}</dd>
    </div>
  );
}

function PolicyForm({
  settings,
  initialDraft,
  onSaved,
  onEdited,
}: {
  settings: PolicySettingsView;
  initialDraft: PolicyFields | null;
  onSaved: (version: number) => void;
  onEdited: () => void;
}) {
  const call = usePortalApi();
  const stepUp = useStepUp();
  const baseId = useId();
  const [draft, setDraft] = useState<PolicyDraft>(() => toDraft(initialDraft ?? settings));
  const [showErrors, setShowErrors] = useState(false);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<{ error: unknown; sent: PolicyFields } | null>(null);
  const { policy, errors } = useMemo(() => validateDraft(draft, settings.tenantTapPolicy), [draft, settings.tenantTapPolicy]);
  const unchanged = policy !== null && samePolicy(policy, settings);
  const shownErrors: DraftErrors = showErrors ? errors : {};
  // Problems the tenant's policy causes are worth showing while typing; format errors wait for a save.
  const liveErrors: DraftErrors = { ...shownErrors };
  for (const [field, message] of Object.entries(errors) as [keyof PolicyFields, string][]) {
    if (message.includes('tenant') || message.includes('exceed')) liveErrors[field] = message;
  }
  // The server's refusal of a save stands beside its field until the admin edits the form.
  const serverErrors = failure === null ? {} : getServerFieldErrors(failure.error, failure.sent);
  for (const [field, message] of Object.entries(serverErrors) as [keyof PolicyFields, string][]) {
    liveErrors[field] ??= message;
  }

  const update = <K extends keyof PolicyDraft>(key: K, value: PolicyDraft[K]) => {
    setDraft((previous) => ({ ...previous, [key]: value }));
    setFailure(null);
    onEdited();
  };

  const save = async () => {
    setShowErrors(true);
    if (policy === null) {
      const first = Object.keys(errors)[0];
      if (first !== undefined) document.getElementById(`${baseId}-${first}`)?.focus();
      return;
    }
    setSaving(true);
    setFailure(null);
    try {
      let version: number;
      try {
        version = await putPolicy(call, policy);
      } catch (error) {
        if (error instanceof StepUpRequiredError) await stepUp.begin({ kind: 'policy', policy: { ...policy } }, error);
        throw error;
      }
      onSaved(version);
    } catch (error) {
      // Leaving for the second factor: the draft is saved when the admin is back.
      if (error instanceof InteractionRedirectingError) return;
      setFailure({ error, sent: policy });
      setSaving(false);
      const first = Object.keys(getServerFieldErrors(error, policy))[0];
      if (first !== undefined) document.getElementById(`${baseId}-${first}`)?.focus();
    }
  };

  const fieldId = (field: keyof PolicyFields) => `${baseId}-${field}`;
  const describedBy = (field: keyof PolicyFields) =>
    `${fieldId(field)}-hint${liveErrors[field] !== undefined ? ` ${fieldId(field)}-error` : ''}`;
  const tenant = settings.tenantTapPolicy;
  const lifetimeHint = `Minutes; the tenant allows ${tenant.minimumLifetimeInMinutes} to ${tenant.maximumLifetimeInMinutes}.`;

  return (
    <form
      noValidate
      aria-labelledby={`${baseId}-title`}
      data-testid="policy-form"
      className="space-y-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-6"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <h3 id={`${baseId}-title`} className="text-lg font-semibold text-slate-900">
        Edit the policy
      </h3>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-900">Reporting depth</legend>
        <p id={`${fieldId('maxDepth')}-hint`} className="text-sm text-slate-600">
          How far below themselves a manager may request passes. 1 means direct reports only.
        </p>
        <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
          <label className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
            <input
              type="checkbox"
              checked={draft.unlimitedDepth}
              onChange={(event) => update('unlimitedDepth', event.target.checked)}
              className="size-4 accent-blue-700"
            />
            Unlimited
          </label>
          <label htmlFor={fieldId('maxDepth')} className="inline-flex items-center gap-2 text-sm text-slate-900">
            Levels
            <input
              id={fieldId('maxDepth')}
              inputMode="numeric"
              value={draft.maxDepth}
              disabled={draft.unlimitedDepth}
              onChange={(event) => update('maxDepth', event.target.value)}
              aria-invalid={liveErrors.maxDepth !== undefined}
              aria-describedby={describedBy('maxDepth')}
              className={`${inputClassName} w-20 disabled:bg-slate-100 disabled:text-slate-500`}
            />
          </label>
        </div>
        <FieldError id={fieldId('maxDepth')} error={liveErrors.maxDepth} />
      </fieldset>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-900">Approval</legend>
        <p className="text-sm text-slate-600">When a request waits for an approver before the pass can be issued.</p>
        <div className="grid gap-2 sm:grid-cols-3">
          {(
            [
              ['always', 'Always', 'Every request'],
              ['indirect-only', 'Indirect reports', 'Not for direct reports'],
              ['never', 'Never', 'Approved automatically'],
            ] as const
          ).map(([value, label, hint]) => (
            <label
              key={value}
              className="flex cursor-pointer items-start gap-2 rounded-md border border-slate-300 p-3 text-sm has-[:checked]:border-blue-700 has-[:checked]:bg-blue-50"
            >
              <input
                type="radio"
                name={`${baseId}-requireApproval`}
                value={value}
                checked={draft.requireApproval === value}
                onChange={() => update('requireApproval', value)}
                className="mt-0.5 size-4 accent-blue-700"
              />
              <span>
                <span className="block font-medium text-slate-900">{label}</span>
                <span className="block text-slate-600">{hint}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      <div className="grid gap-4 sm:grid-cols-2">
        <NumberField
          id={fieldId('defaultLifetimeInMinutes')}
          label="Default lifetime"
          hint={lifetimeHint}
          value={draft.defaultLifetimeInMinutes}
          error={liveErrors.defaultLifetimeInMinutes}
          onChange={(value) => update('defaultLifetimeInMinutes', value)}
        />
        <NumberField
          id={fieldId('maxLifetimeInMinutes')}
          label="Maximum lifetime"
          hint={lifetimeHint}
          value={draft.maxLifetimeInMinutes}
          error={liveErrors.maxLifetimeInMinutes}
          onChange={(value) => update('maxLifetimeInMinutes', value)}
        />
        <NumberField
          id={fieldId('approvalValidityMinutes')}
          label="Approval valid for"
          hint="Minutes an approval stays usable for getting the pass."
          value={draft.approvalValidityMinutes}
          error={liveErrors.approvalValidityMinutes}
          onChange={(value) => update('approvalValidityMinutes', value)}
        />
        <NumberField
          id={fieldId('maxIssuancesPerManagerPerDay')}
          label="Passes per manager per day"
          hint="Rolling 24 hours; 0 stops issuance."
          value={draft.maxIssuancesPerManagerPerDay}
          error={liveErrors.maxIssuancesPerManagerPerDay}
          onChange={(value) => update('maxIssuancesPerManagerPerDay', value)}
        />
      </div>

      <div>
        <label className="inline-flex min-h-10 items-center gap-2 text-sm font-medium text-slate-900">
          <input
            id={fieldId('isUsableOnce')}
            type="checkbox"
            checked={draft.isUsableOnce}
            onChange={(event) => update('isUsableOnce', event.target.checked)}
            aria-invalid={liveErrors.isUsableOnce !== undefined}
            aria-describedby={describedBy('isUsableOnce')}
            className="size-4 accent-blue-700"
          />
          One-time passes
        </label>
        <p id={`${fieldId('isUsableOnce')}-hint`} className="text-sm text-slate-600">
          A one-time pass signs in once; otherwise it works until it expires.
          {tenant.isUsableOnce ? ' The tenant requires it.' : ''}
        </p>
        <FieldError id={fieldId('isUsableOnce')} error={liveErrors.isUsableOnce} />
      </div>

      <EligibilityFields
        fieldId={fieldId}
        describedBy={describedBy}
        draft={draft}
        saved={settings}
        errors={liveErrors}
        onRolesChange={(ids) => update('allowedDirectoryRoleTemplateIds', ids)}
        onGroupsChange={(text) => update('protectedGroupIds', text)}
      />

      <StepUpFields
        fieldId={fieldId}
        describedBy={describedBy}
        draft={draft}
        errors={liveErrors}
        onContextChange={(text) => update('stepUpAuthContextId', text)}
        onActionsChange={(actions) => update('stepUpActions', actions)}
      />

      <PolicyPreviewPanel draft={policy} current={settings} unchanged={unchanged} />
      {settings.stepUpAuthContextId !== null && settings.stepUpActions.includes('policy') && (
        <p className="rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950" data-testid="step-up-note">
          {STEP_UP_NOTES.policy}
        </p>
      )}

      {failure !== null && <ProblemAlert error={failure.error} />}
      <div className="flex flex-col gap-2 border-t border-slate-100 pt-4 sm:flex-row sm:items-center sm:justify-end">
        {unchanged && <p className="text-sm text-slate-600 sm:mr-auto">No changes yet.</p>}
        <Button variant="secondary" onClick={() => setDraft(toDraft(settings))} disabled={saving || unchanged}>
          Discard changes
        </Button>
        <Button type="submit" disabled={saving || unchanged} data-testid="policy-save">
          {saving ? 'Saving…' : `Save as version ${settings.version + 1}`}
        </Button>
      </div>
    </form>
  );
}

/**
 * Who stays eligible despite what their account holds: the read-only roles an admin may allow (a
 * checkbox each, by name) and the groups whose members never get a pass.
 */
function EligibilityFields({
  fieldId,
  describedBy,
  draft,
  saved,
  errors,
  onRolesChange,
  onGroupsChange,
}: {
  fieldId: (field: keyof PolicyFields) => string;
  describedBy: (field: keyof PolicyFields) => string;
  draft: PolicyDraft;
  saved: PolicyFields;
  errors: DraftErrors;
  onRolesChange: (ids: string[]) => void;
  onGroupsChange: (text: string) => void;
}) {
  const rolesId = fieldId('allowedDirectoryRoleTemplateIds');
  const groupsId = fieldId('protectedGroupIds');
  const ticked = new Set(draft.allowedDirectoryRoleTemplateIds.map((id) => id.toLowerCase()));
  // An id the server holds but this table does not name stays visible, so saving never drops it unseen.
  const unknown = [...new Set([...saved.allowedDirectoryRoleTemplateIds, ...draft.allowedDirectoryRoleTemplateIds].map((id) => id.toLowerCase()))].filter(
    (id) => !READ_ONLY_DIRECTORY_ROLE_NAMES.has(id),
  );
  const roles: [string, string][] = [...READ_ONLY_DIRECTORY_ROLE_NAMES.entries(), ...unknown.map((id): [string, string] => [id, `Other role ${id}`])];

  return (
    <div className="space-y-6 border-t border-slate-100 pt-6">
      <fieldset className="space-y-2" aria-describedby={describedBy('allowedDirectoryRoleTemplateIds')}>
        <legend className="text-sm font-medium text-slate-900">Directory roles that stay eligible</legend>
        <div id={`${rolesId}-hint`} className="space-y-1 text-sm text-slate-600">
          <p>Someone holding only the roles ticked here can still get a pass; any other directory role makes them ineligible.</p>
          <p data-testid="policy-credential-roles-note">
            Roles that can act on other people’s credentials (Authentication, Password, Helpdesk Administrator…) can never be allowed.
          </p>
        </div>
        <div className="grid gap-x-6 gap-y-1 sm:grid-cols-2" data-testid="policy-allowed-roles">
          {roles.map(([id, name], index) => (
            <label key={id} className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
              <input
                id={index === 0 ? rolesId : undefined}
                type="checkbox"
                value={id}
                checked={ticked.has(id)}
                onChange={(event) => onRolesChange(toggleRole(draft.allowedDirectoryRoleTemplateIds, id, event.target.checked))}
                className="size-4 shrink-0 accent-blue-700"
              />
              <span className="min-w-0 break-words">{name}</span>
            </label>
          ))}
        </div>
        <FieldError id={rolesId} error={errors.allowedDirectoryRoleTemplateIds} />
      </fieldset>

      <div className="space-y-1.5 text-sm">
        <label htmlFor={groupsId} className="block font-medium text-slate-900">
          Protected groups
        </label>
        <p id={`${groupsId}-hint`} className="text-slate-600">
          Members of these groups never get a pass from this portal, whatever their roles: for example break-glass accounts and
          executives. Enter each group’s object id (on its overview page in Entra), one per line.
        </p>
        <textarea
          id={groupsId}
          rows={3}
          value={draft.protectedGroupIds}
          onChange={(event) => onGroupsChange(event.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="00000000-0000-0000-0000-000000000000"
          aria-invalid={errors.protectedGroupIds !== undefined}
          aria-describedby={describedBy('protectedGroupIds')}
          className={`${inputClassName} h-auto min-h-20 w-full py-2 font-mono`}
        />
        <FieldError id={groupsId} error={errors.protectedGroupIds} />
      </div>
    </div>
  );
}

/**
 * Step-up: the Conditional Access authentication context a second-factor sign-in proves (empty =
 * off), and which actions besides issuing a pass ask for it.
 */
function StepUpFields({
  fieldId,
  describedBy,
  draft,
  errors,
  onContextChange,
  onActionsChange,
}: {
  fieldId: (field: keyof PolicyFields) => string;
  describedBy: (field: keyof PolicyFields) => string;
  draft: PolicyDraft;
  errors: DraftErrors;
  onContextChange: (text: string) => void;
  onActionsChange: (actions: StepUpOptionalAction[]) => void;
}) {
  const contextId = fieldId('stepUpAuthContextId');
  const actionsId = fieldId('stepUpActions');
  return (
    <div className="space-y-4 border-t border-slate-100 pt-6" data-testid="policy-step-up">
      <div className="space-y-1.5 text-sm">
        <label htmlFor={contextId} className="block font-medium text-slate-900">
          Step-up authentication context
        </label>
        <div id={`${contextId}-hint`} className="space-y-1 text-slate-600">
          <p>
            The Conditional Access authentication context (c1 to c99) that asks for a second factor right before a pass is
            shown. Create it and the Conditional Access policy that protects it in Entra first. Leave empty to turn step-up off.
          </p>
          <p className="font-medium text-slate-800">Strongly recommended in production: without it, anyone holding a manager’s open session can get passes.</p>
        </div>
        <input
          id={contextId}
          value={draft.stepUpAuthContextId}
          onChange={(event) => onContextChange(event.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="Off"
          aria-invalid={errors.stepUpAuthContextId !== undefined}
          aria-describedby={describedBy('stepUpAuthContextId')}
          className={`${inputClassName} w-32 font-mono`}
        />
        <FieldError id={contextId} error={errors.stepUpAuthContextId} />
      </div>

      <fieldset className="space-y-2" aria-describedby={`${actionsId}-hint`}>
        <legend className="text-sm font-medium text-slate-900">Also ask for it before</legend>
        <p id={`${actionsId}-hint`} className="text-sm text-slate-600">
          Issuing a pass always needs it when a context is set.
        </p>
        <div className="flex flex-wrap gap-x-6 gap-y-1">
          {STEP_UP_OPTIONAL_ACTIONS.map((action, index) => (
            <label key={action} className="inline-flex min-h-10 items-center gap-2 text-sm text-slate-900">
              <input
                id={index === 0 ? actionsId : undefined}
                type="checkbox"
                value={action}
                checked={draft.stepUpActions.includes(action)}
                onChange={(event) => onActionsChange(toggleStepUpAction(draft.stepUpActions, action, event.target.checked))}
                className="size-4 shrink-0 accent-blue-700"
              />
              {STEP_UP_ACTION_LABELS[action]}
            </label>
          ))}
        </div>
        <FieldError id={actionsId} error={errors.stepUpActions} />
      </fieldset>
    </div>
  );
}

function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (error === undefined) return null;
  return (
    <p id={`${id}-error`} className="text-sm font-medium text-red-700">
      {error}
    </p>
  );
}

function NumberField({
  id,
  label,
  hint,
  value,
  error,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <div className="text-sm">
      <label htmlFor={id} className="block font-medium text-slate-900">
        {label}
      </label>
      <p id={`${id}-hint`} className="mb-1.5 text-slate-600">
        {hint}
      </p>
      <input
        id={id}
        inputMode="numeric"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={`${id}-hint${error !== undefined ? ` ${id}-error` : ''}`}
        className={`${inputClassName} w-full`}
      />
      <FieldError id={id} error={error} />
    </div>
  );
}

/** The draft's effect on the admin's own org, asked for explicitly (it walks the whole org chart). */
function PolicyPreviewPanel({
  draft,
  current,
  unchanged,
}: {
  draft: PolicyFields | null;
  current: PolicySettingsView;
  unchanged: boolean;
}) {
  const call = usePortalApi();
  const [state, setState] = useState<
    { status: 'idle' } | { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'success'; data: PolicyPreviewView; for: string }
  >({ status: 'idle' });
  const draftKey = draft === null ? null : JSON.stringify(draft);
  const stale = state.status === 'success' && state.for !== draftKey;
  const changes = draft === null ? [] : getChangedFields(current, draft);

  const preview = useCallback(async () => {
    if (draft === null || draftKey === null) return;
    setState({ status: 'loading' });
    try {
      const body = await call('/api/policy/preview', { method: 'POST', body: draft });
      setState({ status: 'success', data: parsePolicyPreview(body), for: draftKey });
    } catch (error) {
      setState({ status: 'error', error });
    }
  }, [call, draft, draftKey]);

  return (
    <div className="space-y-3 rounded-md border border-slate-200 bg-slate-50 p-4" data-testid="policy-preview">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
        <div>
          <h4 className="text-sm font-semibold text-slate-900">Effect on your org</h4>
          <p className="text-sm text-slate-600">Counts the people under you now; nothing is saved.</p>
        </div>
        <Button variant="secondary" onClick={() => void preview()} disabled={draft === null || state.status === 'loading'}>
          {state.status === 'loading' ? 'Counting…' : stale || state.status === 'success' ? 'Preview again' : 'Preview the effect'}
        </Button>
      </div>
      {changes.length > 0 && draft !== null && (
        <div className="text-sm" data-testid="policy-draft-changes">
          <p className="font-medium text-slate-900">Your changes to version {current.version}</p>
          <PolicyChangeList fields={changes} before={current} after={draft} label="Changes in the draft" />
        </div>
      )}
      <div aria-live="polite" aria-busy={state.status === 'loading'}>
        {state.status === 'error' && <ProblemAlert error={state.error} />}
        {state.status === 'success' && draft !== null && <PreviewSummary preview={state.data} stale={stale} unchanged={unchanged && !stale} />}
      </div>
    </div>
  );
}

function PreviewSummary({ preview, stale, unchanged }: { preview: PolicyPreviewView; stale: boolean; unchanged: boolean }) {
  const total = preview.totalReportees;
  const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;
  const headline =
    total === 0
      ? 'Nobody reports to you in the org chart, so there is no one to count here.'
      : preview.loseEligibility > 0
      ? `${preview.loseEligibility} of the ${people(total)} under you lose eligibility.`
      : preview.gainEligibility > 0
        ? `${preview.gainEligibility} of the ${people(total)} under you become eligible.`
        : `No change in who is eligible among the ${people(total)} under you.`;
  return (
    <div className={`space-y-3 ${stale ? 'opacity-60' : ''}`}>
      <p className="text-sm font-medium text-slate-900" data-testid="policy-preview-summary">
        {unchanged && total > 0 ? `The current policy: ${preview.current.eligible} of the ${people(total)} under you are eligible.` : headline}
      </p>
      {stale && <p className="text-sm text-amber-900">The draft changed since this preview.</p>}
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Current policy and draft compared</caption>
        <thead>
          <tr className="text-xs uppercase tracking-wide text-slate-500">
            <th scope="col" className="py-1 font-medium">
              People under you
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Now (v{preview.currentVersion})
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Draft
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 tabular-nums">
          {(
            [
              ['Within reach', 'inReach'],
              ['Eligible', 'eligible'],
              ['Would need approval', 'needApproval'],
            ] as const
          ).map(([label, key]) => (
            <tr key={key}>
              <th scope="row" className="py-1.5 font-normal text-slate-700">
                {label}
              </th>
              <td className="py-1.5 text-right text-slate-900">{preview.current[key]}</td>
              <td className="py-1.5 text-right font-semibold text-slate-900">{preview.draft[key]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview.tenantViolations.length > 0 && (
        <ul className="list-inside list-disc text-sm text-red-800">
          {preview.tenantViolations.map((v) => (
            <li key={`${v.path}-${v.message}`}>
              {v.path}: {v.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
