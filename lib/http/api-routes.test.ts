/**
 * The real route modules under app/api, called the way Next calls them, with every kind of
 * caller: the deny-by-default authorization matrix (docs/api-contract.md#routes).
 *
 * Every operation of the contract's table × { no token, wrong-audience token, outsider, manager,
 * approver, auditor, admin } is checked against its row of the matrix — generated from the
 * operation's `allow`, with the answers that depend on data on top — and every answer is parsed
 * with the operation's declared schema for its status. A route module whose operation was not
 * called as every caller fails the last test. Each is refused (401) with a foreign-client
 * token: the admin's own token for the portal API, obtained by another app registration of the
 * tenant (the seed's automation client), so only its `azp` is wrong. A sweep over every route
 * module under app/api checks that last point for routes the matrix does not list. Every refusal re-reads the database:
 * tap_request and policy_version are unchanged, and the audit trail grew by nothing but the
 * caller's own refusal event (`tap_request.refused`) — exactly one where the issue asks for it
 * (not-in-reporting-chain), none for a request without a valid token.
 *
 * The org (Graph, the in-process local tenant):  admin ─ manager ─ report ─ deep
 * approver, auditor and outsider report to nobody and nobody reports to them. With the default
 * policy (approval for indirect reports only), manager → report is auto-approved and
 * manager → deep waits for an approver.
 *
 * Routes are loaded by path at run time so that one missing route module fails its own test,
 * not the whole file.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { problemSchema } from '@/lib/contract/problem';
import type { RoleName } from '@/lib/contract/roles';
import { getOperationResponses, operations, type Operation } from '@/lib/contract/routes';
import { closeDb, getDb } from '@/lib/db/client';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { resetEnvForTests } from '@/lib/env';
import type { OperationId } from '@/lib/http/route';
import { listDeclaredApiRoutes } from '@/lib/testing/api-route-files';
import { loadRouteHandler, useFreshRouteDatabase, type RouteHandler } from '@/lib/testing/route-harness';
import { storePolicy } from '@/lib/testing/tap-requests';
import {
  buildTestSeed,
  startLocalTenant,
  TEST_API_CLIENT_ID,
  TEST_PORTAL_CLIENT_ID,
  TEST_TENANT_ID,
  type LocalTenant,
} from '@/lib/testing/local-tenant';

let local: LocalTenant;
const tokens: Record<string, string | undefined> = {};
const CALLERS = ['none', 'wrong-audience', 'outsider', 'manager', 'approver', 'auditor', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
/** Called on every route besides the matrix's callers; always refused. */
type AnyCaller = Caller | 'foreign-client';
const SIGNED_IN = ['outsider', 'manager', 'approver', 'auditor', 'admin'] as const;
const JUSTIFICATION = 'Lost the phone with the authenticator app on it.';

let dropFreshDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
      { upn: 'manager', displayName: 'Max Manager', manager: 'admin' },
      { upn: 'report', displayName: 'Rita Report', manager: 'manager', jobTitle: 'Engineer' },
      { upn: 'deep', displayName: 'Dee Deep', manager: 'report' },
      { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
      { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
      { upn: 'outsider', displayName: 'Otto Outsider' },
    ]),
  );
  dropFreshDatabase = await useFreshRouteDatabase();
  // The pending cap has its own tests; the matrix leaves many of one manager's requests waiting.
  await storePolicy(await getDb(), { maxPendingRequestsPerRequester: 100 });
  tokens.none = undefined;
  tokens['wrong-audience'] = await local.getUserToken('manager', { scope: 'https://graph.microsoft.com/User.Read' });
  for (const name of SIGNED_IN) tokens[name] = await local.getUserToken(name);
  tokens['foreign-client'] = await local.getUserToken('admin', { client: 'automation' });
});

afterAll(async () => {
  await dropFreshDatabase?.();
  await local?.close();
});

type Handler = RouteHandler;

async function route(modulePath: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE'): Promise<Handler> {
  return loadRouteHandler(modulePath, method);
}

