import 'server-only';
import { GRAPH_BATCH_CONCURRENCY, GRAPH_BATCH_LIMIT, type GraphBatchRequest, type GraphBatchResponse } from '@/lib/graph/batch';

/**
 * When the reportee walk stops listing direct reports level by level and reads the whole
 * directory instead, judged from the directory's size.
 */

/** Graph caps a page at 100 items when the request has `$expand` (docs/graph-behaviours.md#paging). */
export const SCAN_PAGE_SIZE = 100;

/** The directory's size, read in the walk's first round (docs/graph-behaviours.md#advanced-queries). */
export const USER_COUNT_REQUEST: GraphBatchRequest = { method: 'GET', url: '/users/$count', headers: { ConsistencyLevel: 'eventual' } };

/**
 * `/users/$count` answers text/plain; inside `$batch` a non-JSON body arrives base64-encoded
 * (docs/graph-behaviours.md#batch). Anything unexpected yields null, and the walk then never
 * switches to a directory scan.
 */
export function parseCountBody(response: GraphBatchResponse | undefined): number | null {
  if (response === undefined || response.status !== 200) return null;
  const body = response.body;
  if (typeof body === 'number') return Number.isInteger(body) && body >= 0 ? body : null;
  if (typeof body !== 'string') return null;
  for (const text of [body, Buffer.from(body, 'base64').toString('utf8')]) {
    if (/^\s*\d+\s*$/.test(text)) return Number(text.trim());
  }
  return null;
}

/**
 * Whether to read the whole directory instead of listing the next level's direct reports: a
 * level of L managers costs ⌈L / (20 × concurrency)⌉ sequential rounds of `$batch`; a directory
 * scan costs ⌈N / 100⌉ pages (Graph's page cap with `$expand`), one after another. Switching once
 * a single level costs as much as the scan is the classic rent-or-buy rule: never more than twice
 * the round trips of the best choice made in hindsight, small teams stay on the cheap walk, and
 * the top of a very wide org costs bounded round trips instead of thousands.
 */
export function shouldScanDirectory(managersToList: number, tenantUsers: number | null): boolean {
  if (tenantUsers === null || managersToList === 0) return false;
  const levelRounds = Math.ceil(managersToList / (GRAPH_BATCH_LIMIT * GRAPH_BATCH_CONCURRENCY));
  const scanRounds = Math.ceil(tenantUsers / SCAN_PAGE_SIZE);
  return levelRounds >= scanRounds;
}
