import 'server-only';
import { graphBatch, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { parseBatchBody, toBatchItemFailure } from '@/lib/graph/batch-answers';
import { GraphRequestError } from '@/lib/graph/client';
import { directReportsUrl } from '@/lib/graph/direct-reports';
import { ROOT_SELECT, rootUserSchema, type GraphRootUser } from '@/lib/graph/reportee-tree';
import { parseCountBody, USER_COUNT_REQUEST } from '@/lib/graph/should-scan-directory';
import type { TenantEligibilityReads } from '@/lib/graph/tenant-eligibility-reads';
import type { Logger } from '@/lib/log';

/**
 * The reportee walk's first round: one `$batch` with the root user, their direct reports, the
 * directory's size and the tenant-wide eligibility reads.
 */

export interface FirstRound {
  root: GraphRootUser;
  /** The answer to the root's first `directReports` page. */
  directReports: GraphBatchResponse;
  /** Users in the directory; null when Graph did not say. */
  tenantUsers: number | null;
}

/**
 * Sends the first round and absorbs the eligibility answers into `facts`.
 *
 * @returns null when Graph does not know the root (the eligibility answers are then left unread).
 */
export async function readFirstRound(rootUserId: string, facts: TenantEligibilityReads, ctx: { log: Logger; stats: GraphBatchStats }): Promise<FirstRound | null> {
  const firstReads = facts.firstReads();
  const [rootResponse, directReports, countResponse, ...firstAnswers] = await graphBatch(
    [
      { method: 'GET', url: `/users/${encodeURIComponent(rootUserId)}?$select=${ROOT_SELECT}` },
      { method: 'GET', url: directReportsUrl(rootUserId) },
      USER_COUNT_REQUEST,
      ...firstReads.map((read) => read.request),
    ],
    { log: ctx.log, stats: ctx.stats },
  );
  if (rootResponse === undefined || directReports === undefined || firstAnswers.length !== firstReads.length) {
    throw new GraphRequestError('Graph $batch lost a response', 200);
  }
  if (rootResponse.status === 404) return null;
  if (rootResponse.status !== 200) throw toBatchItemFailure('the root user', rootResponse);
  const root = parseBatchBody(rootUserSchema, rootResponse.body, 'a user');
  firstReads.forEach((read, index) => facts.absorb(read, firstAnswers[index] as GraphBatchResponse));
  return { root, directReports, tenantUsers: parseCountBody(countResponse) };
}
