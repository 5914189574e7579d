import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { testRequestContext } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { APP_ROLES, type Actor, type AppRole } from '@/lib/auth/actor';
import { BrokerError } from '@/lib/core/errors';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { getPolicyLimits } from '@/lib/broker/get-policy-limits';
import { getPolicySettings } from '@/lib/broker/get-policy-settings';
import { getDefaultPolicy } from '@/lib/broker/policy';
import { updatePolicy } from '@/lib/broker/update-policy';
import type { Prisma } from '@/lib/db/generated/client';
import { createTestDb, type TestDb } from '@/lib/testing/db';
import { getBrokerGraphToken } from '@/lib/graph/client';
import { buildTestSeed, startLocalTenant, TEST_TENANT_ID, type LocalTenant } from '@/lib/testing/local-tenant';

// Graph is real (the local tenant, for the tenant's TAP policy); the database is a fresh PGlite or,
// with TEST_DATABASE_URL, PostgreSQL. Actors are built directly: these use cases read no user data
// from Graph, only the tenant policy with the broker's app token.
function actor(name: string, roles: AppRole[]): Actor {
  return { id: `00000000-0000-4000-8000-00000000000${name.length}`, tenantId: TEST_TENANT_ID, displayName: name, userPrincipalName: `${name}@test`, roles, authContexts: [], tokenIssuedAt: null };
}
const ADMIN = actor('admin', [APP_ROLES.admin]);
const APPROVER = actor('approver', [APP_ROLES.approver]);
const AUDITOR = actor('auditor', [APP_ROLES.auditor]);
const MANAGER = actor('manager', []);

const { version: _version, ...DEFAULTS } = getDefaultPolicy();

let local: LocalTenant;
let db: TestDb;

beforeAll(async () => {
  local = await startLocalTenant(buildTestSeed([{ upn: 'admin', displayName: 'Ada Admin', appRoles: ['TapBroker.Admin'] }]));
});
afterAll(async () => {
  await local.close();
});
beforeEach(async () => {
  db = await createTestDb();
  Object.assign(local.tenant.ctx.directory.tapPolicy, { minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false, state: 'enabled' });
  Object.assign(local.tenant.ctx.faults, { throttleNext: 0, unavailableNext: 0, dropNext: 0 });
});
afterEach(async () => {
  await db.close();
});

function graphRequests(): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, count) => sum + count, 0);
}

