import 'server-only';
import { joinInFlight } from '@/lib/graph/single-flight';
import type { GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase } from '@/lib/graph/client';
import type { ReporteeWalk } from '@/lib/graph/direct-reports';
import { readFirstRound } from '@/lib/graph/read-first-round';
import type { ReporteeTree } from '@/lib/graph/reportee-tree';
import { TenantEligibilityReads } from '@/lib/graph/tenant-eligibility-reads';
import { walkReportees } from '@/lib/graph/walk-reportees';
import { logger as rootLogger, type Logger } from '@/lib/log';

/**
 * The reportee walk (`getReportees`): everyone below a manager, with the tenant-wide reads their
 * eligibility needs, in batched rounds.
 */

export type { GraphReportee, GraphRootUser, ReporteeTree, UnverifiableSignal } from '@/lib/graph/reportee-tree';

/**
 * Everyone who reports to `rootUserId`, directly or indirectly, read breadth-first with JSON
 * batching (docs/graph-behaviours.md#batch) — never one HTTP request per person.
 *
 * Round 1 is one `$batch` with the root user and their direct reports. Each further round lists
 * the direct reports of every user found in the previous one (plus any `@odata.nextLink` pages),
 * 20 listings per `$batch`, several batches in flight. A tree whose deepest reportee is at depth
 * D thus costs D+1 rounds (one `$batch` each while a level has ≤ 20 managers), or D when
 * `maxDepth` = D stops the walk early. A level that would cost more rounds than reading the whole
 * directory is read that way instead (`shouldScanDirectory`).
 *
 * Manager data can contain cycles (docs/graph-behaviours.md#manager-chain): a visited set ends
 * the walk, and the root itself is never reported. Non-user direct reports (org contacts) are
 * skipped.
 *
 * Eligibility signals come without per-person requests (docs/eligibility.md#where-it-runs):
 * round 1 also reads the tenant-wide lists (TAP policy, active and eligible role assignments,
 * role-assignable groups, administrative units, portal app role assignments); the members and
 * owners they lead to ride in the following rounds, with an extra round only when the walk would
 * end before them and there is someone to judge. A read Graph refuses (403) is listed in
 * `unverifiable`, and logged with the permission to grant.
 *
 * @param maxDepth deepest level to return (1 = direct reports only); null for no limit.
 */
export function getReportees(
  rootUserId: string,
  options: { maxDepth: number | null; protectedGroupIds?: readonly string[]; log?: Logger },
): Promise<ReporteeTree> {
  const { maxDepth } = options;
  if (maxDepth !== null && (!Number.isInteger(maxDepth) || maxDepth < 1)) return Promise.reject(new RangeError('maxDepth must be an integer ≥ 1 or null'));
  // The same tree asked for by several tabs or users at once is read once (lib/graph/single-flight.ts).
  const groups = [...new Set((options.protectedGroupIds ?? []).map((id) => id.toLowerCase()))].sort();
  const key = `reportees|${rootUserId.toLowerCase()}|${maxDepth ?? 'all'}|${groups.join(',')}`;
  return joinInFlight(key, () => readReportees(rootUserId, { ...options, protectedGroupIds: options.protectedGroupIds ?? [] }));
}

async function readReportees(
  rootUserId: string,
  options: { maxDepth: number | null; protectedGroupIds: readonly string[]; log?: Logger },
): Promise<ReporteeTree> {
  const log = options.log ?? rootLogger;
  const { maxDepth } = options;
  const stats: GraphBatchStats = { httpRequests: 0 };
  const ctx = { log, stats, versionBase: getGraphVersionBase() };
  const facts = new TenantEligibilityReads(ctx.versionBase, options.protectedGroupIds);

  const first = await readFirstRound(rootUserId, facts, ctx);
  if (first === null) return { ...facts.toFacts(log), root: null, reportees: [], graphRequests: stats.httpRequests, tapPolicy: null };

  const walk: ReporteeWalk = { visited: new Set([rootUserId.toLowerCase()]), reportees: [], maxDepth, log };
  await walkReportees(rootUserId, first, walk, facts, ctx);

  log.debug({ reportees: walk.reportees.length, graphRequests: stats.httpRequests }, 'reportee tree read');
  return { ...facts.toFacts(log), root: first.root, reportees: walk.reportees, graphRequests: stats.httpRequests };
}
