/**
 * The short benchmark CI runs (`npm run bench -- --short`, a step of `npm test`): it counts
 * round trips, never times them, so it gives the same answer on a busy machine. In one process:
 * the local tenant with a generated 2 000-user org (latency 0), the portal's core code pointed at
 * it, and an in-memory migrated database (PGlite). Counted, from the tenant's Graph request
 * counts (a `$batch` is one round trip):
 *
 *   create          Graph round trips of one `requestTap` (a direct report, auto-approved)
 *   issue           of one `issueTap` of that request
 *   walk-manager    of one reportee walk (`getReportees`, unlimited depth) of a level-1 manager
 *   walk-top        of the walk of the top of the org (every user below)
 *   mirror-per-page of the org mirror's first (full) sync, per delta page
 *   mirror-idle     of a mirror sync round with nothing changed
 *   create-sql      SQL statements the create sent to the database, as Prisma's query log
 *   issue-sql       reports them, and the issue
 *
 * Each count stands beside its committed maximum in scripts/bench/round-trips.json; the process
 * exits 1 when any count rises above it. After a deliberate change, `--update` writes the counts
 * measured as the new maxima (review the diff); a count with no maximum fails too.
 *
 *   round-trips-bench.ts <seed> <dataDir> [--update]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTenant } from '../../tenant/server';
import { getLocalTenantPortalEnv } from '../lib/stack';

const [seedPath, dataDir, flag] = process.argv.slice(2);
if (!seedPath || !dataDir) throw new Error('usage: round-trips-bench.ts <seed> <dataDir> [--update]');
const maximaFile = path.join(__dirname, 'round-trips.json');

async function main() {
  const tenant = await startTenant({ port: 0, dataDir: dataDir!, seed: seedPath!, faults: { latencyMs: 0 } });
  const dir = tenant.ctx.directory;
  Object.assign(process.env, {
    ...getLocalTenantPortalEnv(tenant.url, dir),
    // The budget keeps its count in the process-wide database, which this run does not open.
    GRAPH_BUDGET_PER_SECOND: '0',
  });
  // Imported after the environment is set: the portal validates its configuration once.
  const { BrokerError } = await import('../../lib/core/errors');
  const { verifyAccessToken } = await import('../../lib/auth/verify-access-token');
  const { requestTap } = await import('../../lib/broker/request-tap');
  const { issueTap } = await import('../../lib/broker/issue-tap');
  const { syncOrgMirror } = await import('../../lib/broker/sync-org-mirror');
  const { getReportees } = await import('../../lib/graph/get-reportees');
  const { createTestDb } = await import('../../lib/testing/db');
  const { logger } = await import('../../lib/log');
  const { PrismaClient } = await import('../../lib/db/generated/client');
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const testDb = await createTestDb({ kind: 'pglite' });
  // A second client on the same in-memory database, one that reports every SQL statement it sends.
  const db = new PrismaClient({ adapter: new PrismaPGlite(testDb.pglite!), log: [{ emit: 'event', level: 'query' }] });
  let statements = 0;
  db.$on('query', () => {
    statements++;
  });
  const ctx = { requestId: 'round-trips-bench', ip: '127.0.0.1', userAgent: 'round-trips-bench', log: logger };
  const trips = () => Object.values(tenant.ctx.stats.graph).reduce((a, b) => a + b, 0);
  const counted = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const before = trips();
    const result = await work();
    return [result, trips() - before];
  };
  /** SQL statements `work` sent (on this process's only client, so nothing else is counted). */
  const sql = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const before = statements;
    const result = await work();
    return [result, statements - before];
  };

  const counts: Record<string, number> = {};
  try {
    const root = [...dir.users.values()].find((u) => u.managerId === null)!;
    const reports = (id: string) => dir.directReports.get(id) ?? [];
    // The first level-1 manager (in seed order) whose account can sign in, and the first of its
    // direct reports the policy lets it request a pass for: fixed for a fixed seed.
    const managers = reports(root.id).filter((id) => reports(id).length > 0 && dir.users.get(id)!.accountEnabled);
    const manager = dir.users.get(managers[0]!)!;
    const tokenRes = await fetch(`${tenant.url}/${dir.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: dir.portal.clientId,
        username: manager.userPrincipalName,
        password: manager.password,
        scope: `api://${dir.portal.apiClientId}/${dir.portal.scope}`,
      }),
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const actor = await verifyAccessToken(`Bearer ${token}`);
    // The broker's app token once, so no count below holds a first call's extras.
    await getReportees(root.id, { maxDepth: 1 });

    let created: Awaited<ReturnType<typeof requestTap>> | undefined;
    for (const target of reports(manager.id)) {
      try {
        const [[view, n], statementCount] = await sql(() => counted(() => requestTap(actor, { targetUserId: target, justification: 'Lost phone during travel, needs a new authenticator' }, ctx, { db })));
        if (view.status !== 'approved') continue;
        created = view;
        counts.create = n;
        counts['create-sql'] = statementCount;
        break;
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
      }
    }
    if (created === undefined) throw new Error(`no direct report of ${manager.userPrincipalName} could be asked for without approval`);
    const [[issued, issueTrips], issueStatements] = await sql(() => counted(() => issueTap(actor, { id: created.id }, ctx, { db })));
    if (typeof issued.temporaryAccessPass !== 'string') throw new Error('no pass issued');
    counts.issue = issueTrips;
    counts['issue-sql'] = issueStatements;

    [, counts['walk-manager']] = await counted(() => getReportees(manager.id, { maxDepth: null }));
    [, counts['walk-top']] = await counted(() => getReportees(root.id, { maxDepth: null }));

    const [first, firstTrips] = await counted(() => syncOrgMirror(ctx, { db, minIntervalMs: 0 }));
    if (first.outcome !== 'synced') throw new Error('the first mirror sync was skipped');
    counts['mirror-per-page'] = Math.ceil(firstTrips / first.pages);
    const [idle, idleTrips] = await counted(() => syncOrgMirror(ctx, { db, minIntervalMs: 0 }));
    if (idle.outcome !== 'synced') throw new Error('the idle mirror sync was skipped');
    counts['mirror-idle'] = idleTrips;
  } finally {
    await db.$disconnect();
    await testDb.close();
    await tenant.close();
  }

  if (flag === '--update') {
    writeFileSync(maximaFile, JSON.stringify(counts, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), maximaFile)}:`, counts);
    return;
  }
  const maxima = JSON.parse(readFileSync(maximaFile, 'utf8')) as Record<string, number>;
  let risen = 0;
  console.log(`Graph round trips, ${dir.users.size}-user org, latency 0 (maxima: ${path.relative(process.cwd(), maximaFile)})`);
  console.log('count              measured  maximum  (-sql: SQL statements, the rest Graph round trips)');
  for (const name of new Set([...Object.keys(maxima), ...Object.keys(counts)])) {
    const n = counts[name];
    const max = maxima[name];
    const verdict = n === undefined ? 'NOT MEASURED' : max === undefined ? 'NO MAXIMUM (--update)' : n > max ? 'ROSE' : n < max ? 'fell (lower the maximum)' : 'ok';
    if (n === undefined || max === undefined || n > max) risen++;
    console.log(`${name.padEnd(18)} ${String(n ?? '—').padStart(8)}  ${String(max ?? '—').padStart(7)}  ${verdict}`);
  }
  if (risen > 0) {
    console.log(`${risen} count(s) rose above their committed maximum or have none`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
