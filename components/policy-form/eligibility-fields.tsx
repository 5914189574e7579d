// The policy form's eligibility section: which read-only directory roles stay eligible, and the
// groups whose members never get a pass.
'use client';

import { inputClassName } from '@/components/form-field';
import { toggleRole, type PolicyFields } from '@/components/policy-api';
import { FieldError, type PolicySectionProps } from '@/components/policy-form/policy-field-parts';
import { READ_ONLY_DIRECTORY_ROLE_NAMES } from '@/lib/client/directory-roles';

/**
 * Who stays eligible despite what their account holds: the read-only roles an admin may allow (a
 * checkbox each, by name) and the groups whose members never get a pass.
 */
export function EligibilityFields({ draft, errors, fieldId, describedBy, update, saved }: PolicySectionProps & { saved: PolicyFields }) {
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
                onChange={(event) =>
                  update('allowedDirectoryRoleTemplateIds', toggleRole(draft.allowedDirectoryRoleTemplateIds, id, event.target.checked))
                }
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
          onChange={(event) => update('protectedGroupIds', event.target.value)}
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
