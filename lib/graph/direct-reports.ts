import 'server-only';
import type { GraphBatchResponse } from '@/lib/graph/batch';
import { directoryObjectsPageSchema, parseBatchBody, toBatchItemFailure } from '@/lib/graph/batch-answers';
import { toRelativeGraphUrl } from '@/lib/graph/paged-reads';
import { REPORT_SELECT, PAGE_SIZE, reportUserSchema, type GraphReportee } from '@/lib/graph/reportee-tree';
import type { Logger } from '@/lib/log';

/**
 * One level of the reportee walk: the people found in the answers of the `directReports`
 * listings, and the listings of the level below (docs/graph-behaviours.md#direct-reports).
 */

/** A pending `directReports` listing (a first page or an `@odata.nextLink` page). */
export interface Listing {
  managerId: string;
  /** Depth of the users this listing returns. */
  depth: number;
  url: string;
}

/** The walk so far: everyone found, and who has been seen (the root included). */
export interface ReporteeWalk {
  visited: Set<string>;
  reportees: GraphReportee[];
  maxDepth: number | null;
  log: Logger;
}

/** The first page of a user's direct reports. */
export function directReportsUrl(userId: string): string {
  return `/users/${encodeURIComponent(userId)}/directReports?$select=${REPORT_SELECT}&$top=${PAGE_SIZE}`;
}

/**
 * Adds the users in the answered listings to `walk`, and returns the listings still to read:
 * the found users' direct reports (above `maxDepth`) and the further pages. Manager data can
 * contain cycles (docs/graph-behaviours.md#manager-chain): a user already seen is not added
 * again. Non-user direct reports (org contacts) are skipped.
 */
export function addDirectReports(answered: { listing: Listing; response: GraphBatchResponse }[], walk: ReporteeWalk, versionBase: string): Listing[] {
  const next: Listing[] = [];
  for (const { listing, response } of answered) {
    // The manager vanished between rounds: nothing below them to report.
    if (response.status === 404) continue;
    if (response.status !== 200) throw toBatchItemFailure('a directReports listing', response);
    const page = parseBatchBody(directoryObjectsPageSchema, response.body, 'directReports');
    for (const item of page.value) {
      if (item['@odata.type'] !== '#microsoft.graph.user') continue;
      const key = item.id.toLowerCase();
      if (walk.visited.has(key)) {
        walk.log.warn({ userId: item.id, managerId: listing.managerId }, 'cycle in manager data; not descending again');
        continue;
      }
      const user = parseBatchBody(reportUserSchema, item, 'a direct report');
      walk.visited.add(key);
      walk.reportees.push({ ...user, depth: listing.depth, managerId: listing.managerId });
      if (walk.maxDepth === null || listing.depth < walk.maxDepth) {
        next.push({ managerId: user.id, depth: listing.depth + 1, url: directReportsUrl(user.id) });
      }
    }
    const nextLink = page['@odata.nextLink'];
    if (nextLink !== undefined) next.push({ ...listing, url: toRelativeGraphUrl(nextLink, versionBase) });
  }
  return next;
}
