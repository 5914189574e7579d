import { describe, expect, test } from 'vitest';
import {
  brokerPolicyInputSchema,
  completePolicyInput,
  fromStoredPolicy,
  getChangedPolicyFields,
  getDefaultPolicy,
  getPolicyTenantViolations,
  POLICY_FIELDS,
  toStoredPolicyFields,
  type BrokerPolicyFields,
} from '@/lib/broker/policy';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';

const TENANT: TenantTapPolicy = {
  state: 'enabled',
  defaultLifetimeInMinutes: 60,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  defaultLength: 8,
  isUsableOnce: false,
  includeTargets: [{ targetType: 'group', id: 'all_users' }],
  excludeTargets: [],
};

const { version: _version, ...DEFAULT_FIELDS } = getDefaultPolicy();
const fields = (patch: Partial<BrokerPolicyFields> = {}): BrokerPolicyFields => ({ ...DEFAULT_FIELDS, ...patch });
const paths = (policy: BrokerPolicyFields, tenant: TenantTapPolicy = TENANT) =>
  getPolicyTenantViolations(policy, tenant).map((issue) => issue.path);

describe('getPolicyTenantViolations', () => {
  test('the defaults fit the default tenant policy', () => {
    expect(getPolicyTenantViolations(fields(), TENANT)).toEqual([]);
  });

  test('lifetimes exactly on the tenant bounds fit', () => {
    expect(paths(fields({ defaultLifetimeInMinutes: 60, maxLifetimeInMinutes: 60 }))).toEqual([]);
    expect(paths(fields({ defaultLifetimeInMinutes: 480, maxLifetimeInMinutes: 480 }))).toEqual([]);
    expect(paths(fields({ defaultLifetimeInMinutes: 60, maxLifetimeInMinutes: 480 }))).toEqual([]);
  });

  test('a default above the maximum', () => {
    expect(paths(fields({ defaultLifetimeInMinutes: 240, maxLifetimeInMinutes: 120 }))).toEqual(['defaultLifetimeInMinutes']);
  });

  test('each lifetime one minute outside the tenant range, on either side', () => {
    expect(paths(fields({ defaultLifetimeInMinutes: 59 }))).toEqual(['defaultLifetimeInMinutes']);
    expect(paths(fields({ maxLifetimeInMinutes: 481 }))).toEqual(['maxLifetimeInMinutes']);
    expect(paths(fields({ defaultLifetimeInMinutes: 59, maxLifetimeInMinutes: 59 }))).toEqual([
      'defaultLifetimeInMinutes',
      'maxLifetimeInMinutes',
    ]);
    expect(paths(fields({ defaultLifetimeInMinutes: 481, maxLifetimeInMinutes: 481 }))).toEqual([
      'defaultLifetimeInMinutes',
      'maxLifetimeInMinutes',
    ]);
    expect(paths(fields({ defaultLifetimeInMinutes: 500, maxLifetimeInMinutes: 490 }))).toEqual([
      'defaultLifetimeInMinutes',
      'defaultLifetimeInMinutes',
      'maxLifetimeInMinutes',
    ]);
  });

  test('messages name the tenant range', () => {
    const [issue] = getPolicyTenantViolations(fields({ maxLifetimeInMinutes: 481 }), TENANT);
    expect(issue?.message).toBe("must be within the tenant's TAP policy range of 60–480 minutes");
  });

  test('one-time use: forced by the tenant → the policy must be one-time; otherwise either is fine', () => {
    const forcing = { ...TENANT, isUsableOnce: true };
    expect(paths(fields({ isUsableOnce: false }), forcing)).toEqual(['isUsableOnce']);
    expect(paths(fields({ isUsableOnce: true }), forcing)).toEqual([]);
    expect(paths(fields({ isUsableOnce: false }), TENANT)).toEqual([]);
    expect(paths(fields({ isUsableOnce: true }), TENANT)).toEqual([]);
  });

  test('a narrower tenant range moves the bounds', () => {
    const narrow = { ...TENANT, minimumLifetimeInMinutes: 120, maximumLifetimeInMinutes: 240 };
    expect(paths(fields({ defaultLifetimeInMinutes: 60, maxLifetimeInMinutes: 480 }), narrow)).toEqual([
      'defaultLifetimeInMinutes',
      'maxLifetimeInMinutes',
    ]);
    expect(paths(fields({ defaultLifetimeInMinutes: 120, maxLifetimeInMinutes: 240 }), narrow)).toEqual([]);
  });
});

