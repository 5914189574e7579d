import { describe, expect, it } from 'vitest';
import { brokerPolicyInputSchema } from '@/lib/broker/policy';
import {
  formatPolicyValue,
  getChangedFields,
  getListChange,
  getServerFieldErrors,
  parseGroupIds,
  parsePolicySettings,
  parsePolicyVersions,
  samePolicy,
  toDraft,
  toggleRole,
  toggleStepUpAction,
  validateDraft,
  type PolicyFields,
} from '@/components/policy-api';
import { ApiError } from '@/lib/client/api-fetch';

const DIRECTORY_READERS = '88d8e3e3-8f55-4a1e-953a-9b9898b8876b';
const REPORTS_READER = '4a5d8f65-41da-4de4-8968-e035b65339cf';
const AUTH_ADMIN = 'c4e39bd9-1100-46d3-8c65-fb160da0071f';
const GROUP_A = '11111111-2222-4333-8444-555555555555';
const GROUP_B = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

const POLICY: PolicyFields = {
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 1440,
  maxIssuancesPerManagerPerDay: 20,
  maxPendingRequestsPerRequester: 10,
  allowedDirectoryRoleTemplateIds: [DIRECTORY_READERS, REPORTS_READER],
  protectedGroupIds: [],
  stepUpAuthContextId: null,
  stepUpActions: [],
};

const TENANT = { state: 'enabled', minimumLifetimeInMinutes: 10, maximumLifetimeInMinutes: 480, defaultLifetimeInMinutes: 60, isUsableOnce: false };

describe('parsing the policy', () => {
  it('reads the policy, its version and the tenant policy beside it', () => {
    const parsed = parsePolicySettings({ ...POLICY, protectedGroupIds: [GROUP_B], version: 4, tenantTapPolicy: TENANT });
    expect(parsed.allowedDirectoryRoleTemplateIds).toEqual([DIRECTORY_READERS, REPORTS_READER]);
    expect(parsed.protectedGroupIds).toEqual([GROUP_B]);
    expect(parsed.version).toBe(4);
    expect(parsed.tenantTapPolicy.defaultLifetimeInMinutes).toBe(60);
  });

  it('fails loudly, naming the field, when a list or the tenant policy is missing or holds something else', () => {
    const { protectedGroupIds: _omitted, ...withoutGroups } = POLICY;
    expect(() => parsePolicySettings({ ...withoutGroups, version: 1, tenantTapPolicy: TENANT })).toThrow(
      /^Unexpected policy from the portal API: "protectedGroupIds"/,
    );
    expect(() => parsePolicySettings({ ...POLICY, allowedDirectoryRoleTemplateIds: [1], version: 1, tenantTapPolicy: TENANT })).toThrow(
      '"allowedDirectoryRoleTemplateIds.0"',
    );
    expect(() => parsePolicySettings({ ...POLICY, version: 1, tenantTapPolicy: null })).toThrow('"tenantTapPolicy"');
  });

  it('keeps the list fields among the changed fields of a version, and refuses a field the contract does not know', () => {
    const version = {
      version: 3,
      policy: { ...POLICY, version: 3 },
      createdAt: '2026-11-30T10:00:00.000Z',
      createdBy: 'system',
      createdByDisplayName: null,
      changedFields: ['protectedGroupIds', 'allowedDirectoryRoleTemplateIds'],
      auditSeq: 7,
      auditEventId: null,
      changeReason: null,
      restoredFromVersion: null,
    };
    const [entry] = parsePolicyVersions({ versions: [version] });
    expect(entry?.changedFields).toEqual(['protectedGroupIds', 'allowedDirectoryRoleTemplateIds']);
    expect(() => parsePolicyVersions({ versions: [{ ...version, changedFields: ['somethingNew'] }] })).toThrow(
      /^Unexpected policy history from the portal API: "versions\.0\.changedFields\.0"/,
    );
  });
});