async function snapshot() {
  return {
    policies: await db.prisma.policyVersion.findMany({ orderBy: { version: 'asc' } }),
    events: await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<BrokerError> {
  const error = await promise.then(
    () => new Error('expected a refusal'),
    (caught: unknown) => caught,
  );
  if (!(error instanceof BrokerError)) throw error;
  return error;
}

describe('updatePolicy', () => {
  test('stores a new version and records policy.updated with before, after and the changed fields', async () => {
    const ctx = testRequestContext('req-policy-1');
    const saved = await updatePolicy(ADMIN, { ...DEFAULTS, maxDepth: 2, requireApproval: 'always' }, ctx, { db: db.prisma });
    expect(saved).toEqual({ ...DEFAULTS, maxDepth: 2, requireApproval: 'always', version: 2 });
    expect(await getCurrentPolicy(db.prisma)).toEqual(saved);

    const stored = await db.prisma.policyVersion.findUniqueOrThrow({ where: { version: 2 } });
    expect(stored.createdBy).toBe(ADMIN.id);
    const events = await db.prisma.auditEvent.findMany();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'policy.updated', actorId: ADMIN.id, targetId: null, requestId: null });
    const data = events[0]?.data as Prisma.JsonObject;
    expect(data).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      policyVersion: 2,
      changedFields: ['maxDepth', 'requireApproval'],
      before: { ...DEFAULTS, version: 1 },
      after: saved,
      context: { requestId: 'req-policy-1', ip: '127.0.0.1', userAgent: 'vitest' },
      details: { tenantTapPolicy: { state: 'enabled', minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false } },
    });
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 1 });
  });

  test('accepts what GET /api/policy returned (version and tenantTapPolicy ignored); an unchanged PUT is still a version', async () => {
    const settings = await getPolicySettings(ADMIN, testRequestContext(), { db: db.prisma });
    const saved = await updatePolicy(ADMIN, { ...settings, version: 99 }, testRequestContext(), { db: db.prisma });
    expect(saved).toEqual({ ...DEFAULTS, version: 2 });
    const [event] = await db.prisma.auditEvent.findMany();
    expect((event?.data as Prisma.JsonObject).changedFields).toEqual([]);
  });

  test('the pending cap: saved and audited like any field, kept by a PUT that leaves it out, refused outside 1–100', async () => {
    const capped = await updatePolicy(ADMIN, { ...DEFAULTS, maxPendingRequestsPerRequester: 3 }, testRequestContext(), { db: db.prisma });
    expect(capped).toEqual({ ...DEFAULTS, maxPendingRequestsPerRequester: 3, version: 2 });
    expect((await db.prisma.policyVersion.findUniqueOrThrow({ where: { version: 2 } })).maxPendingRequestsPerRequester).toBe(3);
    const { maxPendingRequestsPerRequester: _cap, ...withoutCap } = DEFAULTS;
    const kept = await updatePolicy(ADMIN, { ...withoutCap, maxDepth: 4 }, testRequestContext(), { db: db.prisma });
    expect(kept).toMatchObject({ maxPendingRequestsPerRequester: 3, maxDepth: 4, version: 3 });
    const events = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(events.map((event) => (event.data as Prisma.JsonObject).changedFields)).toEqual([['maxPendingRequestsPerRequester'], ['maxDepth']]);
    expect((events[0]?.data as Prisma.JsonObject).after).toMatchObject({ maxPendingRequestsPerRequester: 3 });

    const before = await snapshot();
    for (const value of [0, 101]) {
      const error = await refusal(updatePolicy(ADMIN, { ...DEFAULTS, maxPendingRequestsPerRequester: value }, testRequestContext(), { db: db.prisma }));
      expect(error).toMatchObject({ code: 'validation-failed' });
      expect(error.errors?.map((issue) => issue.path)).toEqual(['maxPendingRequestsPerRequester']);
    }
    expect(await snapshot()).toEqual(before);
  });

  test('only an admin may change it; the refusal changes nothing and costs no Graph call', async () => {
    const before = await snapshot();
    const requests = graphRequests();
    for (const who of [APPROVER, AUDITOR, MANAGER]) {
      expect(await refusal(updatePolicy(who, { ...DEFAULTS, maxDepth: 1 }, testRequestContext(), { db: db.prisma }))).toMatchObject({
        code: 'forbidden',
        status: 403,
      });
    }
    expect(graphRequests()).toBe(requests);
    expect(await snapshot()).toEqual(before);
  });

  test('a malformed body is validation-failed with every issue, before any Graph call', async () => {
    const before = await snapshot();
    const requests = graphRequests();
    const error = await refusal(
      updatePolicy(ADMIN, { ...DEFAULTS, maxDepth: 0, requireApproval: 'maybe', extra: true }, testRequestContext(), { db: db.prisma }),
    );
    expect(error).toMatchObject({ code: 'validation-failed', status: 400 });
    expect(error.errors?.map((issue) => issue.path).sort()).toEqual(['', 'maxDepth', 'requireApproval']);
    expect(graphRequests()).toBe(requests);
    expect(await snapshot()).toEqual(before);
  });

  test("is checked against the tenant's TAP policy as Graph reports it now", async () => {
    const before = await snapshot();
    const tooLong = await refusal(updatePolicy(ADMIN, { ...DEFAULTS, maxLifetimeInMinutes: 600 }, testRequestContext(), { db: db.prisma }));
    expect(tooLong).toMatchObject({ code: 'validation-failed' });
    expect(tooLong.errors).toEqual([{ path: 'maxLifetimeInMinutes', message: "must be within the tenant's TAP policy range of 60–480 minutes" }]);

    Object.assign(local.tenant.ctx.directory.tapPolicy, { isUsableOnce: true, maximumLifetimeInMinutes: 720 });
    const multiUse = await refusal(
      updatePolicy(ADMIN, { ...DEFAULTS, maxLifetimeInMinutes: 600, isUsableOnce: false }, testRequestContext(), { db: db.prisma }),
    );
    expect(multiUse.errors?.map((issue) => issue.path)).toEqual(['isUsableOnce']);
    expect(await snapshot()).toEqual(before);

    const saved = await updatePolicy(ADMIN, { ...DEFAULTS, maxLifetimeInMinutes: 600, isUsableOnce: true }, testRequestContext(), { db: db.prisma });
    expect(saved).toMatchObject({ maxLifetimeInMinutes: 600, version: 2 });
  });

  test('Graph unavailable → upstream-unavailable, nothing changed', async () => {
    const before = await snapshot();
    Object.assign(local.tenant.ctx.faults, { dropNext: 5 });
    expect(await refusal(updatePolicy(ADMIN, { ...DEFAULTS, maxDepth: 3 }, testRequestContext(), { db: db.prisma }))).toMatchObject({
      code: 'upstream-unavailable',
      status: 503,
    });
    expect(await snapshot()).toEqual(before);
  });

  test('a broker without Policy.Read.AuthenticationMethod: 503 naming the permission, nothing changed', async () => {
    const before = await snapshot();
    const granted = [...local.tenant.ctx.directory.broker.graphPermissions];
    local.tenant.ctx.directory.broker.graphPermissions = [...granted.filter((p) => p !== 'Policy.Read.AuthenticationMethod'), 'Policy.Read.All'];
    await getBrokerGraphToken({ fresh: true });
    try {
      const error = await refusal(updatePolicy(ADMIN, { ...DEFAULTS, maxDepth: 3 }, testRequestContext(), { db: db.prisma }));
      expect(error).toMatchObject({ code: 'upstream-unavailable', status: 503 });
      expect(error.message).toContain('Policy.Read.AuthenticationMethod');
    } finally {
      local.tenant.ctx.directory.broker.graphPermissions = granted;
      await getBrokerGraphToken({ fresh: true });
    }
    expect(await snapshot()).toEqual(before);
  });

  test('concurrent updates each get their own version and name the one they replaced', async () => {
    const depths = [1, 2, 3, 4, 5];
    const saved = await Promise.all(
      depths.map((maxDepth) => updatePolicy(ADMIN, { ...DEFAULTS, maxDepth }, testRequestContext(), { db: db.prisma })),
    );
    expect(saved.map((policy) => policy.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const events = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(events.map((event) => [(event.data as Prisma.JsonObject).fromVersion, (event.data as Prisma.JsonObject).toVersion])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    expect((await getCurrentPolicy(db.prisma)).version).toBe(6);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 5 });
  });
});

