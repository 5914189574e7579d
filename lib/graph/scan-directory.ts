import 'server-only';
import { z } from 'zod';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { parseBatchBody, toBatchItemFailure } from '@/lib/graph/batch-answers';
import type { Listing, ReporteeWalk } from '@/lib/graph/direct-reports';
import { toRelativeGraphUrl, type PagedRead } from '@/lib/graph/paged-reads';
import { REPORT_SELECT, reportUserSchema } from '@/lib/graph/reportee-tree';
import { SCAN_PAGE_SIZE } from '@/lib/graph/should-scan-directory';
import type { TenantEligibilityReads } from '@/lib/graph/tenant-eligibility-reads';
import type { Logger } from '@/lib/log';

/**
 * The reportee walk's fallback when a level gets wide: the whole directory with each user's
 * manager, read page by page, and the rest of the walk done in memory.
 */

const SCAN_URL = `/users?$select=${REPORT_SELECT}&$expand=manager($select=id)&$top=${SCAN_PAGE_SIZE}`;

const scanPageSchema = z.object({
  value: z.array(reportUserSchema.extend({ manager: z.looseObject({ id: z.string().min(1) }).nullish() })),
  '@odata.nextLink': z.string().optional(),
});

export type ScannedUser = z.infer<typeof scanPageSchema>['value'][number];

/**
 * Reads the whole directory with each user's manager, page after page (`@odata.nextLink` is
 * sequential by nature), then continues the walk in memory from the `pending` listings. The
 * eligibility reads still pending (`riding`, then whatever `facts` queues) ride in the pages'
 * `$batch`es.
 */
export async function scanDirectory(
  pending: Listing[],
  riding: PagedRead[],
  walk: ReporteeWalk,
  ctx: { facts: TenantEligibilityReads; stats: GraphBatchStats; versionBase: string },
): Promise<void> {
  const users = await readDirectory(riding, ctx.facts, { log: walk.log, stats: ctx.stats, versionBase: ctx.versionBase });
  addFromScan(users, pending, walk);
}

/**
 * Every user of the directory with their manager's id, page after page; the eligibility reads
 * of `facts` ride in the pages' `$batch`es (`extra` first, then whatever `facts` queues).
 */
export async function readDirectory(extra: PagedRead[], facts: TenantEligibilityReads, ctx: { log: Logger; stats: GraphBatchStats; versionBase: string }): Promise<ScannedUser[]> {
  const users: ScannedUser[] = [];
  let url: string | undefined = SCAN_URL;
  let riding = extra;
  while (url !== undefined) {
    const requests: GraphBatchRequest[] = [{ method: 'GET', url }, ...riding.map((read) => read.request)];
    const [page, ...rest] = await graphBatch(requests, { log: ctx.log, stats: ctx.stats });
    riding.forEach((read, index) => facts.absorb(read, rest[index] as GraphBatchResponse));
    if (page === undefined || page.status !== 200) throw toBatchItemFailure('the directory scan', page ?? { status: 0, headers: {}, body: null });
    const parsed = parseBatchBody(scanPageSchema, page.body, 'users');
    users.push(...parsed.value);
    const nextLink = parsed['@odata.nextLink'];
    url = nextLink === undefined ? undefined : toRelativeGraphUrl(nextLink, ctx.versionBase);
    riding = url === undefined ? [] : facts.takePending();
  }
  ctx.log.debug({ users: users.length, graphRequests: ctx.stats.httpRequests }, 'directory scanned for a wide reportee level');
  return users;
}

/** Continues the breadth-first walk in memory, from the managers whose listings were pending. */
function addFromScan(users: ScannedUser[], pending: Listing[], walk: ReporteeWalk): void {
  const byManager = new Map<string, ScannedUser[]>();
  for (const user of users) {
    const managerId = user.manager?.id.toLowerCase();
    if (managerId === undefined) continue;
    const list = byManager.get(managerId);
    if (list === undefined) byManager.set(managerId, [user]);
    else list.push(user);
  }
  // A manager may appear twice (a first page and a nextLink page): expand each once.
  let frontier = [...new Map(pending.map((l) => [l.managerId.toLowerCase(), l])).values()].map((l) => ({ managerId: l.managerId, depth: l.depth }));
  while (frontier.length > 0) {
    const next: { managerId: string; depth: number }[] = [];
    for (const { managerId, depth } of frontier) {
      for (const { manager: _manager, ...user } of byManager.get(managerId.toLowerCase()) ?? []) {
        const key = user.id.toLowerCase();
        if (walk.visited.has(key)) {
          walk.log.warn({ userId: user.id, managerId }, 'cycle in manager data; not descending again');
          continue;
        }
        walk.visited.add(key);
        walk.reportees.push({ ...user, depth, managerId });
        if (walk.maxDepth === null || depth < walk.maxDepth) next.push({ managerId: user.id, depth: depth + 1 });
      }
    }
    frontier = next;
  }
}