describe('showing list changes', () => {
  it('lists what was added and removed, whatever the order or case', () => {
    expect(getListChange([DIRECTORY_READERS, REPORTS_READER], [REPORTS_READER.toUpperCase(), GROUP_A])).toEqual({
      added: [GROUP_A],
      removed: [DIRECTORY_READERS],
    });
  });

  it('names roles and shows group ids', () => {
    expect(formatPolicyValue('allowedDirectoryRoleTemplateIds', POLICY)).toBe('Directory Readers, Reports Reader');
    expect(formatPolicyValue('protectedGroupIds', POLICY)).toBe('none');
    expect(formatPolicyValue('protectedGroupIds', { ...POLICY, protectedGroupIds: [GROUP_A, GROUP_B] })).toBe(`${GROUP_A}, ${GROUP_B}`);
  });

  it('compares lists as sets: reordering is no change, a new entry is', () => {
    const reordered = { ...POLICY, allowedDirectoryRoleTemplateIds: [REPORTS_READER, DIRECTORY_READERS] };
    expect(samePolicy(POLICY, reordered)).toBe(true);
    const grown = { ...POLICY, protectedGroupIds: [GROUP_A] };
    expect(samePolicy(POLICY, grown)).toBe(false);
    expect(getChangedFields(POLICY, { ...grown, maxDepth: 2 })).toEqual(['maxDepth', 'protectedGroupIds']);
  });
});

describe('editing the lists', () => {
  it('ticks and unticks a role without listing it twice', () => {
    expect(toggleRole([DIRECTORY_READERS], REPORTS_READER, true)).toEqual([DIRECTORY_READERS, REPORTS_READER]);
    expect(toggleRole([DIRECTORY_READERS], DIRECTORY_READERS.toUpperCase(), true)).toEqual([DIRECTORY_READERS]);
    expect(toggleRole([DIRECTORY_READERS, REPORTS_READER], DIRECTORY_READERS, false)).toEqual([REPORTS_READER]);
  });

  it('reads group ids one per line (or pasted with other separators), lower-cased and without repeats', () => {
    expect(parseGroupIds('')).toEqual({ ids: [], error: null });
    expect(parseGroupIds(`  ${GROUP_A.toUpperCase()}\n\n${GROUP_B}, ${GROUP_A};\n`)).toEqual({ ids: [GROUP_A, GROUP_B], error: null });
  });

  it('refuses what is not an object id, naming it', () => {
    const result = parseGroupIds(`${GROUP_A}\nBreak-glass admins\n1234`);
    expect(result.ids).toEqual([]);
    expect(result.error).toBe('“Break-glass” (and 2 more) is not a group object id. Enter ids like 00000000-0000-0000-0000-000000000000, one per line.');
    expect(parseGroupIds(`{${GROUP_A}}`).error).toContain(`“{${GROUP_A}}”`);
  });

  it('refuses more groups than the server keeps', () => {
    const ids = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(parseGroupIds(ids.join('\n')).error).toBe('Enter at most 100 groups.');
    expect(parseGroupIds(ids.slice(0, 100).join('\n')).ids).toHaveLength(100);
  });

  it('turns a draft into a policy the server accepts, lists included', () => {
    const draft = { ...toDraft(POLICY), protectedGroupIds: `${GROUP_A}\n${GROUP_B.toUpperCase()}` };
    const { policy, errors } = validateDraft(draft, null);
    expect(errors).toEqual({});
    expect(policy?.protectedGroupIds).toEqual([GROUP_A, GROUP_B]);
    expect(policy?.allowedDirectoryRoleTemplateIds).toEqual([DIRECTORY_READERS, REPORTS_READER]);
    const server = brokerPolicyInputSchema.safeParse(policy);
    expect(server.success).toBe(true);
    expect(server.data?.protectedGroupIds).toEqual(policy?.protectedGroupIds);
  });

  it('holds the draft back while a group id is wrong', () => {
    const { policy, errors } = validateDraft({ ...toDraft(POLICY), protectedGroupIds: 'executives' }, null);
    expect(policy).toBeNull();
    expect(errors.protectedGroupIds).toContain('“executives” is not a group object id');
  });

  it('round-trips a policy through the form unchanged', () => {
    const policy = { ...POLICY, protectedGroupIds: [GROUP_A] };
    const { policy: back } = validateDraft(toDraft(policy), null);
    expect(back).not.toBeNull();
    expect(samePolicy(back!, policy)).toBe(true);
  });
});

