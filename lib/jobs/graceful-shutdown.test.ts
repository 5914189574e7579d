/**
 * The drain a SIGTERM starts (`drainProcess`), in-process against the local tenant and the
 * process-wide database as the portal uses it (`getDb()`; PostgreSQL when the suite has one):
 * readiness answers draining at once; an issuance in flight (slowed by Graph latency) completes
 * and is recorded before the drain ends; the background jobs stop and release what they held —
 * the org mirror lease and the notification rows claimed but not sent — which the database
 * shows afterwards; and the timeout cuts a drain that cannot finish, naming what it cut.
 *
 * The signal handler itself (`installGracefulShutdown`) ends the process, so the last test runs it
 * in a child process (lib/testing/graceful-shutdown-child.ts) that serves the real route modules
 * and copies what Next's own SIGTERM handler does — Next's itself needs a built portal
 * (`next build`); the campaign's load test SIGTERMs a real instance.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { getReadiness } from '@/lib/broker/get-readiness';
import { requestTap } from '@/lib/broker/request-tap';
import { clearDraining, trackRequest } from '@/lib/core/draining';
import { closeDb, getDb } from '@/lib/db/client';
import { resetEnvForTests } from '@/lib/env';
import { startBackgroundJobs, stopBackgroundJobs } from '@/lib/jobs/background-jobs';
import { drainProcess } from '@/lib/jobs/graceful-shutdown';
import { startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';
import { loadRouteHandler, useFreshRouteDatabase } from '@/lib/testing/route-harness';
import { actorsFor, auditTypesFor, capturingContext, lifecycleSeedWithMailbox, setFaults, TEST_MAILBOX } from '@/lib/testing/tap-requests';
import { defaultFaults } from '@/tenant/faults';
import { getMailLog } from '@/tenant/mail-log';

const saved = { MAIL_SENDER: process.env.MAIL_SENDER, MAIL_DIGEST_MINUTES: process.env.MAIL_DIGEST_MINUTES, ORG_MIRROR_SYNC_SECONDS: process.env.ORG_MIRROR_SYNC_SECONDS };

let local: LocalTenant;
let dropFreshDatabase: (() => Promise<void>) | undefined;
let actor: ReturnType<typeof actorsFor>;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeedWithMailbox());
  dropFreshDatabase = await useFreshRouteDatabase();
  process.env.MAIL_SENDER = TEST_MAILBOX;
  process.env.MAIL_DIGEST_MINUTES = '0';
  process.env.ORG_MIRROR_SYNC_SECONDS = '60';
  resetEnvForTests();
  actor = actorsFor(local);
});

afterEach(async () => {
  Object.assign(local.tenant.ctx.faults, defaultFaults());
  await stopBackgroundJobs();
  clearDraining();
});

afterAll(async () => {
  await dropFreshDatabase?.();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
  await local?.close();
});

/** Re-reads until `done` holds: waits on an outcome the background jobs make visible in the database. */
async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('waits for an issuance in flight, which completes and is recorded; readiness answers draining meanwhile', async () => {
  const mgr = await actor('mgr');
  const created = await requestTap(mgr, { targetUserId: local.userId('report'), justification: 'Replacement phone, needs to enrol again' }, capture.ctx(), { db: await getDb() });
  expect(created.status).toBe('approved');
  const issue = await loadRouteHandler('tap-requests/[id]/issue', 'POST');
  const token = await local.getUserToken('mgr');
  // Every Graph round trip of the issuance is slowed, so the drain starts while it is in flight.
  setFaults(local, { latencyMs: 300 });
  const order: string[] = [];
  const issuing = issue(new Request(`http://localhost:3000/api/tap-requests/${created.id}/issue`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }), {
    params: Promise.resolve({ id: created.id }),
  }).then((response) => {
    order.push('issue answered');
    return response;
  });
  const draining = drainProcess({ timeoutMs: 60_000 }).then((result) => {
    order.push('drained');
    return result;
  });

  expect(await getReadiness()).toEqual({ status: 'draining', checks: { database: 'draining', migrations: 'draining', graph: 'draining' } });
  const ready = await loadRouteHandler('health/ready', 'GET');
  expect((await ready(new Request('http://localhost:3000/api/health/ready'), { params: Promise.resolve({}) })).status).toBe(503);

  const [response, result] = await Promise.all([issuing, draining]);
  expect(response.status).toBe(201);
  expect(result).toEqual({ completed: true, cut: [] });
  expect(order).toEqual(['issue answered', 'drained']);
  // The drain closed the database; reopened, it holds the issuance, recorded.
  const db = await getDb();
  expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id }, select: { status: true } })).toEqual({ status: 'issued' });
  expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued']);
});

