/**
 * The org mirror benchmark's measured half (started by scripts/bench.ts): the local tenant
 * in-process with the generated org and added latency, and `syncOrgMirror` writing to a scratch
 * database on the throwaway PostgreSQL cluster — a first (full) round, an incremental round after
 * some manager moves, and a round with no changes.
 */
import { startTenant } from '../../tenant/server';
import { setManager } from '../../tenant/directory';
import { createPostgresTestDb } from '../../lib/testing/db';
import { metGoal, reportBenchRows } from './bench-rows';

const [seedPath, dataDir, latencyArg, serverUrl] = process.argv.slice(2);
if (!seedPath || !dataDir || !latencyArg || !serverUrl) throw new Error('usage: org-mirror-bench.ts <seed> <dataDir> <latencyMs> <postgresUrl>');

/** Manager moves between the full round and the incremental one. */
const MOVES = 500;

async function main() {
  const tenant = await startTenant({ port: 0, dataDir: dataDir!, seed: seedPath!, faults: { latencyMs: Number(latencyArg) } });
  const dir = tenant.ctx.directory;
  console.log(`local tenant loaded ${dir.users.size} users; Graph latency ${latencyArg} ms per round trip`);
  Object.assign(process.env, {
    ENTRA_AUTHORITY_HOST: tenant.url,
    ENTRA_TENANT_ID: dir.tenantId,
    PORTAL_CLIENT_ID: dir.portal.clientId,
    API_CLIENT_ID: dir.portal.apiClientId,
    API_SCOPE: `api://${dir.portal.apiClientId}/${dir.portal.scope}`,
    BROKER_CLIENT_ID: dir.broker.clientId,
    BROKER_CLIENT_SECRET: dir.broker.clientSecret,
    GRAPH_BASE_URL: `${tenant.url}/graph`,
    // The figures are the sync's own: no budget queueing.
    GRAPH_BUDGET_PER_SECOND: '0',
  });
  // Imported after the environment is set: the portal validates its configuration once.
  const { syncOrgMirror } = await import('../../lib/broker/sync-org-mirror');
  const { logger } = await import('../../lib/log');
  const testDb = await createPostgresTestDb(serverUrl);
  const db = testDb.prisma;
  const ctx = { log: logger };
  const trips = () => Object.values(tenant.ctx.stats.graph).reduce((a, b) => a + b, 0);

  console.log('\nround              full  pages  changes  mirror users  graph round trips       s  peak RSS MB');
  const measure = async (label: string) => {
    const before = trips();
    const t0 = performance.now();
    const result = await syncOrgMirror(ctx, { db });
    const s = (performance.now() - t0) / 1000;
    if (result.outcome !== 'synced') throw new Error(`${label}: skipped`);
    const roundTrips = trips() - before;
    reportBenchRows([
      {
        section: 'mirror',
        what: `mirror sync of ${dir.users.size} users, ${label} (${result.pages} pages, ${roundTrips} Graph round trips, ${result.changes} changes; ${latencyArg} ms per round trip)`,
        measured: `${s.toFixed(1)} s`,
        reference: '—',
        ratio: '—',
        goal: result.full ? '≤ 60 s at 40 ms' : '—',
        met: result.full ? metGoal(Number(latencyArg) === 40 ? s <= 60 : null) : '—',
      },
    ]);
    console.log(
      `${label.padEnd(18)} ${String(result.full).padStart(5)}  ${String(result.pages).padStart(5)}  ${String(result.changes).padStart(7)}  ${String(result.users).padStart(12)}  ${String(trips() - before).padStart(17)}  ${s.toFixed(1).padStart(6)}  ${String(Math.round(process.resourceUsage().maxRSS / 1024)).padStart(11)}`,
    );
  };
  await measure('first (full)');
  if ((await db.orgMirrorUser.count()) !== dir.users.size) throw new Error('the mirror does not hold every user');
  const ids = [...dir.users.keys()];
  const managers = ids.filter((id) => (dir.directReports.get(id)?.length ?? 0) > 0);
  for (let i = 0; i < MOVES; i++) {
    const id = ids[(i * 7919) % ids.length]!;
    const to = managers[(i * 104_729) % managers.length]!;
    if (to !== id && dir.users.get(id)!.managerId !== null) setManager(dir, id, to);
  }
  await measure(`after ${MOVES} moves`);
  await measure('no changes');
  const wrong = await db.orgMirrorUser.findMany({ select: { id: true, managerId: true } });
  const mismatches = wrong.filter((u) => dir.users.get(u.id)?.managerId !== u.managerId).length;
  if (mismatches > 0) throw new Error(`${mismatches} users have another manager in the mirror than in the directory`);
  await testDb.close();
  await tenant.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