describe('the cap on requests waiting for approval', () => {
  it('takes 1 to 100, refuses anything else beside the field, and the server agrees', () => {
    for (const typed of ['1', ' 100 ']) {
      const { policy, errors } = validateDraft({ ...toDraft(POLICY), maxPendingRequestsPerRequester: typed }, null);
      expect(errors, typed).toEqual({});
      expect(brokerPolicyInputSchema.parse(policy).maxPendingRequestsPerRequester).toBe(Number(typed));
    }
    for (const [typed, message] of [
      ['0', 'Enter a number from 1 to 100.'],
      ['101', 'Enter a number from 1 to 100.'],
      ['2.5', 'Enter a whole number.'],
      ['', 'Enter a whole number.'],
    ] as const) {
      const { policy, errors } = validateDraft({ ...toDraft(POLICY), maxPendingRequestsPerRequester: typed }, null);
      expect(policy, typed).toBeNull();
      expect(errors).toEqual({ maxPendingRequestsPerRequester: message });
      expect(brokerPolicyInputSchema.safeParse({ ...POLICY, maxPendingRequestsPerRequester: Number(typed) }).success, typed).toBe(false);
    }
  });

  it('is a change of its own, said as a number', () => {
    const after = { ...POLICY, maxPendingRequestsPerRequester: 3 };
    expect(getChangedFields(POLICY, after)).toEqual(['maxPendingRequestsPerRequester']);
    expect(formatPolicyValue('maxPendingRequestsPerRequester', after)).toBe('3');
    expect(validateDraft(toDraft(after), null).policy).toEqual(after);
  });
});

describe('step-up in the policy', () => {
  it('reads the context and the actions, and refuses an action or a context the contract does not know', () => {
    const parsed = parsePolicySettings({ ...POLICY, stepUpAuthContextId: 'c7', stepUpActions: ['approve', 'policy'], version: 2, tenantTapPolicy: TENANT });
    expect(parsed.stepUpAuthContextId).toBe('c7');
    expect(parsed.stepUpActions).toEqual(['approve', 'policy']);
    // "issue" is implied by a context, never listed.
    expect(() => parsePolicySettings({ ...POLICY, stepUpActions: ['issue'], version: 2, tenantTapPolicy: TENANT })).toThrow('"stepUpActions.0"');
    expect(() => parsePolicySettings({ ...POLICY, stepUpAuthContextId: 'c100', version: 1, tenantTapPolicy: TENANT })).toThrow('"stepUpAuthContextId"');
  });

  it('turns an empty field into "off" and a context id into one the server accepts', () => {
    const off = validateDraft({ ...toDraft(POLICY), stepUpAuthContextId: '  ' }, null);
    expect(off.policy?.stepUpAuthContextId).toBeNull();
    const on = validateDraft({ ...toDraft(POLICY), stepUpAuthContextId: ' C12 ', stepUpActions: ['approve'] }, null);
    expect(on.errors).toEqual({});
    expect(on.policy).toMatchObject({ stepUpAuthContextId: 'c12', stepUpActions: ['approve'] });
    const server = brokerPolicyInputSchema.safeParse(on.policy);
    expect(server.success).toBe(true);
    expect(server.data).toMatchObject({ stepUpAuthContextId: 'c12', stepUpActions: ['approve'] });
  });

  it('refuses what is not c1 to c99, beside the field', () => {
    for (const typed of ['c0', 'c100', 'c01', 'context1', '1']) {
      const { policy, errors } = validateDraft({ ...toDraft(POLICY), stepUpAuthContextId: typed }, null);
      expect(policy, typed).toBeNull();
      expect(errors.stepUpAuthContextId).toBe('Enter an authentication context id from c1 to c99, or leave it empty to turn step-up off.');
    }
  });

  it('ticks actions in a fixed order and compares them as a set', () => {
    expect(toggleStepUpAction(['policy'], 'approve', true)).toEqual(['approve', 'policy']);
    expect(toggleStepUpAction(['approve', 'policy'], 'approve', false)).toEqual(['policy']);
    expect(samePolicy({ ...POLICY, stepUpActions: ['approve', 'policy'] }, { ...POLICY, stepUpActions: ['policy', 'approve'] })).toBe(true);
    expect(getChangedFields(POLICY, { ...POLICY, stepUpAuthContextId: 'c1', stepUpActions: ['approve'] })).toEqual([
      'stepUpAuthContextId',
      'stepUpActions',
    ]);
  });

  it('says it in words for the history', () => {
    expect(formatPolicyValue('stepUpAuthContextId', POLICY)).toBe('off');
    expect(formatPolicyValue('stepUpAuthContextId', { ...POLICY, stepUpAuthContextId: 'c1' })).toBe('c1');
    expect(formatPolicyValue('stepUpActions', POLICY)).toBe('nothing else');
    expect(formatPolicyValue('stepUpActions', { ...POLICY, stepUpActions: ['approve', 'policy'] })).toBe('approve and deny, policy changes');
  });
});