describe('brokerPolicyInputSchema (the PUT /api/policy body)', () => {
  const valid = { ...DEFAULT_FIELDS };
  const issuesOf = (body: unknown) => {
    const result = brokerPolicyInputSchema.safeParse(body);
    return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
  };

  test('accepts the whole policy, and what GET returns (version and tenantTapPolicy are ignored)', () => {
    expect(issuesOf(valid)).toEqual([]);
    expect(issuesOf({ ...valid, version: 7, tenantTapPolicy: { state: 'enabled' } })).toEqual([]);
    for (const requireApproval of ['always', 'never', 'indirect-only']) expect(issuesOf({ ...valid, requireApproval })).toEqual([]);
    expect(issuesOf({ ...valid, maxDepth: 1 })).toEqual([]);
    expect(issuesOf({ ...valid, maxDepth: 100 })).toEqual([]);
    expect(issuesOf({ ...valid, maxIssuancesPerManagerPerDay: 0 })).toEqual([]);
    expect(issuesOf({ ...valid, maxPendingRequestsPerRequester: 1 })).toEqual([]);
    expect(issuesOf({ ...valid, maxPendingRequestsPerRequester: 100 })).toEqual([]);
    expect(issuesOf({ ...valid, defaultLifetimeInMinutes: 10, maxLifetimeInMinutes: 43_200 })).toEqual([]);
  });

  test('refuses each field missing (the pending cap, the two lists and step-up excepted: absent keeps them), and unknown fields', () => {
    const keptWhenAbsent: string[] = ['maxPendingRequestsPerRequester', 'allowedDirectoryRoleTemplateIds', 'protectedGroupIds', 'stepUpAuthContextId', 'stepUpActions'];
    for (const field of POLICY_FIELDS.filter((f) => !keptWhenAbsent.includes(f))) {
      const body: Record<string, unknown> = { ...valid };
      delete body[field];
      expect(issuesOf(body), field).toEqual([field]);
    }
    const withoutLists: Record<string, unknown> = { ...valid };
    for (const field of keptWhenAbsent) delete withoutLists[field];
    expect(issuesOf(withoutLists)).toEqual([]);
    expect(issuesOf({ ...valid, maxdepth: 2 })).toEqual(['']);
    expect(issuesOf(null)).toEqual(['']);
    expect(issuesOf([])).toEqual(['']);
  });

  test('refuses out-of-range and mistyped values', () => {
    const refused: [string, unknown][] = [
      ['maxDepth', 0],
      ['maxDepth', 101],
      ['maxDepth', 1.5],
      ['maxDepth', '2'],
      ['requireApproval', 'sometimes'],
      ['requireApproval', 'indirect_only'],
      ['defaultLifetimeInMinutes', 9],
      ['defaultLifetimeInMinutes', 43_201],
      ['maxLifetimeInMinutes', 60.5],
      ['maxLifetimeInMinutes', null],
      ['isUsableOnce', 'true'],
      ['approvalValidityMinutes', 0],
      ['approvalValidityMinutes', 43_201],
      ['maxIssuancesPerManagerPerDay', -1],
      ['maxIssuancesPerManagerPerDay', 10_001],
      ['maxPendingRequestsPerRequester', 0],
      ['maxPendingRequestsPerRequester', 101],
      ['maxPendingRequestsPerRequester', 2.5],
      ['maxPendingRequestsPerRequester', null],
      ['protectedGroupIds', 'not-a-list'],
      ['allowedDirectoryRoleTemplateIds', null],
      ['stepUpAuthContextId', 'c0'],
      ['stepUpAuthContextId', 'c100'],
      ['stepUpAuthContextId', 'c01'],
      ['stepUpAuthContextId', 'C1'],
      ['stepUpAuthContextId', ' c1'],
      ['stepUpAuthContextId', ''],
      ['stepUpAuthContextId', 1],
      ['stepUpActions', 'approve'],
      ['stepUpActions', null],
    ];
    for (const [field, value] of refused) expect(issuesOf({ ...valid, [field]: value }), `${field}=${String(value)}`).toEqual([field]);
  });

  test('allows only read-only directory roles, and says why another is refused', () => {
    const authAdmin = 'c4e39bd9-1100-46d3-8c65-fb160da0071f';
    const result = brokerPolicyInputSchema.safeParse({ ...valid, allowedDirectoryRoleTemplateIds: ['88D8E3E3-8F55-4A1E-953A-9B9898B8876B', authAdmin] });
    expect(result.success).toBe(false);
    const issue = result.success ? undefined : result.error.issues[0];
    expect(issue?.path).toEqual(['allowedDirectoryRoleTemplateIds', 1]);
    expect(issue?.message).toContain('Authentication Administrator');
    for (const id of ['966707d0-3269-4727-9be2-8c3a10f19b9d', '729827e3-9c14-49f7-bb1b-9608f156bbb8', '11111111-2222-4333-8444-555555555555']) {
      expect(brokerPolicyInputSchema.safeParse({ ...valid, allowedDirectoryRoleTemplateIds: [id] }).success, id).toBe(false);
    }
    const ok = brokerPolicyInputSchema.parse({ ...valid, allowedDirectoryRoleTemplateIds: ['88D8E3E3-8F55-4A1E-953A-9B9898B8876B', '88d8e3e3-8f55-4a1e-953a-9b9898b8876b'] });
    expect(ok.allowedDirectoryRoleTemplateIds).toEqual(['88d8e3e3-8f55-4a1e-953a-9b9898b8876b']);
    expect(brokerPolicyInputSchema.safeParse({ ...valid, protectedGroupIds: ['not-a-guid'] }).success).toBe(false);
  });

  test('step-up: c1 to c99 or null; the actions besides issue, de-duplicated in a fixed order', () => {
    for (const id of ['c1', 'c9', 'c10', 'c42', 'c99', null]) expect(issuesOf({ ...valid, stepUpAuthContextId: id }), String(id)).toEqual([]);
    const parsed = brokerPolicyInputSchema.parse({ ...valid, stepUpAuthContextId: 'c1', stepUpActions: ['policy', 'approve', 'policy'] });
    expect(parsed.stepUpActions).toEqual(['approve', 'policy']);
    // Issue is always covered when a context is set, so it is not an option to list.
    for (const action of ['issue', 'deny', 'revoke', 'APPROVE']) {
      expect(issuesOf({ ...valid, stepUpActions: [action] }), action).toEqual(['stepUpActions.0']);
    }
  });

  test('absent step-up fields keep what is in force; an explicit null turns step-up off', () => {
    const current = fields({ stepUpAuthContextId: 'c3', stepUpActions: ['approve'] });
    const { stepUpAuthContextId: _id, stepUpActions: _actions, ...withoutStepUp } = valid;
    expect(completePolicyInput(brokerPolicyInputSchema.parse({ ...withoutStepUp, maxDepth: 2 }), current)).toEqual(
      fields({ maxDepth: 2, stepUpAuthContextId: 'c3', stepUpActions: ['approve'] }),
    );
    expect(completePolicyInput(brokerPolicyInputSchema.parse({ ...withoutStepUp, stepUpAuthContextId: null }), current)).toEqual(
      fields({ stepUpAuthContextId: null, stepUpActions: ['approve'] }),
    );
    expect(completePolicyInput(brokerPolicyInputSchema.parse({ ...valid, stepUpAuthContextId: 'c1', stepUpActions: [] }), current)).toEqual(
      fields({ stepUpAuthContextId: 'c1', stepUpActions: [] }),
    );
  });
});

