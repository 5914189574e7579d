/**
 * The contract against the code it describes:
 * - every route module under app/api names the operation the table has for its method and path
 *   (and with it `allow` and the input schemas), and each operation declares the problems its kind
 *   of caller meets;
 * - the OpenAPI document validates as OpenAPI 3.1, every `$ref` in it resolves, and
 *   `GET /api/openapi.json` serves it;
 * - answers the server builds (request views, policies, audit pages, manifests, problems) parse
 *   with their contract schemas without losing a field, and the vocabularies the server keeps
 *   apart (request statuses in the database, audit event types in the catalogue) match the
 *   contract's, so the contract cannot drift from the server unnoticed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GET as getOpenApiRoute } from '@/app/api/openapi.json/route';
import { appendAuditEvent } from '@/lib/audit/append-audit-event';
import { auditCatalogue } from '@/lib/audit/catalogue';
import { startAuditExport } from '@/lib/audit/export-audit-events';
import { listAuditEvents } from '@/lib/audit/list-audit-events';
import { buildAuditExportManifest } from '@/lib/audit/manifest';
import { getAuditSigningKey } from '@/lib/audit/signing-key';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { verifyAuditChainIncrementally } from '@/lib/audit/verify-audit-chain-incrementally';
import { APP_ROLES as SERVER_APP_ROLES, type Actor } from '@/lib/auth/actor';
import { getDashboardStats } from '@/lib/broker/get-dashboard-stats';
import { getMe } from '@/lib/broker/get-me';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { getPassStatuses } from '@/lib/broker/get-pass-status';
import { getTapRequest } from '@/lib/broker/get-tap-request';
import { listTapRequests } from '@/lib/broker/list-tap-requests';
import * as serverPolicy from '@/lib/broker/policy';
import { toRequestView } from '@/lib/broker/to-request-view';
import {
  AUDIT_EVENT_LABELS,
  AUDIT_EVENT_TYPES,
  auditExportManifestSchema,
  auditPageSchema,
  auditPublicJwkSchema,
  auditVerificationSchema,
} from '@/lib/contract/audit';
import { dashboardStatsSchema } from '@/lib/contract/dashboard';
import { buildOpenApiDocument, getOpenApiDocument } from '@/lib/contract/openapi';
import * as contractPolicy from '@/lib/contract/policy';
import { PROBLEM_CODES, PROBLEM_STATUS, problemSchema, type ProblemCode } from '@/lib/contract/problem';
import { APP_ROLES } from '@/lib/contract/roles';
import { getOperationResponses, operations, problem, type Operation } from '@/lib/contract/routes';
import { meSchema } from '@/lib/contract/session';
import { passStatusListSchema, TAP_REQUEST_STATUSES, tapRequestListSchema, tapRequestSchema } from '@/lib/contract/tap-requests';
import { BROKER_ERROR_STATUS, BrokerError, type BrokerErrorCode } from '@/lib/core/errors';
import { TapRequestStatus } from '@/lib/db/generated/enums';
import { errorToResponse } from '@/lib/http/problem';
import { createLogger } from '@/lib/log';
import { listDeclaredApiRoutes, type DeclaredRoute } from '@/lib/testing/api-route-files';
import { TEST_CONTEXT } from '@/lib/testing/audit';
import { createTestDb, type TestDb } from '@/lib/testing/db';

const table = operations as readonly Operation[];

/** Parses `value` with `schema` and checks nothing was dropped or changed: the schema declares every field the server sent. */
function expectExactly(schema: z.core.$ZodType, value: unknown): void {
  const result = z.safeParse(schema, value);
  expect(result.success ? null : result.error.issues).toBeNull();
  expect(result.data).toEqual(value);
}

const key = (method: string, routePath: string) => `${method} ${routePath}`;

