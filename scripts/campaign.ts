/**
 * `npm run campaign [-- --short] [--instances N] [--managers N] [--seconds N]`
 *
 * A load and fault campaign against the production topology on loopback (PostgreSQL, the local
 * tenant in this process, N portal instances behind HAProxy): virtual managers work through the
 * balancer for the duration while the faults of scripts/lib/campaign/faults.ts happen one at a
 * time; then the reconciler is let settle and the checks run. Prints a table and, last,
 * `N passed, M failed`; exits 0 only when every check passed. A full run (3 instances,
 * 200 managers, 120 s) writes docs/campaign-summary.md; `--short` (3 instances, 30 managers,
 * 30 s) only prints.
 *
 * Bounded: the load stops at its deadline (extended until the last fault is over), every call
 * times out after 30 s, the settling wait after 4 minutes (the reconciler resolves an `issuing`
 * request once its intent is 2 minutes old, on a 60 s tick).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { prng } from '../tenant/prng';
import { accountForPasses, checkExactlyOnce, classifyFailures, latencyByOperation, type AuditKey, type CallRecord } from './lib/campaign/checks';
import { faultSteps, runFaultSchedule } from './lib/campaign/faults';
import { createApiClient, getTokens, runLoad } from './lib/campaign/load';
import { CAMPAIGN_PASSWORD, writeCampaignSeed } from './lib/campaign/org';
import { renderTable, tally, writeSummary, type CampaignRow } from './lib/campaign/report';
import { startProdStack, type ProdStack } from './lib/prod-stack';
import { findLeakedPasses } from './lib/leak-check';
import { isBuildStale, repoRoot, runNextBuild } from './lib/stack';

interface Options {
  short: boolean;
  instances: number;
  managers: number;
  seconds: number;
}

function parseArgs(argv: string[]): Options {
  const short = argv.includes('--short');
  const opts: Options = short ? { short, instances: 3, managers: 30, seconds: 30 } : { short, instances: 3, managers: 200, seconds: 120 };
  for (const key of ['instances', 'managers', 'seconds'] as const) {
    const i = argv.indexOf(`--${key}`);
    if (i === -1) continue;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} needs a positive whole number`);
    opts[key] = n;
  }
  if (opts.instances < 2) throw new Error('--instances must be at least 2: the instance faults need one to stay up');
  return opts;
}

const log = (line: string) => console.log(`[campaign ${new Date().toISOString().slice(11, 19)}] ${line}`);
const SETTLE_LIMIT_MS = 240_000;

/** The admin's policy for the run: approval for indirect reports only, quotas out of the way. */
async function setPolicy(api: ReturnType<typeof createApiClient>, adminToken: string): Promise<void> {
  const current = await api.call(adminToken, 'GET', '/api/policy');
  if (current.status !== 200 || current.json === null) throw new Error(`reading the policy: ${current.status}`);
  const { tenantTapPolicy: _tenant, version: _version, ...policy } = current.json;
  const saved = await api.call(adminToken, 'PUT', '/api/policy', { ...policy, requireApproval: 'indirect-only', maxDepth: 2, maxIssuancesPerManagerPerDay: 10_000, stepUpAuthContextId: null, stepUpActions: [] });
  if (saved.status !== 200) throw new Error(`saving the campaign policy: ${saved.status} ${JSON.stringify(saved.json)}`);
}

