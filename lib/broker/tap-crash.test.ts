/**
 * A real crash between the Graph create and the database write: a child process issues a pass,
 * the tenant creates it and never answers (fault `tapCreateHangNext`), the parent SIGKILLs the
 * child once the tenant has counted the create. The request is left `issuing`; the reconciler
 * then deletes the pass nobody received, puts the request back to `approved` and audits it, and
 * the requester can issue again. Also: the database going away while Graph creates the pass —
 * the pass is withdrawn, and the reconciler completes the request once the database is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { issueTap } from '@/lib/broker/issue-tap';
import { reconcileTapRequests } from '@/lib/broker/reconcile-tap-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { actorsFor, auditTypesFor, capturingContext, graphTapMethods, lifecycleSeed, setFaults, tapCreates } from '@/lib/testing/tap-requests';
import { openDb, type DbConfig, type OpenDb } from '@/lib/db/client';
import { applyMigrations } from '@/lib/db/migrate';
import { openEmbeddedPglite } from '@/lib/db/embedded-pglite';
import { createScratchPostgresDatabase } from '@/lib/testing/db';
import pg from 'pg';
import { startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let config: DbConfig;
let dataDir: string | undefined;
let dropScratch: (() => Promise<void>) | undefined;
let child: ChildProcess | undefined;
const capture = capturingContext();

beforeAll(async () => {
  local = await startLocalTenant(lifecycleSeed());
  // A database both processes can open: PostgreSQL when the orchestrator provides a server,
  // else an embedded PGlite folder (whose lock the parent takes over from the dead child).
  if (process.env.TEST_DATABASE_URL) {
    const scratch = await createScratchPostgresDatabase();
    dropScratch = scratch.drop;
    await applyMigrations({ url: scratch.url });
    config = { kind: 'postgres', url: scratch.url };
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tap-crash-'));
    const embedded = await openEmbeddedPglite(dataDir);
    try {
      await applyMigrations({ pglite: embedded.pglite });
    } finally {
      await embedded.close();
    }
    config = { kind: 'pglite', dataDir };
  }
});

/**
 * Takes the database away from `open` (already-open connections included): PGlite is closed;
 * on PostgreSQL new connections are refused and existing ones terminated. Returns the undo.
 */
