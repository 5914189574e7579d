import 'server-only';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { addDirectReports, directReportsUrl, type Listing, type ReporteeWalk } from '@/lib/graph/direct-reports';
import type { PagedRead } from '@/lib/graph/paged-reads';
import type { FirstRound } from '@/lib/graph/read-first-round';
import { scanDirectory } from '@/lib/graph/scan-directory';
import { shouldScanDirectory } from '@/lib/graph/should-scan-directory';
import type { TenantEligibilityReads } from '@/lib/graph/tenant-eligibility-reads';
import type { Logger } from '@/lib/log';

/**
 * The reportee walk after its first round: level by level through `$batch`, or one directory
 * scan once a level gets wide, with the pending eligibility reads riding along.
 */

type WalkContext = { log: Logger; stats: GraphBatchStats; versionBase: string };

/**
 * Walks down from the root's first `directReports` page until no listing and no eligibility
 * read is left, adding everyone found to `walk`. Eligibility reads ride in the walk's next round
 * (no round of their own) unless the walk ends first and there is someone to judge.
 */
export async function walkReportees(rootUserId: string, first: FirstRound, walk: ReporteeWalk, facts: TenantEligibilityReads, ctx: WalkContext): Promise<void> {
  let answered: { listing: Listing; response: GraphBatchResponse }[] = [
    { listing: { managerId: first.root.id, depth: 1, url: directReportsUrl(rootUserId) }, response: first.directReports },
  ];
  for (;;) {
    const next = addDirectReports(answered, walk, ctx.versionBase);
    const riding = next.length > 0 || walk.reportees.length > 0 ? facts.takePending() : [];
    if (next.length === 0 && riding.length === 0) return;
    if (shouldScanDirectory(next.length, first.tenantUsers)) {
      await scanDirectory(next, riding, walk, { facts, stats: ctx.stats, versionBase: ctx.versionBase });
      // Every reportee is known now; only eligibility reads may still be pending.
      answered = [];
      continue;
    }
    answered = await readNextLevel(next, riding, facts, ctx);
  }
}

/** One round of the walk: the pending listings, then the riding eligibility reads, in one `graphBatch` call. */
async function readNextLevel(next: Listing[], riding: PagedRead[], facts: TenantEligibilityReads, ctx: WalkContext): Promise<{ listing: Listing; response: GraphBatchResponse }[]> {
  const requests = [...next.map((listing): GraphBatchRequest => ({ method: 'GET', url: listing.url })), ...riding.map((read) => read.request)];
  const responses = await graphBatch(requests, { log: ctx.log, stats: ctx.stats });
  const answered = next.map((listing, index) => ({ listing, response: responses[index] as GraphBatchResponse }));
  riding.forEach((read, index) => facts.absorb(read, responses[next.length + index] as GraphBatchResponse));
  return answered;
}