it('stops the background jobs and releases the org mirror lease and the notification rows claimed but not sent', async () => {
  const db = await getDb();
  // Only this test's mail in the outbox (the issuance above queued some of its own).
  await db.notification.deleteMany();
  const subjects = ['Drain 1', 'Drain 2', 'Drain 3', 'Drain 4', 'Drain 5'];
  for (const subject of subjects) {
    await db.notification.create({ data: { kind: 'approval_requested', recipientAddress: `approver@${TEST_DOMAIN}`, subject, bodyText: subject, bodyHtml: `<p>${subject}</p>` } });
  }
  const mailsBefore = getMailLog(local.tenant.ctx).length;
  // Slow Graph: the mirror's first delta page and each mail take long enough to be caught in flight
  // together (the mirror holds its lease from its claim until its page came back, seconds later).
  setFaults(local, { latencyMs: 3_000 });
  startBackgroundJobs();
  // The tenant counts a request before its latency: a counted sendMail is a mail in flight.
  const sendMails = () => Object.entries(local.tenant.ctx.stats.graph).reduce((sum, [template, n]) => sum + (template.includes('sendMail') ? n : 0), 0);
  const sendMailsBefore = sendMails();
  await until('the mirror lease and a mail in flight', async () => {
    const state = await db.orgMirrorState.findUnique({ where: { id: 1 } });
    return state?.leaseOwner != null && sendMails() > sendMailsBefore;
  });

  const result = await drainProcess({ timeoutMs: 60_000 });
  expect(result).toEqual({ completed: true, cut: [] });

  const after = await getDb();
  expect(await after.orgMirrorState.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({ leaseOwner: null, leaseUntil: null, lastStartedAt: null, status: 'never' });
  const rows = await after.notification.findMany({ where: { subject: { in: subjects } }, orderBy: { createdAt: 'asc' } });
  expect(rows.filter((row) => row.status === 'sending')).toEqual([]);
  const sent = rows.filter((row) => row.status === 'sent');
  const handedBack = rows.filter((row) => row.status === 'pending');
  expect(sent.length + handedBack.length).toBe(subjects.length);
  // The mail in flight finished and was recorded; the rest were handed back, due now, unattempted.
  expect(sent.length).toBeGreaterThanOrEqual(1);
  expect(handedBack.length).toBeGreaterThanOrEqual(1);
  for (const row of handedBack) {
    expect(row.attempts).toBe(0);
    expect(row.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
  }
  const mailed = getMailLog(local.tenant.ctx).slice(mailsBefore).map((mail) => mail.subject);
  expect(mailed.sort()).toEqual(sent.map((row) => row.subject).sort());
  expect(await after.auditFullVerification.count({ where: { outcome: 'running' } })).toBe(0);
});

it('is cut by its timeout when a request in flight never finishes, naming what it cut', async () => {
  let finish!: () => void;
  const stuck = trackRequest(() => new Promise<void>((resolve) => (finish = resolve)));
  const result = await drainProcess({ timeoutMs: 100 });
  expect(result).toEqual({ completed: false, cut: ['requests', 'database', 'telemetry'] });
  finish();
  await stuck;
  await closeDb();
});

it('as a process: SIGTERM during an issuance — it answers 201 and is recorded, then the process exits 143 once drained', async () => {
  const mgr = await actor('mgr');
  const created = await requestTap(mgr, { targetUserId: local.userId('report2'), justification: 'Replacement phone, needs to enrol again' }, capture.ctx(), { db: await getDb() });
  expect(created.status).toBe('approved');
  const token = await local.getUserToken('mgr');
  // The child opens the database itself (the embedded one allows one process at a time).
  await closeDb();
  const child = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', 'lib/testing/graceful-shutdown-child.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  try {
    await until('the child to listen', async () => /listening \d+/.test(output.join('')) || child.exitCode !== null);
    const port = Number(/listening (\d+)/.exec(output.join(''))?.[1]);
    expect(port, output.join('')).toBeGreaterThan(0);

    // Slow Graph; the tenant counts a request on arrival, so a counted create is one in flight.
    setFaults(local, { latencyMs: 1_500 });
    const creates = () => Object.entries(local.tenant.ctx.stats.graph).reduce((sum, [template, n]) => sum + (template.startsWith('POST') && template.includes('temporaryAccessPassMethods') ? n : 0), 0);
    const createsBefore = creates();
    const issuing = fetch(`http://127.0.0.1:${port}/api/tap-requests/${created.id}/issue`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await until('the pass create to reach Graph', async () => creates() > createsBefore);
    child.kill('SIGTERM');

    const response = await issuing;
    expect(response.status).toBe(201);
    expect(await exited).toBe(143);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const messages = output
    .join('')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { msg?: string; status?: number; path?: string }];
      } catch {
        return [];
      }
    });
  const started = messages.findIndex((m) => m.msg?.startsWith('draining') === true);
  const answered = messages.findIndex((m) => m.msg === 'request completed' && m.status === 201);
  const drained = messages.findIndex((m) => m.msg === 'drained');
  expect({ started: started >= 0, answered: answered > started, drained: drained > answered }, output.join('')).toEqual({ started: true, answered: true, drained: true });

  const db = await getDb();
  expect(await db.tapRequest.findUniqueOrThrow({ where: { id: created.id }, select: { status: true } })).toEqual({ status: 'issued' });
  expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued']);
  expect(await db.orgMirrorState.findUnique({ where: { id: 1 }, select: { leaseOwner: true } })).not.toMatchObject({ leaseOwner: expect.any(String) });
});