describe('the server refusing a save', () => {
  const sent: PolicyFields = { ...POLICY, allowedDirectoryRoleTemplateIds: [DIRECTORY_READERS, AUTH_ADMIN, '00000000-0000-4000-8000-000000000009'] };
  // What `PUT /api/policy` answers for that body (the server's own messages).
  const server = brokerPolicyInputSchema.safeParse(sent);
  const issues = server.success ? [] : server.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const refusal = new ApiError({ status: 400, title: 'The policy is not valid.', detail: null, code: 'validation-failed', issues });

  it('puts the credential-role refusal beside the roles, in the server’s words', () => {
    expect(server.success).toBe(false);
    const errors = getServerFieldErrors(refusal, sent);
    expect(Object.keys(errors)).toEqual(['allowedDirectoryRoleTemplateIds']);
    expect(errors.allowedDirectoryRoleTemplateIds).toContain(
      "Authentication Administrator can act on other people's sign-in methods or passwords",
    );
    // A role the server does not name gets its id as the subject of the sentence.
    expect(errors.allowedDirectoryRoleTemplateIds).toContain('Role 00000000-0000-4000-8000-000000000009 is not one of the read-only directory roles');
  });

  it('maps plain fields and ignores other errors', () => {
    const tenant = new ApiError({
      status: 400,
      title: 'Not valid',
      detail: null,
      code: 'validation-failed',
      issues: [
        { path: 'maxLifetimeInMinutes', message: "must be within the tenant's TAP policy range of 60–480 minutes" },
        { path: '', message: 'body is not JSON' },
      ],
    });
    expect(getServerFieldErrors(tenant, POLICY)).toEqual({ maxLifetimeInMinutes: "Must be within the tenant's TAP policy range of 60–480 minutes." });
    expect(getServerFieldErrors(new ApiError({ status: 503, title: 'x', detail: null, code: 'upstream-unavailable' }), POLICY)).toEqual({});
    expect(getServerFieldErrors(new Error('offline'), POLICY)).toEqual({});
  });
});

describe('durations', () => {
  it('shows whole hours as hours and anything else as minutes, and reads either back as minutes', () => {
    const draft = toDraft({ ...POLICY, defaultLifetimeInMinutes: 90, maxLifetimeInMinutes: 480, approvalValidityMinutes: 1440 });
    expect(draft.defaultLifetimeInMinutes).toEqual({ amount: '90', unit: 'minutes' });
    expect(draft.maxLifetimeInMinutes).toEqual({ amount: '8', unit: 'hours' });
    expect(draft.approvalValidityMinutes).toEqual({ amount: '24', unit: 'hours' });
    const { policy } = validateDraft({ ...draft, defaultLifetimeInMinutes: { amount: '2', unit: 'hours' } }, null);
    expect(policy).toMatchObject({ defaultLifetimeInMinutes: 120, maxLifetimeInMinutes: 480, approvalValidityMinutes: 1440 });
  });

  it('says the bounds in the same units', () => {
    const { policy, errors } = validateDraft({ ...toDraft(POLICY), maxLifetimeInMinutes: { amount: '9', unit: 'hours' } }, { ...TENANT, state: 'enabled' as const });
    expect(policy).toBeNull();
    expect(errors.maxLifetimeInMinutes).toBe("The tenant's TAP policy allows 10 minutes to 8 hours.");
    expect(validateDraft({ ...toDraft(POLICY), defaultLifetimeInMinutes: { amount: '1.5', unit: 'hours' } }, null).errors.defaultLifetimeInMinutes).toBe('Enter a whole number.');
    expect(formatPolicyValue('approvalValidityMinutes', { ...POLICY, approvalValidityMinutes: 90 })).toBe('1 h 30 min');
  });
});