/** Polls until no request is `issuing` and the notification outbox holds nothing to send, or the limit. */
async function settle(db: pg.Client): Promise<{ ms: number; issuing: number; waiting: number; outbox: Record<string, number> }> {
  const started = Date.now();
  for (;;) {
    const issuing = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM tap_request WHERE status = 'issuing'`)).rows[0]!.n);
    const outbox = Object.fromEntries(
      (await db.query<{ status: string; n: string }>(`SELECT status || CASE WHEN status IN ('pending', 'sending') THEN ' ' || kind || ' after ' || attempts || ' attempts' ELSE '' END AS status, count(*) AS n FROM notification GROUP BY 1`)).rows.map((r) => [r.status, Number(r.n)]),
    );
    const waiting = Object.entries(outbox).filter(([k]) => k.startsWith('pending') || k.startsWith('sending')).reduce((a, [, n]) => a + n, 0);
    if ((issuing === 0 && waiting === 0) || Date.now() - started > SETTLE_LIMIT_MS) return { ms: Date.now() - started, issuing, waiting, outbox };
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

const fmt = (ms: number) => `${Math.round(ms)} ms`;
const first = (xs: readonly string[]) => (xs.length === 0 ? '' : `; e.g. ${xs.slice(0, 3).join('; ')}`);

async function checkRows(stack: ProdStack, db: pg.Client, calls: CallRecord[], windows: { fault: string; start: number; end: number }[], load: { passes: Set<string>; issuedRequestIds: string[] }, output: string, auditorToken: string, api: ReturnType<typeof createApiClient>): Promise<CampaignRow[]> {
  const rows: CampaignRow[] = [];
  const ok2xx = (op: string) => calls.filter((c) => c.op === op && c.status >= 200 && c.status < 300).length;
  const approvals = ok2xx('approve');
  rows.push({ check: 'the load ran every step', ok: ok2xx('create request') > 0 && approvals > 0 && load.issuedRequestIds.length > 0 && ok2xx('revoke') > 0 && ok2xx('read audit trail') > 0, figures: `${calls.length} calls; ${ok2xx('create request')} requests, ${approvals} approved by an approver, ${load.issuedRequestIds.length} passes issued, ${ok2xx('revoke')} revoked` });
  const statuses = new Map<string, number>();
  for (const c of calls) {
    if (c.status < 400 && c.status !== 0) continue;
    const key = `${c.op} ${c.status}${c.code === undefined ? '' : ` ${c.code}`}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  rows.push({ check: 'refusals and failures by operation (all windows)', ok: null, figures: [...statuses].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none' });

  const { outside, byFault } = classifyFailures(calls, windows);
  rows.push({ check: '0 5xx (or no answer) outside fault windows', ok: outside.length === 0, figures: `${outside.length}${first(outside.map((c) => `${c.op} ${c.status} at +${((c.startedAt - windows[0]!.start) / 1000).toFixed(1)} s`))}` });
  for (const w of windows) {
    const failed = byFault.get(w.fault) ?? [];
    const graceful = w.fault.startsWith('SIGTERM');
    rows.push({ check: `${graceful ? '0 5xx during ' : '5xx during '}${w.fault}`, ok: graceful ? failed.length === 0 : null, figures: `${failed.length} in ${((w.end - w.start) / 1000).toFixed(1)} s${first(failed.map((c) => `${c.op} ${c.status}${c.code === undefined ? '' : ` ${c.code}`}${c.detail === undefined ? '' : ` (${c.detail})`}`))}` });
  }

  const audit = (await db.query<AuditKey>(`SELECT request_id::text AS "requestId", type FROM audit_event WHERE request_id IS NOT NULL`)).rows;
  const once = checkExactlyOnce(calls, audit);
  rows.push({ check: 'every 2xx action in the audit trail exactly once', ok: once.missing.length === 0 && once.duplicated.length === 0, figures: `${once.expected} expected events, ${once.missing.length} missing, ${once.duplicated.length} duplicated${first([...once.missing, ...once.duplicated])}` });

  const created = [...stack.tenant.ctx.directory.tapMethodLog.values()].map((m) => ({ id: m.id, endedHow: m.ended?.how ?? null }));
  const requests = (await db.query<{ requestId: string; methodId: string | null }>(`SELECT id::text AS "requestId", method_id AS "methodId" FROM tap_request`)).rows;
  const passes = accountForPasses(created, requests, load.issuedRequestIds);
  const bad = [...passes.orphaned, ...passes.duplicated, ...passes.unknown, ...passes.issuedWithoutRecord];
  rows.push({
    check: 'every pass created is on one request or was removed',
    ok: bad.length === 0,
    figures: `${passes.created} created: ${passes.recorded} on exactly one request, removed unrecorded ${JSON.stringify(passes.removedUnrecorded)}; ${passes.orphaned.length} orphaned, ${passes.duplicated.length} duplicated, ${passes.unknown.length} unknown, ${passes.issuedWithoutRecord.length} issued without record${first(bad)}`,
  });

  const verify = await api.call(auditorToken, 'GET', '/api/audit/verify');
  rows.push({ check: 'audit chain verifies (GET /api/audit/verify)', ok: verify.status === 200 && verify.json?.ok === true, figures: `${verify.status}, ${String(verify.json?.count)} events${verify.json?.ok === false ? `, broken at ${String(verify.json.firstBrokenSeq)}` : ''}` });

  for (const l of latencyByOperation(calls)) rows.push({ check: `latency: ${l.op}`, ok: null, figures: `p50 ${fmt(l.p50)}, p95 ${fmt(l.p95)} (${l.count} answered)` });

  const leaks = await findLeakedPasses({ passes: load.passes, portalLog: output, databaseUrl: stack.databaseUrl, dataDir: os.tmpdir() });
  rows.push({ check: 'no pass in any instance output or the database', ok: leaks.leaks.length === 0, figures: `${leaks.passesChecked} passes against ${(output.length / 1e6).toFixed(1)} MB of output and ${leaks.rowsScanned} rows; ${leaks.leaks.length} found` });
  return rows;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (isBuildStale()) {
    log('building the portal first (sources changed); the campaign is timed from after the build');
    await runNextBuild();
  }
  const startedAt = new Date();
  const work = await mkdtemp(path.join(os.tmpdir(), 'tap-campaign-'));
  const seedPath = path.join(work, 'campaign-org.json');
  const org = await writeCampaignSeed(seedPath, opts.managers);
  log(`org: ${org.userCount} people, ${opts.managers} managers; starting ${opts.instances} instances`);
  const outputs: string[] = [];
  // The instances' and balancer's output with times, kept for a failed run (the leak check has searched it for passes).
  const tagged: string[] = [];
  const stack = await startProdStack({
    instances: opts.instances,
    seedPath,
    notifications: true,
    logLevel: 'info',
    onOutput: (source, chunk) => {
      outputs.push(chunk);
      tagged.push(`${new Date().toISOString().slice(11, 23)} [${source}] ${chunk.endsWith('\n') ? chunk : `${chunk}\n`}`);
    },
    // A virtual manager calls far more often than a person; the per-user API budget would refuse
    // them. Approval mails go one per request (no 5-minute digest), so the outbox can drain
    // within the run; a mail that failed in a Graph fault is retried after 30 s, 60 s, ….
    // The Graph budget (GRAPH_BUDGET_PER_SECOND, default 100) is sized for Microsoft Graph's
    // limits; these managers work without a pause, far above a real organisation's rate, and the
    // local tenant is not Graph: at the default the budget answers 503 "Graph is busy" by design
    // (lib/graph/graph-budget.test.ts proves that), which this campaign would count as faults.
    // Approval mail goes to two approver addresses, as an organisation would name a couple of
    // mailboxes (a shared one, a deputy) rather than every approver of a large org.
    env: { API_BUDGET_PER_USER: '1000000', MAIL_DIGEST_MINUTES: '0', GRAPH_BUDGET_PER_SECOND: '1000', APPROVER_NOTIFICATION_ADDRESSES: org.approvers.slice(0, 2).join(',') },
  });
  const rows: CampaignRow[] = [];
  const api = createApiClient(stack.balancerUrl, opts.managers + 64);
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  try {
    const users = [org.admin, ...org.auditors, ...org.approvers, ...org.managers.slice(0, opts.managers).map((m) => m.upn)];
    const certPem = stack.tenant.certPem;
    const tokens = await getTokens(stack.tenantUrl, stack.tenantId, certPem, users, CAMPAIGN_PASSWORD);
    await setPolicy(api, tokens.get(org.admin)!);
    log(`${tokens.size} tokens; load through ${stack.balancerUrl} for ${opts.seconds} s`);

    const loadStart = Date.now();
    let until = loadStart + opts.seconds * 1000;
    const steps = faultSteps(opts.instances);
    const warmup = Math.min(10_000, opts.seconds * 200);
    const spacing = Math.max(0, (opts.seconds * 1000 - warmup - 5_000) / steps.length);
    const hold = opts.short ? 4_000 : 8_000;
    const loadRun = runLoad({ api, org, tokens, managers: opts.managers, until: () => until, random: prng(14) });
    const faults = await runFaultSchedule(stack, steps, loadStart + warmup, spacing, hold, log);
    // A calm tail after the last fault, so what follows a fault is seen outside its window.
    until = Math.max(until, Date.now() + 5_000);
    const load = await loadRun;
    log(`load over: ${load.calls.length} calls in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`);
    rows.push({ check: 'every fault injected and recovered', ok: faults.errors.length === 0, figures: `${faults.windows.length} faults${first(faults.errors)}` });
    rows.push({ check: 'calls resent after a reset on a kept-alive socket', ok: null, figures: `${api.counts.resent} of ${load.calls.length}` });

    await db.connect();
    const settled = await settle(db);
    rows.push({ check: 'reconciler settled: no request left issuing', ok: settled.issuing === 0, figures: `${settled.issuing} issuing after ${(settled.ms / 1000).toFixed(0)} s of waiting` });
    rows.push({ check: 'notification outbox drained', ok: settled.waiting === 0, figures: JSON.stringify(settled.outbox) });
    rows.push(...(await checkRows(stack, db, load.calls, faults.windows, load, outputs.join(''), tokens.get(org.auditors[0]!)!, api)));
  } finally {
    await db.end().catch(() => undefined);
    api.close();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
  console.log(renderTable(rows));
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  if (!opts.short) {
    await writeSummary(path.join(repoRoot, 'docs', 'campaign-summary.md'), { startedAt, durationSeconds, options: { instances: opts.instances, managers: opts.managers, seconds: opts.seconds }, faults: faultSteps(opts.instances).map((s) => s.name), rows });
    log('wrote docs/campaign-summary.md');
  }
  const { failed, line } = tally(rows);
  if (failed > 0) {
    const file = path.join(os.tmpdir(), `tap-campaign-${startedAt.toISOString().replace(/[:.]/g, '-')}.log`);
    await writeFile(file, tagged.join(''), { mode: 0o600 });
    log(`the instances' and balancer's output: ${file}`);
  }
  console.log(line);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
