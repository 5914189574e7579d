/**
 * The issuance benchmark's measured half (started by `npm run bench -- --only=issue`): the whole
 * production stack — the local tenant in this process, the built portal (`next start`) in a child
 * process on PostgreSQL — driven over HTTP on loopback as the SPA drives it, with access tokens
 * from the tenant's password grant for an org of 64 managers with 4 direct reports each:
 *
 *   issue-bench.ts <dataDir> <postgres url> <latencyMs> <pairs> <seconds> <concurrencies>
 *
 *   1. request → pass, one manager, sequentially, at <latencyMs> per Graph round trip:
 *      `POST /api/tap-requests` then `POST /api/tap-requests/{id}/issue`, <pairs> times. The floor
 *      of a pair is the Graph round trips it made (the tenant's `/_tenant/stats` before and after)
 *      × the latency: what the pair would cost if the broker took no time of its own.
 *   2. the broker's own time per create and per issue = wall time − round trips × latency. It
 *      still holds the tenant's own work on each Graph request and the HTTP client's, so it is an
 *      upper bound; the same pairs at latency 0 (wall time alone) are the cleaner reference.
 *   3. issuances/s at latency 0 with every manager busy, for each concurrency (workers, each
 *      cycling over its share of the 64 managers) for <seconds> each; afterwards
 *      `GET /api/audit/verify` must answer ok. Reference: the local tenant's own cost — as many
 *      pass creations straight to its Graph (the broker's app token, same concurrency) as the
 *      broker's issuances made Graph round trips — expressed as issuances/s, so the ratio says
 *      whether the emulator or the broker is the limit.
 *
 * The policy is set through the API (admin): no approval, a daily quota above what the run
 * issues; the portal's per-user API budget and the Graph budget through its configuration. All
 * ports are on 127.0.0.1; the run is bounded by <pairs> and <seconds>.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import demoOrg from '../../tenant/demo-org.json';
import { userIdFromUpn } from '../../tenant/seed';
import { startStack, type Stack } from '../lib/stack';
import { formatRatio, loadAverage, metGoal, percentile, reportBenchRows, type BenchRow } from './bench-rows';

const [dataDir, databaseUrl, latencyArg, pairsArg, secondsArg, concurrencyArg] = process.argv.slice(2);
if (!dataDir || !databaseUrl || !latencyArg || !pairsArg || !secondsArg || !concurrencyArg) {
  throw new Error('usage: issue-bench.ts <dataDir> <postgres url> <latencyMs> <pairs> <seconds> <concurrencies>');
}
const LATENCY = Number(latencyArg);
const PAIRS = Number(pairsArg);
const SECONDS = Number(secondsArg);
const CONCURRENCIES = concurrencyArg.split(',').map(Number);

const MANAGERS = 64;
const REPORTS_PER_MANAGER = 4;
const DOMAIN = 'bench.contoso.test';
const PASSWORD = demoOrg.demoAccounts.password;
const JUSTIFICATION = 'Lost phone during travel, needs a new authenticator';
const ADMIN = `bench.admin@${DOMAIN}`;
const AUDITOR = `bench.auditor@${DOMAIN}`;
const managerUpn = (m: number) => `manager${m}@${DOMAIN}`;
const reportUpn = (m: number, r: number) => `report${m}-${r}@${DOMAIN}`;

/** Demo registrations (so the portal's configuration is the demo's) and a flat org of plain members. */
function buildSeed(): Record<string, unknown> {
  const person = (upn: string, displayName: string, manager: string | null, appRoles: string[] = []) => ({
    userPrincipalName: upn,
    displayName,
    password: PASSWORD,
    manager,
    jobTitle: null,
    department: 'Bench',
    accountEnabled: true,
    userType: 'Member',
    employeeHireDate: '2020-01-06T08:00:00Z',
    directoryRoles: [],
    appRoles,
  });
  const ceo = `bench.ceo@${DOMAIN}`;
  const users = [person(ceo, 'Bench CEO', null), person(ADMIN, 'Bench Admin', ceo, ['TapBroker.Admin']), person(AUDITOR, 'Bench Auditor', ceo, ['TapBroker.Auditor'])];
  for (let m = 0; m < MANAGERS; m++) {
    users.push(person(managerUpn(m), `Manager ${m}`, ceo));
    for (let r = 0; r < REPORTS_PER_MANAGER; r++) users.push(person(reportUpn(m, r), `Report ${m}-${r}`, managerUpn(m)));
  }
  const { tenantId, portal, broker, automation, tapPolicy } = demoOrg;
  return { tenantId, portal, broker, automation, tapPolicy, users };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function postToken(stack: Stack, form: Record<string, string>): Promise<string> {
  const res = await fetch(`${stack.tenantUrl}/${stack.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!res.ok || body.access_token === undefined) throw new Error(`token request failed: ${res.status} ${body.error ?? ''}`);
  return body.access_token;
}

/** The SPA's access token for the portal API, through the local tenant's password grant. */
const userToken = (stack: Stack, upn: string) =>
  postToken(stack, { grant_type: 'password', client_id: demoOrg.portal.clientId, username: upn, password: PASSWORD, scope: `api://${demoOrg.portal.apiClientId}/${demoOrg.portal.scope} openid profile` });

async function api(stack: Stack, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.portalUrl.replace('localhost', '127.0.0.1')}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function tenantAdmin(stack: Stack, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.tenantUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

async function graphTrips(stack: Stack): Promise<number> {
  const stats = (await tenantAdmin(stack, 'GET', '/_tenant/stats')) as { graph: Record<string, number> };
  return Object.values(stats.graph).reduce((a, b) => a + b, 0);
}

interface Timed {
  ms: number;
  trips: number;
}

/** One create + issue for `target` as `token`, each timed with its Graph round trips. */
async function measuredPair(stack: Stack, token: string, target: string): Promise<{ create: Timed; issue: Timed }> {
  let before = await graphTrips(stack);
  let t0 = performance.now();
  const created = await api(stack, token, 'POST', '/api/tap-requests', { targetUserId: target, justification: JUSTIFICATION });
  const createMs = performance.now() - t0;
  if (created.status !== 201 || created.json.status !== 'approved') throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
  const createTrips = (await graphTrips(stack)) - before;
  before = await graphTrips(stack);
  t0 = performance.now();
  const issued = await api(stack, token, 'POST', `/api/tap-requests/${String(created.json.id)}/issue`);
  const issueMs = performance.now() - t0;
  if (issued.status !== 201 || typeof issued.json.temporaryAccessPass !== 'string') throw new Error(`issue: ${issued.status} ${String(issued.json.code)}`);
  return { create: { ms: createMs, trips: createTrips }, issue: { ms: issueMs, trips: (await graphTrips(stack)) - before } };
}

/** Unmeasured create + issue (throughput runs): null when a pass came back, else what refused it. */
async function pair(stack: Stack, token: string, target: string): Promise<string | null> {
  const created = await api(stack, token, 'POST', '/api/tap-requests', { targetUserId: target, justification: JUSTIFICATION });
  if (created.status !== 201) return `create ${created.status} ${String(created.json.code)}`;
  const issued = await api(stack, token, 'POST', `/api/tap-requests/${String(created.json.id)}/issue`);
  return issued.status === 201 ? null : `issue ${issued.status} ${String(issued.json.code)}`;
}

const ms = (n: number) => `${Math.round(n)} ms`;

async function sequential(stack: Stack, token: string, latency: number): Promise<{ create: Timed[]; issue: Timed[] }> {
  await tenantAdmin(stack, 'PUT', '/_tenant/faults', { latencyMs: latency });
  // One unmeasured pair warms the portal's token and policy caches and the routes' code.
  await measuredPair(stack, token, userIdFromUpn(reportUpn(0, 0)));
  const create: Timed[] = [];
  const issue: Timed[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const r = await measuredPair(stack, token, userIdFromUpn(reportUpn(0, i % REPORTS_PER_MANAGER)));
    create.push(r.create);
    issue.push(r.issue);
  }
  return { create, issue };
}

/** Rows for the sequential figures at latency `latency`. */
function sequentialRows(runs: { create: Timed[]; issue: Timed[] }, latency: number): BenchRow[] {
  const pairsMs = runs.create.map((c, i) => c.ms + runs.issue[i]!.ms);
  const pairTrips = runs.create.map((c, i) => c.trips + runs.issue[i]!.trips);
  const p50 = percentile(pairsMs, 50);
  const floor = percentile(pairTrips, 50) * latency;
  const own = (xs: Timed[]) => xs.map((x) => x.ms - x.trips * latency);
  const rows: BenchRow[] = [];
  if (latency > 0) {
    rows.push({
      section: 'issue',
      what: `request → pass p50 (create + issue, ${latency} ms per Graph round trip, ${PAIRS} pairs, one manager)`,
      measured: ms(p50),
      reference: `floor ${ms(floor)} (${percentile(pairTrips, 50)} round trips × ${latency} ms)`,
      ratio: formatRatio(p50, floor),
      goal: '≤ 1.2 × floor',
      met: metGoal(p50 <= 1.2 * floor),
    });
    rows.push({ section: 'issue', what: `request → pass p95 (${latency} ms per round trip)`, measured: ms(percentile(pairsMs, 95)), reference: '—', ratio: '—', goal: '—', met: '—' });
  }
  for (const [label, xs] of [['create', runs.create], ['issue', runs.issue]] as const) {
    const p95 = percentile(own(xs), 95);
    rows.push({
      section: 'issue',
      what:
        latency > 0
          ? `broker's own time per ${label}, p95 (wall − ${percentile(xs.map((x) => x.trips), 50)} round trips × ${latency} ms; p50 ${ms(percentile(own(xs), 50))})`
          : `broker's own time per ${label}, p95 (wall time at latency 0; p50 ${ms(percentile(own(xs), 50))})`,
      measured: ms(p95),
      reference: '—',
      ratio: '—',
      goal: '< 10 ms',
      met: metGoal(p95 < 10),
    });
  }
  return rows;
}

/** `workers` loops of create + issue over every manager for SECONDS: issuances/s. */
async function throughput(stack: Stack, tokens: string[], workers: number): Promise<{ perSecond: number; done: number; failed: number; refusals: Map<string, number> }> {
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let done = 0;
  let failed = 0;
  const refusals = new Map<string, number>();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        // Worker w takes managers w, w + workers, …: every manager is busy at every concurrency.
        const m = (w + (i % Math.ceil(MANAGERS / workers)) * workers) % MANAGERS;
        const refusal = await pair(stack, tokens[m]!, userIdFromUpn(reportUpn(m, i % REPORTS_PER_MANAGER)));
        if (refusal === null) done++;
        else {
          failed++;
          refusals.set(refusal, (refusals.get(refusal) ?? 0) + 1);
        }
      }
    }),
  );
  return { perSecond: done / ((performance.now() - started) / 1000), done, failed, refusals };
}