async function takeDatabaseAway(open: OpenDb): Promise<() => Promise<void>> {
  if (config.kind === 'pglite') {
    await open.close();
    return async () => undefined;
  }
  const name = new URL(config.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  return async () => {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    await admin.end();
    await open.close();
  };
}

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await local?.close();
  await dropScratch?.();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

async function withDb<T>(fn: (db: OpenDb['prisma']) => Promise<T>): Promise<T> {
  const open = await openDb(config);
  try {
    return await fn(open.prisma);
  } finally {
    await open.close();
  }
}

/** Polls an observable condition (the tenant's counters, the child's exit) up to a deadline. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

it('SIGKILL while Graph holds the created pass: the reconciler deletes it and the request recovers', async () => {
  const actor = actorsFor(local);
  const mgr = await actor('mgr');
  const targetId = local.userId('report');
  const created = await withDb((db) => requestTap(mgr, { targetUserId: targetId, justification: 'Crash test: lost authenticator app' }, capture.ctx(), { db }));
  expect(created.status).toBe('approved');

  setFaults(local, { tapCreateHangNext: 1 });
  const creates = tapCreates(local);
  const output: string[] = [];
  child = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', 'lib/broker/tap-crash-child.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      ...(config.kind === 'postgres' ? { DATABASE_URL: config.url } : { DATABASE_URL: '', DATA_DIR: config.dataDir }),
      CRASH_TEST_ACTOR: JSON.stringify(mgr),
      CRASH_TEST_REQUEST_ID: created.id,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const running = child;
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => running.on('exit', (code, signal) => resolve(signal ?? code)));

  await waitFor('the tenant to create the pass', () => tapCreates(local) > creates || running.exitCode !== null);
  expect(running.exitCode, output.join('')).toBeNull();
  expect(tapCreates(local)).toBe(creates + 1);
  const [method] = await graphTapMethods(local, targetId);
  expect(method).toBeDefined();

  running.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(output.join('')).not.toMatch(/issued /);

  await withDb(async (db) => {
    // What the crash left: the intent, and no outcome.
    const row = await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ status: 'issuing', methodId: null });
    expect(row.intentAt).not.toBeNull();
    expect(await auditTypesFor(db, created.id)).toEqual(['tap_request.created', 'tap_request.approved', 'tap.issue_started']);

    // A young intent is left alone by the default threshold (a live create may still answer).
    expect((await reconcileTapRequests({}, capture.ctx(), { db })).reconciled).toBe(0);
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('issuing');

    const summary = await reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), { db });
    expect(summary).toMatchObject({ reconciled: 1, deletedMethods: 1, errors: 0 });
    expect(await graphTapMethods(local, targetId)).toEqual([]);
    expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('approved');
    const reconciled = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.reconciled' } });
    expect(reconciled).toMatchObject({ actorId: 'system' });
    expect(reconciled.data).toMatchObject({ foundMethodIds: [method?.id], deletedMethodIds: [method?.id], newStatus: 'approved', idempotencyKey: row.idempotencyKey });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });

    // Idempotent, and the requester can now obtain the pass.
    expect((await reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), { db })).reconciled).toBe(0);
    const issued = await issueTap(mgr, { id: created.id }, capture.ctx(), { db });
    expect((await graphTapMethods(local, targetId)).map((m) => m.id)).toEqual([issued.methodId]);
    expect(await auditTypesFor(db, created.id)).toEqual([
      'tap_request.created',
      'tap_request.approved',
      'tap.issue_started',
      'tap.reconciled',
      'tap.issue_started',
      'tap.issued',
    ]);
  });
}, 60_000);

it('the database goes away while Graph creates the pass: 503, the pass is withdrawn, the reconciler completes', async () => {
  const actor = actorsFor(local);
  const mgr = await actor('mgr');
  const targetId = local.userId('report2');
  const open = await openDb(config);
  let restore: (() => Promise<void>) | undefined;
  try {
    const created = await requestTap(mgr, { targetUserId: targetId, justification: 'Database outage test: new phone' }, capture.ctx(), { db: open.prisma });
    const createKey = 'POST /v1.0/users/{id}/authentication/temporaryAccessPassMethods';
    const createsSeen = local.tenant.ctx.stats.graph[createKey] ?? 0;
    const creates = tapCreates(local);
    // Graph answers every request 1.5 s late: time to pull the database away once the create arrived.
    setFaults(local, { latencyMs: 1500 });
    const issuing = issueTap(mgr, { id: created.id }, capture.ctx(), { db: open.prisma }).then(
      () => 'issued',
      (error: unknown) => error,
    );
    await waitFor('the create to reach Graph', () => (local.tenant.ctx.stats.graph[createKey] ?? 0) > createsSeen);
    restore = await takeDatabaseAway(open);
    const outcome = await issuing;
    setFaults(local, { latencyMs: 0 });
    expect(outcome).toMatchObject({ code: 'upstream-unavailable', status: 503 });
    // Created in Graph, then withdrawn because it could not be recorded: nobody holds a pass.
    expect(tapCreates(local)).toBe(creates + 1);
    expect(await graphTapMethods(local, targetId)).toEqual([]);
    await restore();
    restore = undefined;

    await withDb(async (db) => {
      expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('issuing');
      const summary = await reconcileTapRequests({ olderThanMs: 0 }, capture.ctx(), { db });
      expect(summary).toMatchObject({ reconciled: 1, deletedMethods: 0, errors: 0 });
      expect((await db.tapRequest.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('approved');
      const reconciled = await db.auditEvent.findFirstOrThrow({ where: { requestId: created.id, type: 'tap.reconciled' } });
      expect(reconciled.data).toMatchObject({ foundMethodIds: [], deletedMethodIds: [], newStatus: 'approved' });
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
    });
  } finally {
    setFaults(local, { latencyMs: 0 });
    await restore?.();
    await open.close();
  }
}, 60_000);