/** What is wrong between the route files and the table, one line each, naming the route or operation. */
function compareRoutesWithTable(routes: readonly DeclaredRoute[], ops: readonly Operation[]): string[] {
  const problems: string[] = [];
  const byKey = new Map(ops.map((op) => [key(op.method, op.path), op]));
  const routeKeys = new Set(routes.map((route) => key(route.method, route.path)));
  for (const route of routes) {
    const op = byKey.get(key(route.method, route.path));
    if (op === undefined) {
      problems.push(`${key(route.method, route.path)} (${route.file}) has no operation in lib/contract/routes.ts`);
      continue;
    }
    if (route.operation !== op.id) {
      problems.push(`${key(route.method, route.path)}: ${route.file} names operation ${String(route.operation)}, the table ${op.id}`);
    }
    const params = Object.keys(op.params?._zod.def.shape ?? {});
    if (JSON.stringify(params) !== JSON.stringify(route.params)) {
      problems.push(`${key(route.method, route.path)}: path parameters ${JSON.stringify(route.params)} in ${route.file}, ${JSON.stringify(params)} in the operation`);
    }
  }
  for (const op of ops) {
    if (!routeKeys.has(key(op.method, op.path))) problems.push(`operation ${op.id} (${key(op.method, op.path)}) has no route module under app/api`);
  }
  return problems;
}

