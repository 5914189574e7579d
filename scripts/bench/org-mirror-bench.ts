/**
 * The org mirror benchmark's measured half (started by scripts/bench.ts): the local tenant
 * in-process with the generated org and added latency, and `syncOrgMirror` writing to a scratch
 * database on the throwaway PostgreSQL cluster — a first (full) round, an incremental round after
 * some manager moves, and a round with no changes. Then the team page's read from the mirror
 * (`listReportees`, no Graph call) for the managers the reportees bench walks in Graph: the one
 * statement alone, and the whole answer with its JSON size.
 */
import { startTenant } from '../../tenant/server';
import { getLocalTenantPortalEnv } from '../lib/stack';
import { setManager } from '../../tenant/directory';
import type { Directory } from '../../tenant/types';
import type { PrismaClient } from '../../lib/db/generated/client';
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
    ...getLocalTenantPortalEnv(tenant.url, dir),
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
  await benchTeamReads(db, dir, trips);
  await testDb.close();
  await tenant.close();
}

/** The same subjects as scripts/bench/reportees-bench.ts: the top of the org and a manager at levels 1–3. */
function pickSubjects(dir: Directory): { label: string; id: string }[] {
  const root = [...dir.users.values()].find((u) => u.managerId === null && (dir.directReports.get(u.id)?.length ?? 0) > 0)!;
  const byDepth: string[][] = [[root.id]];
  for (let d = 1; d < 4; d++) byDepth.push(byDepth[d - 1]!.flatMap((id) => dir.directReports.get(id) ?? []));
  // Only an enabled member may list a team.
  const pick = (ids: string[] | undefined) =>
    ids?.find((id) => (dir.directReports.get(id)?.length ?? 0) > 0 && dir.users.get(id)?.accountEnabled === true && dir.users.get(id)?.userType === 'Member');
  return [
    { label: 'top of the org', id: root.id },
    { label: 'level-1 manager', id: pick(byDepth[1]) },
    { label: 'level-2 manager', id: pick(byDepth[2]) },
    { label: 'level-3 manager', id: pick(byDepth[3]) },
  ].filter((s): s is { label: string; id: string } => s.id !== undefined);
}

/** Median of `runs` timings of `fn`, in ms (the first run warms the caches and is not counted). */
async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

async function benchTeamReads(db: PrismaClient, dir: Directory, trips: () => number) {
  const { listReportees } = await import('../../lib/broker/list-reportees');
  const { getDefaultPolicy } = await import('../../lib/broker/policy');
  const policy = { ...getDefaultPolicy(), maxDepth: null };
  console.log('\nteam read from the mirror   reportees  first 100 ms  everyone ms  everyone JSON MB  graph round trips');
  for (const s of pickSubjects(dir)) {
    const user = dir.users.get(s.id)!;
    const actor = { id: s.id, tenantId: dir.tenantId, displayName: user.displayName ?? '', userPrincipalName: user.userPrincipalName, roles: [], authContexts: [], tokenIssuedAt: null };
    const before = trips();
    const answer = await listReportees(actor, { db, policy });
    if (answer.source !== 'mirror') throw new Error(`${s.label}: the list came from ${answer.source}`);
    const expected = subtreeSize(dir, s.id);
    if (answer.reportees.length !== expected || answer.total !== expected) throw new Error(`${s.label}: the mirror lists ${answer.reportees.length}, the directory has ${expected}`);
    // As the team page asks for its first screen, and as a client asking for everyone would.
    const firstMs = await medianMs(5, async () => JSON.stringify(await listReportees(actor, { db, policy, query: { limit: 100 } })));
    const allMs = await medianMs(3, async () => JSON.stringify(await listReportees(actor, { db, policy })));
    const mb = Buffer.byteLength(JSON.stringify(answer)) / 1_048_576;
    console.log(
      `${s.label.padEnd(26)} ${String(expected).padStart(10)}  ${String(Math.round(firstMs)).padStart(12)}  ${String(Math.round(allMs)).padStart(11)}  ${mb.toFixed(1).padStart(16)}  ${String(trips() - before).padStart(17)}`,
    );
  }
}

function subtreeSize(dir: Directory, id: string): number {
  let n = 0;
  const stack = [...(dir.directReports.get(id) ?? [])];
  while (stack.length > 0) {
    n += 1;
    stack.push(...(dir.directReports.get(stack.pop()!) ?? []));
  }
  return n;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