/** The tenant alone: `posts` pass creations straight to its Graph as the broker, `workers` at a time. */
async function tenantAlone(stack: Stack, posts: number, workers: number): Promise<number> {
  const token = await postToken(stack, { grant_type: 'client_credentials', client_id: demoOrg.broker.clientId, client_secret: demoOrg.broker.clientSecret, scope: 'https://graph.microsoft.com/.default' });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < posts; i = next++) {
        const target = userIdFromUpn(reportUpn(i % MANAGERS, i % REPORTS_PER_MANAGER));
        const res = await fetch(`${stack.tenantUrl}/graph/v1.0/users/${target}/authentication/temporaryAccessPassMethods`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ isUsableOnce: true, lifetimeInMinutes: 60 }),
        });
        if (res.status !== 201) throw new Error(`the tenant refused a pass: ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

async function main() {
  const seedPath = path.join(dataDir!, 'issue-bench-org.json');
  await writeFile(seedPath, JSON.stringify(buildSeed()));
  const portalLog: string[] = [];
  const stack = await startStack({
    portalPort: await freePort(),
    tenantPort: await freePort(),
    dataDir: dataDir!,
    seedPath,
    databaseUrl,
    logLevel: 'warn',
    notifications: false,
    onPortalOutput: (chunk) => portalLog.push(chunk),
    // Budgets far above what the run asks for, and no background mirror rounds in the counts.
    env: { API_BUDGET_PER_USER: '1000000', API_BUDGET_WINDOW_SECONDS: '60', GRAPH_BUDGET_PER_SECOND: '0', ORG_MIRROR_SYNC_SECONDS: '0', REFUSAL_MEMORY_SECONDS: '0' },
  }).catch((error: unknown) => {
    console.error(portalLog.join('').slice(-4000));
    throw error;
  });
  const rows: BenchRow[] = [];
  try {
    const admin = await userToken(stack, ADMIN);
    const current = await api(stack, admin, 'GET', '/api/policy');
    const { tenantTapPolicy: _tenant, version: _version, ...policy } = current.json;
    const saved = await api(stack, admin, 'PUT', '/api/policy', { ...policy, requireApproval: 'never', maxIssuancesPerManagerPerDay: 10_000 });
    if (saved.status !== 200) throw new Error(`saving the bench policy: ${saved.status} ${JSON.stringify(saved.json)}`);
    const tokens = await Promise.all(Array.from({ length: MANAGERS }, (_, m) => userToken(stack, managerUpn(m))));
    console.log(`issue bench: ${MANAGERS} managers × ${REPORTS_PER_MANAGER} reports, portal ${stack.portalUrl} on PostgreSQL; load average ${loadAverage()}`);

    if (LATENCY > 0) {
      const slow = await sequential(stack, tokens[0]!, LATENCY);
      rows.push(...sequentialRows(slow, LATENCY));
    }
    const fast = await sequential(stack, tokens[0]!, 0);
    rows.push(...sequentialRows(fast, 0));
    const tripsPerIssuance = percentile(fast.create.map((c, i) => c.trips + fast.issue[i]!.trips), 50);

    for (const workers of CONCURRENCIES) {
      const run = await throughput(stack, tokens, workers);
      const aloneSeconds = await tenantAlone(stack, Math.max(1, run.done * tripsPerIssuance), workers);
      const reference = run.done / aloneSeconds;
      const refused = [...run.refusals].map(([why, n]) => `${n}× ${why}`).join(', ');
      console.log(
        `  concurrency ${workers}: ${run.done} issuances (${run.failed} failed${refused === '' ? '' : `: ${refused}`}) = ${run.perSecond.toFixed(1)}/s; tenant alone ${reference.toFixed(1)}/s; load average ${loadAverage()}`,
      );
      rows.push({
        section: 'issue',
        what: `issuances/s, ${MANAGERS} managers, concurrency ${workers}, latency 0, ${SECONDS} s (${run.failed} failed)`,
        measured: `${run.perSecond.toFixed(1)}/s`,
        reference: `tenant alone ${reference.toFixed(1)}/s (${tripsPerIssuance} pass POSTs per issuance)`,
        ratio: formatRatio(run.perSecond, reference),
        goal: '≥ 200/s on 2 cores',
        met: metGoal(run.perSecond >= 200 && run.failed === 0),
      });
    }
    const auditor = await userToken(stack, AUDITOR);
    const t0 = performance.now();
    const verify = await api(stack, auditor, 'GET', '/api/audit/verify');
    const verifyMs = performance.now() - t0;
    console.log(`  GET /api/audit/verify: ${verify.status} ok=${String(verify.json.ok)} count=${String(verify.json.count)} in ${Math.round(verifyMs)} ms`);
    rows.push({
      section: 'issue',
      what: `audit chain after the run (GET /api/audit/verify, ${String(verify.json.count)} events)`,
      measured: verify.json.ok === true ? 'ok' : `broken at ${String(verify.json.firstBrokenSeq)}`,
      reference: '—',
      ratio: '—',
      goal: 'ok',
      met: metGoal(verify.json.ok === true),
    });
  } catch (error) {
    console.error(portalLog.join('').slice(-4000));
    throw error;
  } finally {
    await stack.stop();
  }
  for (const r of rows) console.log(`  ${r.what}: ${r.measured}${r.reference === '—' ? '' : `; reference ${r.reference}`}${r.ratio === '—' ? '' : `; ratio ${r.ratio}`}${r.goal === '—' ? '' : ` (goal ${r.goal}: ${r.met})`}`);
  reportBenchRows(rows);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