describe('the route table', () => {
  const routes = listDeclaredApiRoutes();

  it('has exactly one operation for every exported method of every app/api route module, and no other', () => {
    expect(routes.length).toBeGreaterThanOrEqual(26);
    expect(compareRoutesWithTable(routes, table)).toEqual([]);
    const keys = table.map((op) => key(op.method, op.path));
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    const ids = table.map((op) => op.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('reports a route without an operation and an operation without a route by name', () => {
    const extraRoute: DeclaredRoute = { file: 'app/api/widgets/route.ts', method: 'GET', path: '/api/widgets', params: [], operation: 'listWidgets' };
    const getHealth = table.find((op) => op.id === 'getHealth') as Operation;
    const orphan: Operation = { ...getHealth, id: 'listGadgets', path: '/api/gadgets' };
    const wrongOperation: DeclaredRoute = { ...(routes.find((r) => r.path === '/api/me') as DeclaredRoute), operation: 'getConfig' };
    expect(compareRoutesWithTable([...routes.filter((r) => r.path !== '/api/me'), extraRoute, wrongOperation], [...table, orphan])).toEqual([
      'GET /api/widgets (app/api/widgets/route.ts) has no operation in lib/contract/routes.ts',
      'GET /api/me: app/api/me/route.ts names operation getConfig, the table getMe',
      'operation listGadgets (GET /api/gadgets) has no route module under app/api',
    ]);
  });

  it('declares the refusals each kind of caller meets: 401 and 429 with a token, 403 with roles, 400 with input', () => {
    const missing: string[] = [];
    for (const op of table) {
      const responses = getOperationResponses(op);
      const codes = (status: number): readonly ProblemCode[] => {
        const spec = responses[status];
        return spec !== undefined && !(spec instanceof z.core.$ZodType) && spec.kind === 'problem' ? spec.codes : [];
      };
      if (!Object.keys(op.responses).some((status) => Number(status) >= 200 && Number(status) < 300)) missing.push(`${op.id}: no success`);
      if (op.allow !== 'anyone' && !codes(401).includes('unauthenticated')) missing.push(`${op.id}: 401 unauthenticated`);
      if (op.allow !== 'anyone' && !codes(503).includes('upstream-unavailable')) missing.push(`${op.id}: 503 (the token's keys are fetched)`);
      if (op.allow !== 'anyone' && !codes(429).includes('rate-limited')) missing.push(`${op.id}: 429 rate-limited (the per-user API budget)`);
      if (op.allow === 'anyone' && codes(429).length > 0) missing.push(`${op.id}: no 429 (routes open to anyone are not counted)`);
      if (typeof op.allow !== 'string' && !codes(403).includes('forbidden')) missing.push(`${op.id}: 403 forbidden`);
      if ((op.query !== undefined || op.body !== undefined) && !codes(400).includes('validation-failed')) missing.push(`${op.id}: 400 validation-failed`);
      if (op.params !== undefined && !codes(404).includes('not-found')) missing.push(`${op.id}: 404 not-found`);
      for (const [status, spec] of Object.entries(responses)) {
        if (!(spec instanceof z.core.$ZodType) && spec.kind === 'problem') {
          for (const code of spec.codes) if (PROBLEM_STATUS[code] !== Number(status)) missing.push(`${op.id}: ${code} under ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('refuses a query parameter an operation does not declare, on every operation with a query', () => {
    const lenient = table.filter((op) => op.query !== undefined && !(z.safeParse(op.query, { undeclared: '1' }).error?.issues ?? []).some((issue) => issue.code === 'unrecognized_keys'));
    expect(lenient.map((op) => op.id)).toEqual([]);
    expect(table.filter((op) => op.query !== undefined).length).toBeGreaterThanOrEqual(4);
  });
});

describe('the OpenAPI document', () => {
  const document = getOpenApiDocument();

  it('validates as OpenAPI 3.1', async () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('refuses a broken document (the validator is not a rubber stamp)', async () => {
    const broken = structuredClone(document) as Record<string, unknown>;
    delete broken.info;
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);
  });

  it('resolves every $ref', () => {
    const refs = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === 'object' && value !== null) {
        for (const [k, v] of Object.entries(value)) {
          if (k === '$ref' && typeof v === 'string') refs.add(v);
          else walk(v);
        }
      }
    };
    walk(document);
    const unresolved = [...refs].filter((ref) => {
      let node: unknown = document;
      for (const part of ref.replace(/^#\//, '').split('/')) {
        node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
      }
      return !ref.startsWith('#/') || node === undefined;
    });
    expect(refs.size).toBeGreaterThan(10);
    expect(unresolved).toEqual([]);
  });

  it('describes every operation of the table, with its security, parameters and problems', () => {
    const documented = Object.entries(document.paths).flatMap(([p, item]) => Object.keys(item).map((method) => key(method.toUpperCase(), p)));
    expect(documented.sort()).toEqual(table.map((op) => key(op.method, op.path)).sort());

    const approve = document.paths['/api/tap-requests/{id}/approve']?.post as Record<string, unknown>;
    expect(approve.security).toEqual([{ entraAccessToken: [APP_ROLES.approver] }, { entraAccessToken: [APP_ROLES.admin] }]);
    expect(approve.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(approve.requestBody).toMatchObject({ required: false });
    expect(approve.responses).toMatchObject({
      '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/TapRequest' } } } },
      '401': { $ref: '#/components/responses/UnauthenticatedOrStepUpRequired' },
      '500': { $ref: '#/components/responses/InternalError' },
    });
    expect(document.paths['/api/health']?.get).toMatchObject({ security: [] });
    expect(document.paths['/api/me']?.get).toMatchObject({ security: [{ entraAccessToken: [] }], responses: { '429': { $ref: '#/components/responses/RateLimited' } } });
    // Counted against the caller's budget only when there is a caller; the issuance quota's 429 stays.
    expect(Object.keys(document.paths['/api/health']?.get?.responses ?? {})).not.toContain('429');
    expect(document.paths['/api/tap-requests/{id}/issue']?.post).toMatchObject({ responses: { '429': { $ref: '#/components/responses/RateLimited' } } });
    // The query's default makes `scope` optional for a client.
    expect(document.paths['/api/tap-requests']?.get).toMatchObject({
      parameters: [{ name: 'scope', in: 'query', required: false, schema: { enum: ['mine', 'pending', 'all'], default: 'mine' } }],
    });
    const stepUp = document.components.responses as Record<string, { headers: Record<string, unknown> }>;
    expect(Object.keys(stepUp.UnauthenticatedOrStepUpRequired?.headers ?? {})).toContain('WWW-Authenticate');
    expect(Object.keys(stepUp.RateLimited?.headers ?? {})).toContain('Retry-After');
  });

  it('refuses a problem listed under a status it is never sent with', () => {
    const getHealth = table.find((op) => op.id === 'getHealth') as Operation;
    expect(() => buildOpenApiDocument([{ ...getHealth, responses: { 200: getHealth.responses[200] as z.core.$ZodType, 500: problem('upstream-unavailable') } }])).toThrow(
      /upstream-unavailable is not sent with status 500/,
    );
  });

  it('is served at GET /api/openapi.json to anyone', async () => {
    const response = await getOpenApiRoute(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body: unknown = await response.json();
    expect(body).toEqual(JSON.parse(JSON.stringify(document)));
    const declared = table.find((op) => op.id === 'getOpenApiDocument')?.responses[200];
    expect(declared !== undefined && !(declared instanceof z.core.$ZodType) && declared.kind === 'json' && z.safeParse(declared.schema, body).success).toBe(true);
  });
});

describe('the contract and the server agree', () => {
  // Roles, problem statuses, eligibility reasons, the policy's rules and the audit queries are the
  // contract's own objects on the server: only the copies the server cannot import are compared.
  it('on the vocabularies the database and the audit writer hold: request statuses, audit event types', () => {
    expect([...TAP_REQUEST_STATUSES]).toEqual(Object.values(TapRequestStatus));
    expect([...AUDIT_EVENT_TYPES].sort()).toEqual(Object.keys(auditCatalogue).sort());
    expect(Object.values(AUDIT_EVENT_LABELS).every((label) => label.length > 0)).toBe(true);
  });

  it('on problems: every code the server sends parses, with its extras', async () => {
    const log = createLogger(undefined, 'silent');
    const errors: BrokerError[] = [
      ...(Object.keys(BROKER_ERROR_STATUS) as BrokerErrorCode[]).map((code) => new BrokerError(code)),
      new BrokerError('validation-failed', undefined, { errors: [{ path: 'lifetimeInMinutes', message: 'too long' }] }),
      new BrokerError('target-ineligible', undefined, { reasons: ['privileged-role', 'cannot-verify'] }),
      new BrokerError('step-up-required', undefined, { authContextId: 'c1' }),
      new BrokerError('rate-limited', undefined, { retryAfterSeconds: 30 }),
    ];
    for (const error of [...errors, new Error('boom'), new z.ZodError([])]) {
      const response = errorToResponse(error, log);
      const body: unknown = await response.json();
      expectExactly(problemSchema, body);
      expect(response.status).toBe(PROBLEM_STATUS[(body as { code: keyof typeof PROBLEM_STATUS }).code]);
    }
    expect(PROBLEM_CODES).toContain('internal-error');
  });

  it('on answers built without a database: the request view, the policy, the caller', () => {
    const full = {
      id: '5b3c1b8e-7f1a-4c33-9d3e-6a1f0e2b4c5d',
      status: 'revoked' as const,
      requesterId: 'a0000000-0000-4000-8000-00000000000a',
      targetUserId: 'c0000000-0000-4000-8000-000000000001',
      targetDisplayName: 'Adele Vance',
      targetUserPrincipalName: 'adele@contoso.test',
      requesterDisplayName: 'Megan Bowen',
      chainDisplayNames: ['Megan Bowen'],
      decidedByDisplayName: 'Alex Wilber',
      justification: 'Lost the phone with the authenticator app.',
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      startDateTime: new Date('2026-01-02T10:00:00Z'),
      createdAt: new Date('2026-01-02T09:00:00Z'),
      decidedBy: 'a0000000-0000-4000-8000-00000000000b',
      decidedAt: new Date('2026-01-02T09:10:00Z'),
      decisionComment: 'ok',
      approvalExpiresAt: new Date('2026-01-03T09:10:00Z'),
      issuedAt: new Date('2026-01-02T10:00:00Z'),
      expiresDateTime: new Date('2026-01-02T11:00:00Z'),
      methodId: 'm-1',
      replacedMethodId: 'm-0',
      revokedAt: new Date('2026-01-02T10:30:00Z'),
      revokedBy: 'a0000000-0000-4000-8000-00000000000a',
      passOutcome: 'removed',
      passOutcomeAt: new Date('2026-01-02T10:31:00Z'),
      replacedByRequestId: null,
      withdrawnAt: null,
      withdrawReason: null,
      failureCode: null,
      failureReason: null,
      chain: ['a0000000-0000-4000-8000-00000000000a'],
      depth: 1,
      policyVersion: 1,
    };
    expectExactly(tapRequestSchema, toRequestView(full));
    const minimal = {
      ...full,
      status: 'failed' as const,
      targetUserPrincipalName: null,
      requesterDisplayName: null,
      decidedByDisplayName: null,
      startDateTime: null,
      decidedBy: null,
      decidedAt: null,
      decisionComment: null,
      approvalExpiresAt: null,
      issuedAt: null,
      expiresDateTime: null,
      methodId: null,
      replacedMethodId: null,
      revokedAt: null,
      revokedBy: null,
      passOutcome: null,
      passOutcomeAt: null,
      failureCode: 'target-ineligible',
      failureReason: 'The target is no longer eligible (guest).',
    };
    expectExactly(tapRequestSchema, toRequestView(minimal));
    expect(tapRequestSchema.safeParse({ ...toRequestView(minimal), status: 'lost' }).success).toBe(false);

    expectExactly(contractPolicy.policySchema, serverPolicy.getDefaultPolicy());
    const actor: Actor = {
      id: 'a0000000-0000-4000-8000-00000000000a',
      tenantId: 't',
      displayName: 'Megan Bowen',
      userPrincipalName: 'megan@contoso.test',
      roles: [SERVER_APP_ROLES.auditor, SERVER_APP_ROLES.admin],
      authContexts: [],
      tokenIssuedAt: null,
    };
    expectExactly(meSchema, getMe(actor));
  });

  describe('on answers read from the database', () => {
    let db: TestDb;
    let dataDir: string;
    const requester: Actor = {
      id: 'a0000000-0000-4000-8000-00000000000a',
      tenantId: 't',
      displayName: 'Megan Bowen',
      userPrincipalName: 'megan@contoso.test',
      roles: [SERVER_APP_ROLES.admin],
      authContexts: [],
      tokenIssuedAt: null,
    };

    beforeAll(async () => {
      db = await createTestDb();
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'contract-'));
      const base = {
        requesterId: requester.id,
        targetUserId: 'c0000000-0000-4000-8000-000000000001',
        targetDisplayName: 'Adele Vance',
        justification: 'Lost the phone with the authenticator app.',
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        chain: [requester.id],
        depth: 1,
        policyVersion: 1,
      };
      const revoked = await db.prisma.tapRequest.create({
        data: { ...base, status: 'revoked', createdAt: new Date(Date.now() - 60_000), issuedAt: new Date(), methodId: 'm-1', revokedAt: new Date(), revokedBy: requester.id, decidedBy: 'system', decidedAt: new Date() },
      });
      await db.prisma.tapRequest.create({ data: { ...base, status: 'pending_approval', depth: 2, chain: ['b', requester.id] } });
      await db.prisma.$transaction((tx) =>
        appendAuditEvent(tx, {
          type: 'tap.revoked',
          actorId: requester.id,
          targetId: base.targetUserId,
          requestId: revoked.id,
          data: { methodId: 'm-1', revokedBy: requester.id, methodDeleted: true, graphRequestId: null, policyVersion: 1 },
          context: TEST_CONTEXT,
        }),
      );
      await db.prisma.$transaction((tx) =>
        appendAuditEvent(tx, { type: 'tap_request.refused', actorId: requester.id, data: { stage: 'create', code: 'target-ineligible', reasons: ['guest'] }, context: TEST_CONTEXT }),
      );
    });
    afterAll(async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('requests, pass statuses and the policy in force', async () => {
      const { requests } = await listTapRequests(requester, { scope: 'all' }, { db: db.prisma });
      expect(requests).toHaveLength(2);
      expectExactly(tapRequestListSchema, { requests });
      expectExactly(tapRequestSchema, await getTapRequest(requester, { id: requests[0]?.id ?? '' }, { db: db.prisma }));
      // Only a revoked pass is listed, so Graph is not asked.
      expectExactly(passStatusListSchema, await getPassStatuses(requester, { scope: 'mine' }, { log: createLogger(undefined, 'silent') }, { db: db.prisma }));
      expectExactly(contractPolicy.policySchema, await getCurrentPolicy(db.prisma));
    });

    it('the audit page, the chain verification, the dashboard and a signed export manifest', async () => {
      const page = await listAuditEvents(db.prisma, { limit: 1 });
      expect(page.nextCursor).not.toBeNull();
      expectExactly(auditPageSchema, page);
      expectExactly(auditVerificationSchema, await verifyAuditChain(db.prisma));
      expectExactly(auditVerificationSchema, await verifyAuditChainIncrementally(db.prisma));
      expectExactly(dashboardStatsSchema, await getDashboardStats(requester, db.prisma));

      const record = await startAuditExport(db.prisma, requester, { format: 'jsonl' }, TEST_CONTEXT);
      const key = getAuditSigningKey({ dataDir });
      expectExactly(auditExportManifestSchema, await buildAuditExportManifest(db.prisma, record.exportId, key));
      expectExactly(auditPublicJwkSchema, key.publicKeyJwk);
    });
  });
});
