/**
 * The reportee-walk benchmark's measured half (started by scripts/bench.ts): the local tenant
 * in-process with the generated org and added latency, the portal's Graph code pointed at it.
 */
import { startTenant } from '../../tenant/server';
import { getLocalTenantPortalEnv } from '../lib/stack';
import { formatRatio, reportBenchRows, type BenchRow } from './bench-rows';

const [seedPath, dataDir, latencyArg] = process.argv.slice(2);
if (!seedPath || !dataDir || !latencyArg) throw new Error('usage: reportees-bench.ts <seed> <dataDir> <latencyMs>');

function subtreeSize(directReports: Map<string, string[]>, id: string): number {
  let count = 0;
  const seen = new Set<string>([id]);
  const stack = [...(directReports.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    count++;
    stack.push(...(directReports.get(next) ?? []));
  }
  return count;
}

async function main() {
  const loadStart = performance.now();
  const tenant = await startTenant({ port: 0, dataDir: dataDir!, seed: seedPath!, faults: { latencyMs: Number(latencyArg) } });
  const dir = tenant.ctx.directory;
  console.log(`local tenant loaded ${dir.users.size} users in ${Math.round(performance.now() - loadStart)} ms; Graph latency ${latencyArg} ms per round trip`);
  Object.assign(process.env, {
    ...getLocalTenantPortalEnv(tenant.url, dir),
    // The figures are the walk's own: no budget queueing, and no database (the budget's home).
    GRAPH_BUDGET_PER_SECOND: '0',
  });
  // Imported after the environment is set: the portal validates its configuration once.
  const { getReportees } = await import('../../lib/graph/get-reportees');

  const root = [...dir.users.values()].find((u) => u.managerId === null)!;
  const byDepth: string[][] = [[root.id]];
  for (let d = 1; d < 4; d++) byDepth.push(byDepth[d - 1]!.flatMap((id) => dir.directReports.get(id) ?? []));
  const pick = (ids: string[] | undefined) => ids?.find((id) => (dir.directReports.get(id)?.length ?? 0) > 0);
  const subjects = [
    { label: 'top of the org', id: root.id },
    { label: 'level-1 manager', id: pick(byDepth[1]) },
    { label: 'level-2 manager', id: pick(byDepth[2]) },
    { label: 'level-3 manager', id: pick(byDepth[3]) },
  ].filter((s): s is { label: string; id: string } => s.id !== undefined);

  // Warm the broker's token cache so the figures are the walk's own.
  await getReportees(root.id, { maxDepth: 1 });

  const rows: BenchRow[] = [];
  console.log('\nsubject            reportees  levels  graph round trips  batched requests      ms  peak RSS MB');
  for (const s of subjects) {
    const before = { graph: sum(tenant.ctx.stats.graph), batched: sum(tenant.ctx.stats.batched) };
    const t0 = performance.now();
    const tree = await getReportees(s.id, { maxDepth: null });
    const ms = performance.now() - t0;
    const levels = tree.reportees.reduce((m, r) => Math.max(m, r.depth), 0);
    const trips = sum(tenant.ctx.stats.graph) - before.graph;
    const batched = sum(tenant.ctx.stats.batched) - before.batched;
    const expected = subtreeSize(dir.directReports, s.id);
    if (tree.reportees.length !== expected) throw new Error(`${s.label}: walked ${tree.reportees.length}, the directory has ${expected}`);
    rows.push({
      section: 'reportees',
      what: `reportee walk, ${s.label} (${tree.reportees.length} reportees, ${dir.users.size}-user org, ${latencyArg} ms per round trip; ${Math.round(ms)} ms)`,
      measured: `${trips} Graph round trips`,
      reference: `directory depth ${levels}`,
      ratio: formatRatio(trips, levels),
      goal: '—',
      met: '—',
    });
    console.log(
      `${s.label.padEnd(18)} ${String(tree.reportees.length).padStart(9)}  ${String(levels).padStart(6)}  ${String(trips).padStart(17)}  ${String(batched).padStart(16)}  ${String(Math.round(ms)).padStart(6)}  ${String(Math.round(process.resourceUsage().maxRSS / 1024)).padStart(11)}`,
    );
  }
  reportBenchRows(rows);
  await tenant.close();
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