interface CallResult {
  status: number;
  /** The parsed JSON body; `{}` for a non-JSON answer (an export), whose text is in `text`. */
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

async function call(
  handler: Handler,
  pathAndQuery: string,
  caller: AnyCaller,
  options: { method?: string; params?: Record<string, string | string[]>; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const token = tokens[caller];
  const headers: Record<string, string> = { 'user-agent': 'api-routes-matrix', ...options.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const request = new Request(`http://localhost:3000${pathAndQuery}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const response = await handler(request, { params: Promise.resolve(options.params ?? {}) });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-request-id')).toBeTruthy();
  if (response.status >= 400) expect(response.headers.get('content-type')).toBe('application/problem+json');
  const text = await response.text();
  const isJson = /^application\/(?:problem\+)?json\b/.test(response.headers.get('content-type') ?? '');
  return { status: response.status, body: isJson ? (JSON.parse(text) as Record<string, unknown>) : {}, text, headers: response.headers };
}

/** What the database holds, to compare before and after a refusal. */
async function snapshot() {
  const db = await getDb();
  const [requests, policies, head] = await Promise.all([
    db.tapRequest.findMany({ orderBy: { id: 'asc' } }),
    db.policyVersion.findMany({ orderBy: { version: 'asc' } }),
    db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } }),
  ]);
  return { requests, policies, auditHead: head?.seq ?? 0n };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/**
 * After a refusal: nothing changed but the audit trail, which may only have grown by the
 * caller's refusal events — `refusalEvents` of them when the issue requires it, else at most one.
 */
async function expectNothingChanged(before: Snapshot, caller: AnyCaller, refusalEvents: 0 | 1 | 'at-most-1', label: string) {
  const after = await snapshot();
  expect(after.requests, `${label}: tap_request unchanged`).toEqual(before.requests);
  expect(after.policies, `${label}: policy_version unchanged`).toEqual(before.policies);
  const db = await getDb();
  const added = await db.auditEvent.findMany({ where: { seq: { gt: before.auditHead } }, orderBy: { seq: 'asc' } });
  if (refusalEvents === 'at-most-1') expect(added.length, `${label}: audit events added`).toBeLessThanOrEqual(1);
  else expect(added.length, `${label}: audit events added`).toBe(refusalEvents);
  for (const event of added) {
    expect(event.type, label).toBe('tap_request.refused');
    expect(event.actorId, label).toBe(local.userId(caller));
  }
}

function expectProblem(result: CallResult, status: number, code: string, label: string) {
  expect(result.status, `${label}: ${JSON.stringify(result.body)}`).toBe(status);
  expect(result.body.code, label).toBe(code);
}

/** The contract's answer for `caller`: a success status, or a refusal's status and code. */
type Expected = number | [number, string];
const UNAUTHENTICATED: Expected = [401, 'unauthenticated'];
const FORBIDDEN: Expected = [403, 'forbidden'];
const NOT_FOUND: Expected = [404, 'not-found'];
const NOT_IN_CHAIN: Expected = [403, 'not-in-reporting-chain'];

const CALLER_ROLES: Record<Caller, readonly RoleName[]> = {
  none: [],
  'wrong-audience': [],
  outsider: [],
  manager: [],
  approver: ['approver'],
  auditor: ['auditor'],
  admin: ['admin', 'approver', 'auditor'],
};

/** The answers that depend on data rather than on the token: who is in the org chart, who owns the request. */
const DATA_DEPENDENT_ROWS: Partial<Record<OperationId, Partial<Record<Caller, Expected>>>> = {
  // Every caller asks for a pass for `report`: only the manager and the admin are above her.
  requestTap: { outsider: NOT_IN_CHAIN, approver: NOT_IN_CHAIN, auditor: NOT_IN_CHAIN },
  // The manager's request: its requester, approvers and auditors see it; the outsider does not.
  getTapRequest: { outsider: NOT_FOUND },
  // Only the requester gets the pass; to anyone else the request does not exist.
  issueTap: { outsider: NOT_FOUND, approver: NOT_FOUND, auditor: NOT_FOUND, admin: NOT_FOUND },
  // The requester and admins; approvers and auditors see it but may not revoke it.
  revokeTap: { outsider: NOT_FOUND, approver: FORBIDDEN, auditor: FORBIDDEN },
  // The requester only; those who may see the request (approvers, auditors, admins) are forbidden.
  withdrawTapRequest: { outsider: NOT_FOUND, approver: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN },
};

function getTableOperation(id: OperationId): Operation {
  const operation = (operations as readonly Operation[]).find((op) => op.id === id);
  if (operation === undefined) throw new Error(`no operation ${id}`);
  return operation;
}

/** The matrix row of an operation: from its `allow`, then the data-dependent answers. */
function getMatrixRow(id: OperationId): Record<Caller, Expected> {
  const op = getTableOperation(id);
  const success = Number(Object.keys(op.responses).find((status) => Number(status) >= 200 && Number(status) < 300));
  const row = Object.fromEntries(
    CALLERS.map((caller): [Caller, Expected] => {
      if (op.allow === 'anyone') return [caller, success];
      if (caller === 'none' || caller === 'wrong-audience') return [caller, UNAUTHENTICATED];
      if (op.allow === 'signed-in') return [caller, success];
      return [caller, op.allow.some((role) => CALLER_ROLES[caller].includes(role)) ? success : FORBIDDEN];
    }),
  ) as Record<Caller, Expected>;
  return { ...row, ...DATA_DEPENDENT_ROWS[id] };
}

/** The answer is one the operation declares: its status is listed, and the body parses with that status's schema. */
function expectDeclaredAnswer(id: OperationId, result: CallResult, label: string) {
  const spec = getOperationResponses(getTableOperation(id))[result.status];
  expect(spec, `${label}: ${id} does not declare ${result.status}`).toBeDefined();
  if (spec === undefined) return;
  if (spec instanceof z.core.$ZodType || spec.kind === 'json') {
    const parsed = z.safeParse(spec instanceof z.core.$ZodType ? spec : spec.schema, result.body);
    expect(parsed.success ? null : parsed.error.issues, `${label}: the answer does not parse with ${id}'s ${result.status} schema`).toBeNull();
  } else if (spec.kind === 'problem') {
    const parsed = problemSchema.safeParse(result.body);
    expect(parsed.success ? null : parsed.error.issues, `${label}: not a problem`).toBeNull();
    expect(spec.codes, `${label}: ${id} does not declare ${String(result.body.code)} under ${result.status}`).toContain(result.body.code);
  } else {
    const type = result.headers.get('content-type') ?? '';
    expect(spec.contentTypes.some((declared) => type.startsWith(declared)), `${label}: ${type}`).toBe(true);
  }
}

/** The operations called as every caller, for the last test. */
const exercised = new Set<OperationId>();

/**
 * Calls an operation as every caller and checks each answer against its row of the matrix and its
 * declared schema. `rows` replaces answers of the generated row (a query that changes who may ask).
 * `prepare` makes a fresh fixture per caller (so a success for one caller cannot mask a refusal for
 * the next); refusals are checked against the database.
 */
async function matrix(
  id: OperationId,
  name: string,
  invoke: (caller: AnyCaller, fixture: string | undefined) => Promise<CallResult>,
  options: {
    rows?: Partial<Record<Caller, Expected>>;
    prepare?: () => Promise<string>;
    onSuccess?: (caller: Caller, result: CallResult, fixture: string | undefined) => Promise<void> | void;
    refusalEvents?: (code: string) => 0 | 1 | 'at-most-1';
  } = {},
) {
  const expected = { ...getMatrixRow(id), ...options.rows };
  for (const caller of CALLERS) {
    const label = `${name} as ${caller}`;
    const fixture = options.prepare ? await options.prepare() : undefined;
    const want = expected[caller];
    const before = await snapshot();
    const result = await invoke(caller, fixture);
    expectDeclaredAnswer(id, result, label);
    if (typeof want === 'number') {
      expect(result.status, `${label}: ${JSON.stringify(result.body)}`).toBe(want);
      await options.onSuccess?.(caller, result, fixture);
      continue;
    }
    expectProblem(result, want[0], want[1], label);
    const events = want[1] === 'unauthenticated' ? 0 : (options.refusalEvents?.(want[1]) ?? 'at-most-1');
    await expectNothingChanged(before, caller, events, label);
  }
  const fixture = options.prepare ? await options.prepare() : undefined;
  const before = await snapshot();
  const result = await invoke('foreign-client', fixture);
  expectDeclaredAnswer(id, result, `${name} as foreign-client`);
  if (getTableOperation(id).allow === 'anyone') {
    // A route that reads no token answers a foreign client like anyone else.
    expect(result.status, `${name} as foreign-client`).toBe(expected.none);
  } else {
    expectProblem(result, 401, 'unauthenticated', `${name} as foreign-client`);
    await expectNothingChanged(before, 'foreign-client', 0, `${name} as foreign-client`);
  }
  exercised.add(id);
}

// ---- fixtures, made through the routes themselves -------------------------------------------

async function createRequest(as: Caller, target: string): Promise<Record<string, unknown>> {
  const post = await route('tap-requests', 'POST');
  const res = await call(post, '/api/tap-requests', as, { method: 'POST', body: { targetUserId: local.userId(target), justification: JUSTIFICATION } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** manager → report: auto-approved. */
async function approvedRequest(): Promise<string> {
  const created = await createRequest('manager', 'report');
  expect(created.status).toBe('approved');
  return String(created.id);
}

/** manager → deep (depth 2): waits for an approver. */
async function pendingRequest(): Promise<string> {
  const created = await createRequest('manager', 'deep');
  expect(created.status).toBe('pending_approval');
  return String(created.id);
}

async function issuedRequest(): Promise<string> {
  const id = await approvedRequest();
  const issue = await route('tap-requests/[id]/issue', 'POST');
  const res = await call(issue, `/api/tap-requests/${id}/issue`, 'manager', { method: 'POST', params: { id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return id;
}

async function currentPolicy(): Promise<Record<string, unknown>> {
  const get = await route('policy', 'GET');
  const res = await call(get, '/api/policy', 'admin');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const { maxDepth, requireApproval, defaultLifetimeInMinutes, maxLifetimeInMinutes, isUsableOnce, approvalValidityMinutes, maxIssuancesPerManagerPerDay, maxPendingRequestsPerRequester } = res.body;
  return { maxDepth, requireApproval, defaultLifetimeInMinutes, maxLifetimeInMinutes, isUsableOnce, approvalValidityMinutes, maxIssuancesPerManagerPerDay, maxPendingRequestsPerRequester };
}

// ---- the foundation routes ----------------------------------------------------------------------

describe('foundation API routes', () => {
  it('GET /api/config answers anyone with the MSAL settings', async () => {
    const config = await route('config', 'GET');
    for (const caller of CALLERS) {
      const { status, body } = await call(config, '/api/config', caller);
      expect(status, caller).toBe(200);
      expect(body).toEqual({
        authority: `${local.url}/${TEST_TENANT_ID}/`,
        clientId: TEST_PORTAL_CLIENT_ID,
        scopes: [`api://${TEST_API_CLIENT_ID}/access_as_user`],
        knownAuthorities: [new URL(local.url).host],
      });
    }
  });

  it('GET /api/health answers anyone: ok', async () => {
    const health = await route('health', 'GET');
    for (const caller of CALLERS) {
      const { status, body } = await call(health, '/api/health', caller);
      expect(status, caller).toBe(200);
      expect(body).toEqual({ status: 'ok' });
    }
  });

  it('GET /api/health/details: admins only; the configuration checks, each with its status and fix', async () => {
    const details = await route('health/details', 'GET');
    await matrix(
      'getHealthDetails',
      'GET /api/health/details',
      (caller) => call(details, '/api/health/details', caller),
      {
        refusalEvents: () => 0,
        onSuccess: (_caller, result) => {
          expect(Object.keys(result.body)).toEqual(['checks']);
          const checks = result.body.checks as Record<string, unknown>[];
          for (const check of checks) {
            expect(Object.keys(check).sort()).toEqual(['detail', 'fix', 'id', 'status']);
            expect(['ok', 'warn', 'fail']).toContain(check.status);
            expect(check.fix === null || typeof check.fix === 'string').toBe(true);
          }
          expect(checks.find((check) => check.id === 'broker-credential')).toMatchObject({ status: 'ok' });
          expect(checks.find((check) => check.id === 'users-and-org-chart')).toMatchObject({ status: 'ok' });
        },
      },
    );
  });

  it('GET /api/me: 401 without a valid token, the caller otherwise', async () => {
    const me = await route('me', 'GET');
    for (const caller of CALLERS) {
      const { status, body } = await call(me, '/api/me', caller);
      if (caller === 'none' || caller === 'wrong-audience') {
        expect(status, caller).toBe(401);
        expect(body.code).toBe('unauthenticated');
        continue;
      }
      expect(status, caller).toBe(200);
      expect(body).toEqual({
        id: local.userId(caller),
        displayName: expect.any(String),
        userPrincipalName: `${caller}@test.contoso.test`,
        roles: { approver: ['TapBroker.Approver'], auditor: ['TapBroker.Auditor'], admin: ['TapBroker.Admin'] }[caller as string] ?? [],
        // Extensions from Graph: who can request a pass for the caller, and whether anyone reports to them.
        manager: caller === 'manager' ? { displayName: 'Ann Admin', userPrincipalName: 'admin@test.contoso.test' } : null,
        hasReports: caller === 'manager' || caller === 'admin',
        helpdeskContact: null,
      });
    }
  });

  it('GET /api/reportees: 401 without a valid token, each caller’s own reportees otherwise', async () => {
    const reportees = await route('reportees', 'GET');
    const expected: Record<string, string[]> = {
      outsider: [],
      manager: ['report', 'deep'],
      approver: [],
      auditor: [],
      admin: ['manager', 'report', 'deep'],
    };
    for (const caller of CALLERS) {
      const { status, body } = await call(reportees, '/api/reportees', caller);
      if (caller === 'none' || caller === 'wrong-audience') {
        expect(status, caller).toBe(401);
        continue;
      }
      expect(status, caller).toBe(200);
      const list = body.reportees as { userPrincipalName: string; depth: number }[];
      expect(list.map((r) => r.userPrincipalName.split('@')[0]), caller).toEqual(expected[caller]);
    }
    const { body } = await call(reportees, '/api/reportees', 'admin');
    expect(body.reportees).toEqual([
      expect.objectContaining({ userPrincipalName: 'manager@test.contoso.test', depth: 1, eligible: true, ineligibleReasons: [] }),
      expect.objectContaining({ userPrincipalName: 'report@test.contoso.test', depth: 2, jobTitle: 'Engineer', eligible: true }),
      expect.objectContaining({ userPrincipalName: 'deep@test.contoso.test', depth: 3, eligible: true }),
    ]);
  });

  it('unknown API paths are problem+json 404 for everyone', async () => {
    const catchAll = await route('[...path]', 'GET');
    for (const caller of CALLERS) {
      const { status, body } = await call(catchAll, '/api/nope', caller, { params: { path: ['nope'] } });
      expect(status, caller).toBe(404);
      expect(body).toMatchObject({ code: 'not-found', type: '/problems/not-found' });
    }
    const post = await route('[...path]', 'POST');
    const res = await post(new Request('http://localhost:3000/api/x', { method: 'POST' }), { params: Promise.resolve({ path: ['x'] }) });
    expect(res.status).toBe(404);
  });

  it('GET /api/health is 503 upstream-unavailable when the database cannot be reached', async () => {
    const health = await route('health', 'GET');
    const saved = process.env.DATABASE_URL;
    // Nothing listens on the discard port: the connection is refused at once.
    process.env.DATABASE_URL = 'postgres://nobody:nothing@127.0.0.1:9/none';
    resetEnvForTests();
    try {
      await closeDb();
      const { status, body } = await call(health, '/api/health', 'none');
      expect(status).toBe(503);
      expect(body).toMatchObject({ code: 'upstream-unavailable' });
    } finally {
      await closeDb();
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
      resetEnvForTests();
    }
  });
});

// ---- the request lifecycle ------------------------------------------------------------------------

describe('TAP request routes', () => {
  it('POST /api/tap-requests: a manager for their reports only; nobody else, whatever their role', async () => {
    const post = await route('tap-requests', 'POST');
    await matrix(
      'requestTap',
      'POST /api/tap-requests (→ report)',
      (caller) => call(post, '/api/tap-requests', caller, { method: 'POST', body: { targetUserId: local.userId('report'), justification: JUSTIFICATION } }),
      {
        refusalEvents: (code) => (code === 'not-in-reporting-chain' ? 1 : 'at-most-1'),
        onSuccess: (caller, result) => {
          // manager is report's direct manager; admin is two levels up: approval needed.
          expect(result.body).toMatchObject({
            status: caller === 'manager' ? 'approved' : 'pending_approval',
            requesterId: local.userId(caller),
            targetUserId: local.userId('report'),
            targetDisplayName: 'Rita Report',
            chain: caller === 'manager' ? [local.userId('manager')] : [local.userId('manager'), local.userId('admin')],
          });
        },
      },
    );
  });

  it('POST /api/tap-requests: unknown ids and malformed bodies change nothing', async () => {
    const post = await route('tap-requests', 'POST');
    const cases: [string, unknown, Expected][] = [
      ['an unknown id', { targetUserId: 'a3c1e2d4-0b5f-4c6d-8e7f-9a0b1c2d3e4f', justification: JUSTIFICATION }, NOT_IN_CHAIN],
      ['no justification', { targetUserId: local.userId('report') }, [400, 'validation-failed']],
      ['a one-word justification', { targetUserId: local.userId('report'), justification: 'justification' }, [400, 'validation-failed']],
      ['an unknown field', { targetUserId: local.userId('report'), justification: JUSTIFICATION, methodId: 'x' }, [400, 'validation-failed']],
      ['a lifetime over the policy maximum', { targetUserId: local.userId('report'), justification: JUSTIFICATION, lifetimeInMinutes: 481 }, [400, 'validation-failed']],
      ['an array', [], [400, 'validation-failed']],
    ];
    for (const [label, body, want] of cases) {
      const before = await snapshot();
      const result = await call(post, '/api/tap-requests', 'manager', { method: 'POST', body });
      expectProblem(result, (want as [number, string])[0], (want as [number, string])[1], label);
      if ((want as [number, string])[1] === 'validation-failed') expect(Array.isArray(result.body.errors), label).toBe(true);
      await expectNothingChanged(before, 'manager', (want as [number, string])[1] === 'not-in-reporting-chain' ? 1 : 'at-most-1', label);
    }
    // Self: in no one's chain below themselves, and ineligible by name.
    const before = await snapshot();
    const self = await call(post, '/api/tap-requests', 'manager', { method: 'POST', body: { targetUserId: local.userId('manager'), justification: JUSTIFICATION } });
    expectProblem(self, 422, 'target-ineligible', 'self');
    expect(self.body.reasons).toContain('self');
    await expectNothingChanged(before, 'manager', 1, 'self');
  });

  it('GET /api/tap-requests?scope=…: mine for everyone signed in, pending for approvers, all for approvers and auditors', async () => {
    const list = await route('tap-requests', 'GET');
    const mineId = await approvedRequest();
    const pendingId = await pendingRequest();
    const scopes: [string, Record<Caller, Expected>][] = [
      ['mine', { none: UNAUTHENTICATED, 'wrong-audience': UNAUTHENTICATED, outsider: 200, manager: 200, approver: 200, auditor: 200, admin: 200 }],
      ['pending', { none: UNAUTHENTICATED, 'wrong-audience': UNAUTHENTICATED, outsider: FORBIDDEN, manager: FORBIDDEN, approver: 200, auditor: FORBIDDEN, admin: 200 }],
      ['all', { none: UNAUTHENTICATED, 'wrong-audience': UNAUTHENTICATED, outsider: FORBIDDEN, manager: FORBIDDEN, approver: 200, auditor: 200, admin: 200 }],
    ];
    for (const [scope, expected] of scopes) {
      await matrix('listTapRequests', `GET /api/tap-requests?scope=${scope}`, (caller) => call(list, `/api/tap-requests?scope=${scope}`, caller), {
        rows: expected,
        refusalEvents: () => 0,
        onSuccess: (caller, result) => {
          const requests = result.body.requests as { id: string; requesterId: string; status: string }[];
          if (scope === 'mine') {
            expect(requests.every((r) => r.requesterId === local.userId(caller)), `${scope} as ${caller}`).toBe(true);
            if (caller === 'manager') expect(requests.map((r) => r.id)).toEqual(expect.arrayContaining([mineId, pendingId]));
            if (caller === 'outsider') expect(requests).toEqual([]);
          }
          if (scope === 'pending') {
            expect(requests.every((r) => r.status === 'pending_approval')).toBe(true);
            expect(requests.map((r) => r.id)).toContain(pendingId);
            expect(requests.map((r) => r.id)).not.toContain(mineId);
          }
          if (scope === 'all') expect(requests.map((r) => r.id)).toEqual(expect.arrayContaining([mineId, pendingId]));
        },
      });
    }
    for (const caller of SIGNED_IN) {
      expectProblem(await call(list, '/api/tap-requests?scope=everything', caller), 400, 'validation-failed', `scope=everything as ${caller}`);
    }
  });

  it('GET /api/tap-requests/{id}: its requester, approvers, auditors and admins; not-found for anyone else, for unknown ids and for a malformed one', async () => {
    const get = await route('tap-requests/[id]', 'GET');
    const id = await approvedRequest();
    await matrix(
      'getTapRequest',
      'GET /api/tap-requests/{id}',
      (caller) => call(get, `/api/tap-requests/${id}`, caller, { params: { id } }),
      {
        refusalEvents: () => 0,
        onSuccess: (_caller, result) => {
          expect(result.body).toMatchObject({ id, status: 'approved', requesterId: local.userId('manager'), targetUserId: local.userId('report') });
          expect(result.body).not.toHaveProperty('temporaryAccessPass');
        },
      },
    );
    for (const caller of SIGNED_IN) {
      const unknown = '6f1d2c3b-4a5e-4f60-8718-293a4b5c6d7e';
      expectProblem(await call(get, `/api/tap-requests/${unknown}`, caller, { params: { id: unknown } }), 404, 'not-found', `${unknown} as ${caller}`);
      const malformed = await call(get, '/api/tap-requests/not-a-uuid', caller, { params: { id: 'not-a-uuid' } });
      expectProblem(malformed, 404, 'not-found', `not-a-uuid as ${caller}`);
      expect(malformed.body, caller).not.toHaveProperty('errors');
    }
  });

  it('POST …/approve: approvers and admins; a refusal leaves the request pending', async () => {
    const approve = await route('tap-requests/[id]/approve', 'POST');
    await matrix(
      'approveTapRequest',
      'POST /api/tap-requests/{id}/approve',
      (caller, id) => call(approve, `/api/tap-requests/${id}/approve`, caller, { method: 'POST', params: { id: id! }, body: { comment: 'ok' } }),
      {
        prepare: pendingRequest,
        onSuccess: (caller, result, id) => {
          expect(result.body).toMatchObject({ id, status: 'approved', decidedBy: local.userId(caller) });
        },
      },
    );
  });

  it('POST …/deny: approvers and admins, with a reason; a refusal leaves the request pending', async () => {
    const deny = await route('tap-requests/[id]/deny', 'POST');
    await matrix(
      'denyTapRequest',
      'POST /api/tap-requests/{id}/deny',
      (caller, id) => call(deny, `/api/tap-requests/${id}/deny`, caller, { method: 'POST', params: { id: id! }, body: { reason: 'Not needed.' } }),
      {
        prepare: pendingRequest,
        onSuccess: (caller, result, id) => {
          expect(result.body).toMatchObject({ id, status: 'denied', decidedBy: local.userId(caller) });
        },
      },
    );
    const id = await pendingRequest();
    const before = await snapshot();
    expectProblem(await call(deny, `/api/tap-requests/${id}/deny`, 'approver', { method: 'POST', params: { id }, body: {} }), 400, 'validation-failed', 'deny without a reason');
    await expectNothingChanged(before, 'approver', 'at-most-1', 'deny without a reason');
  });

  it('POST …/issue: the requester only — everyone else, whatever their role, gets not-found', async () => {
    const issue = await route('tap-requests/[id]/issue', 'POST');
    await matrix(
      'issueTap',
      'POST /api/tap-requests/{id}/issue',
      (caller, id) => call(issue, `/api/tap-requests/${id}/issue`, caller, { method: 'POST', params: { id: id! } }),
      {
        prepare: approvedRequest,
        onSuccess: async (_caller, result, id) => {
          expect(Object.keys(result.body).sort()).toEqual(['expiresDateTime', 'isUsableOnce', 'lifetimeInMinutes', 'methodId', 'startDateTime', 'temporaryAccessPass']);
          const row = await (await getDb()).tapRequest.findUniqueOrThrow({ where: { id: id! } });
          expect(row.status).toBe('issued');
          // The pass is in the response and nowhere in the row.
          expect(JSON.stringify(row)).not.toContain(String(result.body.temporaryAccessPass));
        },
      },
    );
  });

  it('POST …/revoke: the requester and admins; approvers and auditors are forbidden, others see nothing', async () => {
    const revoke = await route('tap-requests/[id]/revoke', 'POST');
    await matrix(
      'revokeTap',
      'POST /api/tap-requests/{id}/revoke',
      (caller, id) => call(revoke, `/api/tap-requests/${id}/revoke`, caller, { method: 'POST', params: { id: id! } }),
      {
        prepare: issuedRequest,
        onSuccess: (_caller, result, id) => {
          expect(result.body).toMatchObject({ id, status: 'revoked' });
        },
      },
    );
  });

  it('POST …/withdraw: the requester only, with or without a reason; approvers, auditors and admins are forbidden, others see nothing', async () => {
    const withdraw = await route('tap-requests/[id]/withdraw', 'POST');
    await matrix(
      'withdrawTapRequest',
      'POST /api/tap-requests/{id}/withdraw',
      (caller, id) => call(withdraw, `/api/tap-requests/${id}/withdraw`, caller, { method: 'POST', params: { id: id! } }),
      {
        // Approved, not pending: the refusals leave their fixture behind, and pending ones would fill the requester's cap.
        prepare: approvedRequest,
        onSuccess: (_caller, result, id) => {
          expect(result.body).toMatchObject({ id, status: 'withdrawn' });
          expect(result.body).not.toHaveProperty('withdrawReason');
        },
      },
    );
    const id = await pendingRequest();
    const withReason = await call(withdraw, `/api/tap-requests/${id}/withdraw`, 'manager', { method: 'POST', params: { id }, body: { reason: 'Found the phone.' } });
    expect(withReason.status, JSON.stringify(withReason.body)).toBe(200);
    expect(withReason.body).toMatchObject({ status: 'withdrawn', withdrawReason: 'Found the phone.' });
    const before = await snapshot();
    expectProblem(await call(withdraw, `/api/tap-requests/${id}/withdraw`, 'manager', { method: 'POST', params: { id } }), 409, 'conflict', 'withdraw twice');
    await expectNothingChanged(before, 'manager', 0, 'withdraw twice');
    expectProblem(
      await call(withdraw, `/api/tap-requests/${id}/withdraw`, 'manager', { method: 'POST', params: { id }, body: { reason: 'x', extra: 1 } }),
      400,
      'validation-failed',
      'withdraw with an unknown field',
    );
  });
});

// ---- audit and policy -------------------------------------------------------------------------------

describe('audit and policy routes', () => {
  it('GET /api/audit: auditors and admins', async () => {
    const get = await route('audit', 'GET');
    await matrix('listAuditEvents', 'GET /api/audit', (caller) => call(get, '/api/audit', caller), {
      refusalEvents: () => 0,
      onSuccess: (_caller, result) => {
        expect(Array.isArray(result.body.events)).toBe(true);
        expect(result.body).toHaveProperty('nextCursor');
      },
    });
  });

  it('GET /api/audit/people: auditors and admins find people the trail names, by name or UPN', async () => {
    const get = await route('audit/people', 'GET');
    await matrix('listAuditPeople', 'GET /api/audit/people?q=a', (caller) => call(get, '/api/audit/people?q=a', caller), {
      refusalEvents: () => 0,
      onSuccess: (_caller, result) => {
        expect(Array.isArray(result.body.people)).toBe(true);
      },
    });
    for (const caller of ['auditor', 'admin'] as const) {
      const before = await snapshot();
      expectProblem(await call(get, '/api/audit/people?name=a', caller), 400, 'validation-failed', `an unknown parameter as ${caller}`);
      await expectNothingChanged(before, caller, 0, `an unknown parameter as ${caller}`);
    }
  });

  it('GET /api/audit/verify: auditors and admins; the trail built by this file verifies', async () => {
    const verify = await route('audit/verify', 'GET');
    await matrix('verifyAuditChain', 'GET /api/audit/verify', (caller) => call(verify, '/api/audit/verify', caller), {
      refusalEvents: () => 0,
      onSuccess: async (_caller, result) => {
        const count = await (await getDb()).auditEvent.count();
        expect(result.body).toMatchObject({ ok: true, count });
        expect(result.body.firstBrokenSeq).toBeUndefined();
      },
    });
  });

  it('GET /api/dashboard: auditors and admins', async () => {
    const get = await route('dashboard', 'GET');
    await matrix('getDashboardStats', 'GET /api/dashboard', (caller) => call(get, '/api/dashboard', caller), {
      refusalEvents: () => 0,
      onSuccess: async (_caller, result) => {
        expect(result.body).toMatchObject({ windowDays: 30 });
        expect(result.body.issuedPerDay).toHaveLength(30);
        const waiting = await (await getDb()).tapRequest.count({ where: { status: 'pending_approval' } });
        expect(result.body.approvalsWaiting).toMatchObject({ count: waiting });
      },
    });
  });

  it('GET /api/audit/export: auditors and admins get every event with its seq and hashes', async () => {
    const get = await route('audit/export', 'GET');
    await matrix('exportAuditEvents', 'GET /api/audit/export?format=jsonl', (caller) => call(get, '/api/audit/export?format=jsonl', caller), {
      refusalEvents: () => 0,
      onSuccess: async (_caller, result) => {
        const lines = result.text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
        const stored = await (await getDb()).auditEvent.findMany({ orderBy: { seq: 'asc' } });
        const exported = lines.filter((l) => 'hash' in l);
        // Every event before the export itself (which may be written first, and then included).
        for (const event of stored.filter((e) => e.type !== 'audit.exported')) {
          expect(exported).toContainEqual(expect.objectContaining({ seq: Number(event.seq), id: event.id, type: event.type, prevHash: event.prevHash, hash: event.hash }));
        }
      },
    });
    for (const caller of ['auditor', 'admin'] as const) {
      const before = await snapshot();
      expectProblem(await call(get, '/api/audit/export?format=xml', caller), 400, 'validation-failed', `format=xml as ${caller}`);
      await expectNothingChanged(before, caller, 0, `format=xml as ${caller}`);
    }
  });

  it('GET /api/audit/export/{exportId}/manifest: auditors and admins get the signed manifest of an export', async () => {
    const exported = await call(await route('audit/export', 'GET'), '/api/audit/export?format=csv', 'auditor');
    expect(exported.status).toBe(200);
    const exportId = exported.headers.get('x-export-id') ?? '';
    const manifest = await route('audit/export/[exportId]/manifest', 'GET');
    await matrix('getAuditExportManifest', 'GET /api/audit/export/{exportId}/manifest', (caller) => call(manifest, `/api/audit/export/${exportId}/manifest`, caller, { params: { exportId } }), {
      refusalEvents: () => 0,
      onSuccess: (_caller, result) => {
        expect(result.body).toMatchObject({ exportId });
        expect(result.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.manifest\.json"$/);
      },
    });
    const unknown = 'c0000000-0000-4000-8000-000000000000';
    expectProblem(await call(manifest, `/api/audit/export/${unknown}/manifest`, 'auditor', { params: { exportId: unknown } }), 404, 'not-found', 'an unknown export');
    expectProblem(await call(manifest, '/api/audit/export/x/manifest', 'auditor', { params: { exportId: 'x' } }), 404, 'not-found', 'a malformed export id');
  });

  it('GET /api/policy: approvers, auditors and admins', async () => {
    const get = await route('policy', 'GET');
    await matrix(
      'getPolicySettings',
      'GET /api/policy',
      (caller) => call(get, '/api/policy', caller),
      {
        refusalEvents: () => 0,
        onSuccess: (_caller, result) => {
          expect(result.body).toMatchObject({ requireApproval: expect.any(String), version: expect.any(Number) });
        },
      },
    );
  });

  it('GET /api/policy/limits: anyone signed in', async () => {
    const get = await route('policy/limits', 'GET');
    await matrix(
      'getPolicyLimits',
      'GET /api/policy/limits',
      (caller) => call(get, '/api/policy/limits', caller),
      {
        onSuccess: (_caller, result) => {
          expect(result.body).toMatchObject({ defaultLifetimeInMinutes: 60, maxLifetimeInMinutes: 480, minLifetimeInMinutes: 60, isUsableOnce: true });
        },
      },
    );
  });

  it('PUT /api/policy: admins only; each save is a new version', async () => {
    const put = await route('policy', 'PUT');
    const policy = await currentPolicy();
    await matrix(
      'updatePolicy',
      'PUT /api/policy',
      (caller) => call(put, '/api/policy', caller, { method: 'PUT', body: policy }),
      {
        refusalEvents: () => 0,
        onSuccess: async (_caller, result) => {
          const versions = await (await getDb()).policyVersion.findMany({ orderBy: { version: 'desc' }, take: 1 });
          expect(result.body).toMatchObject({ ...policy, version: versions[0]!.version });
          expect(versions[0]!.createdBy).toBe(local.userId('admin'));
        },
      },
    );
    const before = await snapshot();
    expectProblem(await call(put, '/api/policy', 'admin', { method: 'PUT', body: { ...policy, maxLifetimeInMinutes: 100_000 } }), 400, 'validation-failed', 'over the tenant maximum');
    await expectNothingChanged(before, 'admin', 'at-most-1', 'an invalid policy');
  });

  it('POST /api/policy/preview: admins only; writes nothing', async () => {
    const preview = await route('policy/preview', 'POST');
    const policy = await currentPolicy();
    await matrix('previewPolicy', 'POST /api/policy/preview', (caller) => call(preview, '/api/policy/preview', caller, { method: 'POST', body: policy }), {
      refusalEvents: () => 0,
      onSuccess: (_caller, result) => {
        expect(result.body).toHaveProperty('tenantViolations');
      },
    });
  });

  it('POST /api/policy/versions/{version}/restore: admins only; each restore is a new version with the reason', async () => {
    const restore = await route('policy/versions/[version]/restore', 'POST');
    const body = { changeReason: 'Back to the first version' };
    await matrix(
      'restorePolicyVersion',
      'POST /api/policy/versions/1/restore',
      (caller) => call(restore, '/api/policy/versions/1/restore', caller, { method: 'POST', params: { version: '1' }, body }),
      {
        refusalEvents: () => 0,
        onSuccess: async (_caller, result) => {
          const [newest] = await (await getDb()).policyVersion.findMany({ orderBy: { version: 'desc' }, take: 1 });
          expect(result.body).toMatchObject({ version: newest!.version });
          expect(newest).toMatchObject({ restoredFromVersion: 1, changeReason: body.changeReason, createdBy: local.userId('admin') });
        },
      },
    );
    const before = await snapshot();
    const url = '/api/policy/versions/1/restore';
    expectProblem(await call(restore, url, 'admin', { method: 'POST', params: { version: '1' }, body: {} }), 400, 'validation-failed', 'no reason');
    expectProblem(await call(restore, url, 'admin', { method: 'POST', params: { version: '999' }, body }), 404, 'not-found', 'no such version');
    expectProblem(await call(restore, url, 'admin', { method: 'POST', params: { version: 'one' }, body }), 404, 'not-found', 'not a number');
    await expectNothingChanged(before, 'admin', 0, 'a refused restore');
  });
});

describe("the client's headers in the audit trail", () => {
  // What a client can put in its headers: a token-shaped user agent, a claimed address and its own request id.
  const HOSTILE = {
    'user-agent': 'tool/1 Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    'x-forwarded-for': '203.0.113.66',
    'x-request-id': 'client-id-42',
  };
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  async function newestEvent(type: string) {
    const event = await (await getDb()).auditEvent.findFirstOrThrow({ where: { type }, orderBy: { seq: 'desc' } });
    return { event, context: (event.data as Record<string, unknown>).context };
  }

  it('an audited call succeeds with them: the server id, no address without a trusted proxy, the user agent redacted', async () => {
    const result = await call(await route('audit/export', 'GET'), '/api/audit/export?format=jsonl', 'auditor', { headers: HOSTILE });
    expect(result.status, result.text).toBe(200);
    const serverId = result.headers.get('x-request-id');
    expect(serverId).toMatch(UUID);
    const { event, context } = await newestEvent('audit.exported');
    expect(context).toEqual({ requestId: serverId, ip: null, userAgent: 'tool/1 Bearer [redacted]', clientRequestId: 'client-id-42' });
    expect(JSON.stringify(event.data)).not.toMatch(/203\.0\.113\.66|eyJ/);
    expect(await verifyAuditChain(await getDb())).toMatchObject({ ok: true });
  });

  it('a refusal is answered and audited the same way, not turned into a 500', async () => {
    const before = await snapshot();
    const result = await call(await route('tap-requests', 'POST'), '/api/tap-requests', 'outsider', {
      method: 'POST',
      body: { targetUserId: 'd4c3b2a1-0f9e-4d8c-8b7a-6f5e4d3c2b1a', justification: JUSTIFICATION },
      headers: HOSTILE,
    });
    expectProblem(result, 403, 'not-in-reporting-chain', 'hostile headers');
    await expectNothingChanged(before, 'outsider', 1, 'hostile headers');
    const { context } = await newestEvent('tap_request.refused');
    expect(context).toEqual({ requestId: result.headers.get('x-request-id'), ip: null, userAgent: 'tool/1 Bearer [redacted]', clientRequestId: 'client-id-42' });
    expect(await verifyAuditChain(await getDb())).toMatchObject({ ok: true });
  });
});

// ---- every route module ---------------------------------------------------------------------------

describe('every route under app/api', () => {
  /** Routes that read no token (docs/api-contract.md#authentication), and the catch-all 404. Anything else must demand one. */
  const OPEN_ROUTES = new Set(['config', 'health', 'health/ready', 'openapi.json', 'audit/public-key', '[...path]']);
  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

  function routeModules(): string[] {
    const root = path.join(process.cwd(), 'app/api');
    return (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => path.basename(file) === 'route.ts')
      .map((file) => path.dirname(file).split(path.sep).join('/'))
      .sort();
  }

  it('refuses a token the portal API did not issue to the portal (another azp) on every route, and none is open by accident', async () => {
    const modules = routeModules();
    expect(modules).toEqual(expect.arrayContaining(['me', 'policy', 'tap-requests/[id]/issue', 'health/details']));
    let checked = 0;
    for (const modulePath of modules) {
      const mod = (await import(/* @vite-ignore */ `@/app/api/${modulePath}/route`)) as Partial<Record<string, RouteHandler>>;
      // Made-up values for dynamic segments: authentication comes before any lookup.
      const params: Record<string, string | string[]> = {};
      const urlPath = modulePath
        .split('/')
        .map((segment) => {
          const catchAll = /^\[\.\.\.(\w+)\]$/.exec(segment);
          if (catchAll) {
            params[catchAll[1]!] = ['nope'];
            return 'nope';
          }
          const dynamic = /^\[(\w+)\]$/.exec(segment);
          if (dynamic) {
            params[dynamic[1]!] = '6f1d2c3b-4a5e-4f60-8718-293a4b5c6d7e';
            return params[dynamic[1]!] as string;
          }
          return segment;
        })
        .join('/');
      for (const method of METHODS) {
        const handler = mod[method];
        if (handler === undefined) continue;
        const label = `${method} /api/${modulePath}`;
        const body = method === 'GET' || method === 'DELETE' ? undefined : {};
        const anonymous = await call(handler, `/api/${urlPath}`, 'none', { method, params, body });
        if (anonymous.status !== 401) {
          expect(OPEN_ROUTES.has(modulePath), `${label} answers ${anonymous.status} without a token`).toBe(true);
          continue;
        }
        const before = await snapshot();
        const foreign = await call(handler, `/api/${urlPath}`, 'foreign-client', { method, params, body });
        expectProblem(foreign, 401, 'unauthenticated', `${label} as foreign-client`);
        expect(foreign.body.detail, label).toBe('The access token is invalid.');
        await expectNothingChanged(before, 'foreign-client', 0, `${label} as foreign-client`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

// ---- the matrix covers every route ------------------------------------------------------------------

describe('the authorization matrix', () => {
  /** The routes the tests above did not call as every caller, called here by their row alone when they need no fixture. */
  it('calls every operation of every route module under app/api as every caller', async () => {
    const routes = listDeclaredApiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(26);
    for (const declared of routes) {
      const id = declared.operation as OperationId | null;
      expect(id, `${declared.method} ${declared.path} (${declared.file}) names no operation`).not.toBeNull();
      if (id === null || exercised.has(id)) continue;
      // Only reads without path parameters can be called without a fixture; anything else needs its own test above.
      if (declared.method !== 'GET' || declared.params.length > 0) continue;
      const modulePath = path.posix.dirname(declared.file).replace(/^app\/api\//, '');
      const handler = await route(modulePath, 'GET');
      await matrix(id, `${declared.method} ${declared.path}`, (caller) => call(handler, declared.path, caller), { refusalEvents: () => 0 });
    }
    const missing = routes.filter((declared) => !exercised.has(declared.operation as OperationId)).map((declared) => `${declared.method} ${declared.path}`);
    expect(missing, 'routes without a matrix test').toEqual([]);
  });
});
