/**
 * An issuance whose Graph create the budget never let out: another instance was throttled between
 * this issuance's check and its create, the hold outlasts the wait, and the create is refused
 * unsent. Nothing exists in Graph, so the request goes straight back to `approved` (audited as
 * `not-sent`, retryable) instead of waiting, `issuing`, for the reconciler; a retry then issues.
 * The budget keeps its count behind `getDb()`, so the use cases run on that same database.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkIssue } from '@/lib/broker/check-issue';
import { createPass } from '@/lib/broker/create-pass';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import { issueTap } from '@/lib/broker/issue-tap';
import { requestTap } from '@/lib/broker/request-tap';
import { startIssue } from '@/lib/broker/start-issue';
import { findRequest } from '@/lib/broker/tap-request-store';
import { BrokerError } from '@/lib/core/errors';
import { getDb, type PrismaClient } from '@/lib/db/client';
import { holdRate } from '@/lib/db/rate-window';
import { resetEnvForTests } from '@/lib/env';
import { GRAPH_BUDGET_KEY } from '@/lib/graph/graph-budget';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';
import { useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { actorsFor, auditTypesFor, capturingContext, graphTapMethods, lifecycleSeed, storePolicy, tapCreates } from '@/lib/testing/tap-requests';

let local: LocalTenant;
let restoreDb: () => Promise<void>;
let db: PrismaClient;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  restoreDb = await useFreshRouteDatabase();
  db = await getDb();
  actor = actorsFor(local);
  await storePolicy(db, { maxIssuancesPerManagerPerDay: 1000 });
  process.env.GRAPH_BUDGET_PER_SECOND = '100';
  process.env.GRAPH_BUDGET_MAX_WAIT_SECONDS = '2';
  resetEnvForTests();
});

afterAll(async () => {
  await restoreDb?.();
  await local?.close();
});

it('a create the Graph budget refused unsent: 503 with Retry-After, back to approved (audited not-sent), a retry issues', async () => {
  const mgr = await actor('mgr');
  const reportId = local.userId('report');
  const created = await requestTap(mgr, { targetUserId: reportId, justification: 'Lost phone, needs a new authenticator' }, capture.ctx(), { db });
  expect(created.status).toBe('approved');

  const request = await findRequest(db, created.id);
  if (request === null) throw new Error('the request was not stored');
  const policy = await getCurrentPolicy(db);
  const check = await checkIssue(db, mgr, request, policy, capture.ctx());
  const intent = await startIssue(db, mgr, request, policy, check, capture.ctx());
  // Meanwhile another instance was throttled for a minute.
  await holdRate(db, GRAPH_BUDGET_KEY, 60_000);
  const creates = tapCreates(local);

  const refused = await createPass(db, mgr.id, request, intent, check.evidence, capture.ctx()).catch((error: unknown) => error);

  expect(refused).toBeInstanceOf(BrokerError);
  expect(refused).toMatchObject({ code: 'upstream-unavailable', status: 503 });
  expect((refused as BrokerError).retryAfterSeconds).toBeGreaterThan(2);
  expect(tapCreates(local)).toBe(creates);
  expect(await graphTapMethods(local, reportId)).toEqual([]);
  expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: 'approved', methodId: null });
  expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issue_failed']);
  const failed = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.issue_failed' } });
  expect(failed.data).toMatchObject({ outcome: 'not-sent', retryable: true, newStatus: 'approved', graphStatus: null, idempotencyKey: intent.idempotencyKey });

  await db.$executeRaw`DELETE FROM rate_hold`;
  const issued = await issueTap(mgr, { id: created.id }, capture.ctx(), { db });
  expect((await graphTapMethods(local, reportId)).map((m) => m.id)).toEqual([issued.methodId]);
  expect(capture.lines.join('')).not.toContain(issued.temporaryAccessPass);
});