describe('getPolicySettings and getPolicyLimits', () => {
  test('settings: the policy plus the tenant bounds, for approvers, auditors and admins only', async () => {
    for (const who of [APPROVER, AUDITOR, ADMIN]) {
      expect(await getPolicySettings(who, testRequestContext(), { db: db.prisma })).toEqual({
        ...DEFAULTS,
        version: 1,
        tenantTapPolicy: { state: 'enabled', minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, defaultLifetimeInMinutes: 60, isUsableOnce: false },
      });
    }
    expect(await refusal(getPolicySettings(MANAGER, testRequestContext(), { db: db.prisma }))).toMatchObject({ code: 'forbidden' });
    Object.assign(local.tenant.ctx.faults, { dropNext: 5 });
    expect(await refusal(getPolicySettings(ADMIN, testRequestContext(), { db: db.prisma }))).toMatchObject({ code: 'upstream-unavailable' });
  });

  test('limits: anyone signed in; the tenant minimum, the lower maximum, one-time forced by either side', async () => {
    expect(await getPolicyLimits(MANAGER, testRequestContext(), { db: db.prisma })).toEqual({
      defaultLifetimeInMinutes: 60,
      maxLifetimeInMinutes: 480,
      minLifetimeInMinutes: 60,
      isUsableOnce: true,
      requireApproval: 'indirect-only',
      maxDepth: null,
      stepUpAuthContextId: null,
      stepUpRequiredFor: [],
      version: 1,
    });
    await updatePolicy(ADMIN, { ...DEFAULTS, isUsableOnce: false, maxLifetimeInMinutes: 240, defaultLifetimeInMinutes: 120, maxDepth: 2 }, testRequestContext(), {
      db: db.prisma,
    });
    expect(await getPolicyLimits(MANAGER, testRequestContext(), { db: db.prisma })).toMatchObject({ isUsableOnce: false, maxLifetimeInMinutes: 240, maxDepth: 2, version: 2 });
    // The tenant tightened its policy after the broker's was saved: the tighter side wins.
    Object.assign(local.tenant.ctx.directory.tapPolicy, { isUsableOnce: true, maximumLifetimeInMinutes: 90, minimumLifetimeInMinutes: 30 });
    expect(await getPolicyLimits(MANAGER, testRequestContext(), { db: db.prisma })).toMatchObject({
      isUsableOnce: true,
      maxLifetimeInMinutes: 90,
      defaultLifetimeInMinutes: 90,
      minLifetimeInMinutes: 30,
    });
  });
});
