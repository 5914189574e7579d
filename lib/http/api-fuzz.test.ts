/**
 * Hostile input at every route: generated bodies, query strings, path ids and headers, from
 * every kind of caller. Whatever arrives, the answer is a 2xx/4xx — never a 5xx — and the audit
 * trail still verifies afterwards. The generator is seeded: a failure names its case and repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '@/lib/contract/problem';
import { operations } from '@/lib/contract/routes';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { getDb } from '@/lib/db/client';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';

const CASES_PER_OPERATION = 24;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

let local: LocalTenant;
let dropDatabase: (() => Promise<void>) | undefined;
const tokens: (string | undefined)[] = [undefined];

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'admin', displayName: 'Ann Admin', appRoles: ['TapBroker.Admin'] },
      { upn: 'manager', displayName: 'Max Manager', manager: 'admin' },
      { upn: 'report', displayName: 'Rita Report', manager: 'manager' },
      // Directory text the audit trail refuses: the caller did nothing wrong, and cannot fix it.
      { upn: 'tokenname', displayName: JWT, manager: 'manager' },
      { upn: 'approver', displayName: 'Al Approver', appRoles: ['TapBroker.Approver'] },
      { upn: 'auditor', displayName: 'Aud Auditor', appRoles: ['TapBroker.Auditor'] },
    ]),
  );
  dropDatabase = await useFreshRouteDatabase();
  for (const upn of ['admin', 'manager', 'approver', 'auditor']) tokens.push(await local.getUserToken(upn));
});

afterAll(async () => {
  await dropDatabase?.();
  await local?.close();
});

/** mulberry32: small, seeded, good enough to pick test cases. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '',
  ' ',
  'Lost the phone with the authenticator on it.',
  'nul\u0000inside a justification of some length',
  'lone \ud800 surrogate in a justification text',
  'reversed \udc00 low surrogate first in the text',
  `a token ${JWT} pasted into the justification`,
  'Bearer abcdefghijklmnopqrstuvwxyz0123456789',
  '-----BEGIN PRIVATE KEY-----',
  '=HYPERLINK("https://evil.test","x")@x.test',
  '+1+1@x.test',
  'x'.repeat(5000),
  '../../etc/passwd',
  '%00',
  '\u202eevil',
  'emoji 😀 and text to be long enough',
  'c1',
  'mine',
  'all',
  'csv',
  '2026-01-01',
  '2026-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000000',
  'null',
];
const NUMBERS = [0, -1, 1, 10, 59, 480, 1e308, -1e308, 2 ** 53 + 1, 0.5];
const FIELDS = [
  'targetUserId',
  'justification',
  'lifetimeInMinutes',
  'isUsableOnce',
  'startDateTime',
  'comment',
  'reason',
  'maxDepth',
  'requireApproval',
  'defaultLifetimeInMinutes',
  'maxLifetimeInMinutes',
  'approvalValidityMinutes',
  'maxIssuancesPerManagerPerDay',
  'maxPendingRequestsPerRequester',
  'allowedDirectoryRoleTemplateIds',
  'protectedGroupIds',
  'stepUpAuthContextId',
  'stepUpActions',
  'scope',
  'from',
  'to',
  'type',
  'actorId',
  'targetId',
  'requestId',
  'limit',
  'cursor',
  'format',
  '__proto__',
  'constructor',
];
// Header values must be ISO-8859-1 without line breaks or NUL: what a client can really send.
const HEADER_VALUES = ['', `tool/1 ${JWT}`, 'Bearer abcdefghijklmnopqrstuvwxyz0123456789', 'x'.repeat(4000), '1.2.3.4, 5.6.7.8', 'not an ip', '<script>', 'é\u00ff'];

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)] as T;
}

function value(next: () => number, depth = 0): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 4 : 7));
  switch (kind) {
    case 0:
    case 1:
      return pick(next, STRINGS);
    case 2:
      return pick(next, NUMBERS);
    case 3:
      return pick(next, [true, false, null]);
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick(next, FIELDS), value(next, depth + 1)]));
  }
}

/** Bodies a route accepts but for one hostile field: they reach the core, Graph and the audit trail. */
function nearlyValid(next: () => number, operationId: string): Record<string, unknown> | null {
  const text = () => pick(next, STRINGS);
  switch (operationId) {
    case 'createTapRequest':
      return { targetUserId: pick(next, [local.userId('report'), local.userId('tokenname'), text()]), justification: pick(next, [text(), 'Lost the phone with the authenticator on it.']) };
    case 'approveTapRequest':
      return { comment: text() };
    case 'denyTapRequest':
      return { reason: text() };
    default:
      return null;
  }
}

