import 'server-only';
import type { GraphBatchRequest, GraphBatchResponse } from '@/lib/graph/batch';
import { itemsPageSchema, parseBatchBody, toBatchItemFailure, type ItemsPage } from '@/lib/graph/batch-answers';
import type { EligibilitySignal } from '@/lib/graph/eligibility-signals';
import { toRelativeGraphUrl, type PagedRead } from '@/lib/graph/paged-reads';
import type { UnverifiableSignal } from '@/lib/graph/reportee-tree';

/**
 * The eligibility reads waiting for the reportee walk's next round, and the signals Graph
 * refused to show along the way.
 */

/** How a refused read is reported: the signal it leaves unverifiable and the permission that would show it. */
export interface ReadDenial {
  signal: EligibilitySignal;
  permission: string;
  /** 404 refuses too (the object should exist); otherwise 404 reads as an empty list. */
  refuseOn404?: boolean;
}

/** Pending eligibility reads, each listing queued once, and the first refusal of each signal. */
export class EligibilityReadQueue {
  private readonly pending: PagedRead[] = [];
  private readonly queued = new Set<string>();
  readonly unverifiable = new Map<EligibilitySignal, UnverifiableSignal>();

  constructor(private readonly versionBase: string) {}

  /** Records the first refusal of `signal`; later ones add nothing. */
  refuse(signal: EligibilitySignal, read: string, missingPermission: string): void {
    if (!this.unverifiable.has(signal)) this.unverifiable.set(signal, { signal, read, missingPermission });
  }

  /**
   * A paged read: 403 makes `denied.signal` unverifiable; 404 (the object is gone) is an empty
   * list unless `refuseOn404`; `onPage` gets every 200 page.
   */
  read(request: GraphBatchRequest, what: string, denied: ReadDenial, onPage: (body: ItemsPage) => void): PagedRead {
    return {
      request,
      absorb: (response) => {
        if (response.status === 403 || (response.status === 404 && denied.refuseOn404 === true)) {
          this.refuse(denied.signal, what, denied.permission);
          return undefined;
        }
        if (response.status === 404) return undefined;
        if (response.status !== 200) throw toBatchItemFailure(what, response);
        const page = parseBatchBody(itemsPageSchema, response.body, what);
        onPage(page);
        return page['@odata.nextLink'];
      },
    };
  }

  /** Queues a listing once (by URL); its further pages are queued by {@link absorb}. */
  enqueue(read: PagedRead): void {
    const key = read.request.url.toLowerCase();
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(read);
  }

  /** Absorbs an answer of a read made here; a further page goes to the queue. */
  absorb(read: PagedRead, response: GraphBatchResponse): void {
    const nextLink = read.absorb(response);
    if (nextLink === undefined) return;
    const url = toRelativeGraphUrl(nextLink, this.versionBase);
    this.pending.push({ ...read, request: { method: 'GET', url, ...(read.request.headers === undefined ? {} : { headers: read.request.headers }) } });
  }

  /** Every read queued so far, in the order queued; the queue is left empty. */
  takePending(): PagedRead[] {
    return this.pending.splice(0);
  }
}