describe('stored policy mapping', () => {
  test("the database's indirect_only is the contract's indirect-only, both ways", () => {
    const stored = toStoredPolicyFields(fields({ requireApproval: 'indirect-only', maxDepth: 3 }));
    expect(stored.requireApproval).toBe('indirect_only');
    const row = { ...stored, version: 4, createdAt: new Date(), createdBy: 'admin' };
    expect(fromStoredPolicy(row)).toEqual({ ...fields({ requireApproval: 'indirect-only', maxDepth: 3 }), version: 4 });
    for (const mode of ['always', 'never'] as const) {
      expect(fromStoredPolicy({ ...row, ...toStoredPolicyFields(fields({ requireApproval: mode })) }).requireApproval).toBe(mode);
    }
  });

  test('step-up round trips; a stored action the broker does not know is dropped', () => {
    const stepUp = fields({ stepUpAuthContextId: 'c7', stepUpActions: ['approve', 'policy'] });
    const row = { ...toStoredPolicyFields(stepUp), version: 2, createdAt: new Date(), createdBy: 'admin' };
    expect(fromStoredPolicy(row)).toEqual({ ...stepUp, version: 2 });
    expect(fromStoredPolicy({ ...row, stepUpActions: ['policy', 'revoke', 'approve'] }).stepUpActions).toEqual(['approve', 'policy']);
    expect(getDefaultPolicy()).toMatchObject({ stepUpAuthContextId: null, stepUpActions: [] });
  });

  test('the pending cap round trips, defaults to the column default (10), and an absent one keeps what is in force', () => {
    expect(getDefaultPolicy().maxPendingRequestsPerRequester).toBe(10);
    const capped = fields({ maxPendingRequestsPerRequester: 3 });
    const row = { ...toStoredPolicyFields(capped), version: 5, createdAt: new Date(), createdBy: 'admin' };
    expect(row.maxPendingRequestsPerRequester).toBe(3);
    expect(fromStoredPolicy(row)).toEqual({ ...capped, version: 5 });
    const { maxPendingRequestsPerRequester: _cap, ...withoutCap } = DEFAULT_FIELDS;
    expect(completePolicyInput(brokerPolicyInputSchema.parse(withoutCap), capped).maxPendingRequestsPerRequester).toBe(3);
    expect(completePolicyInput(brokerPolicyInputSchema.parse({ ...withoutCap, maxPendingRequestsPerRequester: 7 }), capped).maxPendingRequestsPerRequester).toBe(7);
    expect(getChangedPolicyFields(capped, fields())).toEqual(['maxPendingRequestsPerRequester']);
  });

  test('getChangedPolicyFields lists exactly the differing fields', () => {
    expect(getChangedPolicyFields(fields(), fields())).toEqual([]);
    expect(getChangedPolicyFields(fields(), fields({ maxDepth: 2, isUsableOnce: false }))).toEqual(['maxDepth', 'isUsableOnce']);
    expect(getChangedPolicyFields(null, fields())).toEqual(POLICY_FIELDS);
  });
});
