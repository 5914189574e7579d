import 'server-only';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import type { Logger } from '@/lib/log';

/**
 * Paging through Graph collections inside `$batch`: shared by the target's facts and the reportee
 * walk, which both follow `@odata.nextLink` pages of many reads at once.
 */

/**
 * `@odata.nextLink` is absolute; `$batch` wants URLs relative to the version root. A link that
 * does not point at our own Graph base is refused rather than followed.
 */
export function toRelativeGraphUrl(nextLink: string, versionBase: string): string {
  const base = versionBase.replace(/\/+$/, '');
  if (nextLink.length > base.length && nextLink.toLowerCase().startsWith(`${base.toLowerCase()}/`)) {
    return nextLink.slice(base.length);
  }
  throw new GraphRequestError('Graph returned a nextLink outside the configured Graph base URL', 200);
}

/**
 * One read of a batched walk: the request, and what to do with its answer. `absorb` returns the
 * answer's `@odata.nextLink`, if any; the next page is fetched with the same headers.
 */
export interface PagedRead {
  request: GraphBatchRequest;
  absorb(response: GraphBatchResponse): string | undefined;
}

/**
 * Runs `reads` in batched rounds until every page is read: each round sends every pending read
 * through `$batch` (20 per batch, several in flight), then the next pages and whatever `more()`
 * adds after the round. `@odata.nextLink` pages keep the headers of the first page.
 */
export async function runPagedReads(reads: PagedRead[], ctx: { log: Logger; stats: GraphBatchStats; more?: () => PagedRead[] }): Promise<void> {
  const versionBase = getGraphVersionBase();
  let pending = reads;
  while (pending.length > 0) {
    const responses = await graphBatch(
      pending.map((read) => read.request),
      { log: ctx.log, stats: ctx.stats },
    );
    if (responses.length !== pending.length) throw new GraphRequestError('Graph $batch lost a response', 200);
    const next: PagedRead[] = [];
    pending.forEach((read, index) => {
      const nextLink = read.absorb(responses[index] as GraphBatchResponse);
      if (nextLink === undefined) return;
      const url = toRelativeGraphUrl(nextLink, versionBase);
      next.push({ ...read, request: { method: 'GET', url, ...(read.request.headers === undefined ? {} : { headers: read.request.headers }) } });
    });
    next.push(...(ctx.more?.() ?? []));
    pending = next;
  }
}