function body(next: () => number, operationId: string): { text: string | undefined; type: string | undefined } {
  const template = nearlyValid(next, operationId);
  if (template !== null && next() < 0.5) return { text: JSON.stringify(template), type: 'application/json' };
  const shape = Math.floor(next() * 6);
  if (shape === 0) return { text: undefined, type: undefined };
  if (shape === 1) return { text: pick(next, ['{', '[]', 'null', '"x"', '{"a":1}{', '\u0000']), type: 'application/json' };
  if (shape === 2) return { text: '{"justification":"x"}', type: pick(next, ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) };
  const fields = Array.from({ length: 1 + Math.floor(next() * 6) }, () => [pick(next, FIELDS), value(next)] as const);
  return { text: JSON.stringify(Object.fromEntries(fields)), type: 'application/json' };
}

function query(next: () => number): string {
  const params = new URLSearchParams();
  // Half the time, the audit filters a query accepts, with hostile values.
  if (next() < 0.5) params.set(pick(next, ['type', 'actorId', 'targetId', 'cursor']), pick(next, STRINGS));
  for (let i = Math.floor(next() * 4); i > 0; i--) params.append(pick(next, FIELDS), String(value(next, 4)));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const pathId = (next: () => number) => pick(next, ['6f1d2c3b-4a5e-4f60-8718-293a4b5c6d7e', 'not-a-uuid', '%00', '..', 'x'.repeat(300), '6F1D2C3B-4A5E-4F60-8718-293A4B5C6D7E']);

describe('token-shaped text from the directory', () => {
  it('refuses a request for a user whose displayName looks like a JWT with a 400 naming the field, and changes nothing', async () => {
    const db = await getDb();
    const before = { requests: await db.tapRequest.count(), events: await db.auditEvent.count() };
    const create = await loadRouteHandler('tap-requests', 'POST');
    const response = await create(
      new Request('http://localhost:3000/api/tap-requests', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[2]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ targetUserId: local.userId('tokenname'), justification: 'Lost the phone with the authenticator on it.' }),
      }),
      { params: Promise.resolve({}) },
    );
    const text = await response.text();
    expect(response.status).toBe(400);
    const problem = JSON.parse(text) as Problem;
    expect(problem).toMatchObject({ code: 'validation-failed', errors: [{ path: 'data.targetDisplayName', message: expect.stringMatching(/JWT.*administrator/) }] });
    // Which attribute, and that an administrator — not the caller — must fix it.
    expect(problem.detail).toMatch(/displayName.*directory administrator must correct/);
    expect(text).not.toContain('eyJ');
    expect({ requests: await db.tapRequest.count(), events: await db.auditEvent.count() }).toEqual(before);
    expect(await db.tapRequest.count({ where: { targetUserId: local.userId('tokenname') } })).toBe(0);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});

describe('every route under hostile input', () => {
  it('never answers 5xx, and the audit trail verifies afterwards', async () => {
    const failures: string[] = [];
    let calls = 0;
    // One request that surely reaches the core and the audit trail, with hostile headers.
    const create = await loadRouteHandler('tap-requests', 'POST');
    const created = await create(
      new Request('http://localhost:3000/api/tap-requests', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[2]}`, 'content-type': 'application/json', 'user-agent': `tool/1 ${JWT}`, 'x-request-id': '<script>' },
        body: JSON.stringify({ targetUserId: local.userId('report'), justification: 'Lost the phone with the authenticator on it.' }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(created.status).toBe(201);
    for (const [index, op] of operations.entries()) {
      const handler = await loadRouteHandler(op.path.replace(/^\/api\//, '').replace(/\{(\w+)\}/g, '[$1]'), op.method);
      const next = random(1000 + index);
      for (let n = 0; n < CASES_PER_OPERATION; n++) {
        const token = pick(next, tokens);
        const params: Record<string, string> = {};
        const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (params[name] = pathId(next)));
        const headers = new Headers({ 'user-agent': pick(next, HEADER_VALUES), 'x-forwarded-for': pick(next, HEADER_VALUES), 'x-request-id': pick(next, HEADER_VALUES) });
        if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
        const sent = op.method === 'GET' ? { text: undefined, type: undefined } : body(next, op.id);
        if (sent.type !== undefined) headers.set('content-type', sent.type);
        const url = `http://localhost:3000${path}${query(next)}`;
        const request = new Request(url, { method: op.method, headers, body: sent.text });
        const response = await handler(request, { params: Promise.resolve(params) });
        await response.text();
        calls++;
        if (response.status >= 500) failures.push(`${op.id} case ${n}: ${response.status} for ${op.method} ${url} body ${JSON.stringify(sent.text?.slice(0, 200))}`);
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBe(operations.length * CASES_PER_OPERATION);
    const verification = await verifyAuditChain(await getDb());
    expect(verification.ok).toBe(true);
    expect(verification.count).toBeGreaterThan(0);
  }, 300_000);
});
