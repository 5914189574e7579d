import 'server-only';
import { z } from 'zod';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import { logger as rootLogger, type Logger } from '@/lib/log';

const ROOT_SELECT = 'id,displayName,userPrincipalName,accountEnabled,userType';
const REPORT_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
/** Directory collections page at most 999 items. */
const PAGE_SIZE = 999;

// Graph is input: every field the broker relies on is checked; optional ones may be absent or
// null (an account without a UPN or a title exists in real tenants).
const nullableString = z.string().nullish().transform((v) => v ?? null);

const rootUserSchema = z.object({
  id: z.string().min(1),
  displayName: nullableString,
  userPrincipalName: nullableString,
  accountEnabled: z.boolean().nullish().transform((v) => v ?? null),
  userType: nullableString,
});

const reportUserSchema = rootUserSchema.extend({
  jobTitle: nullableString,
  department: nullableString,
  employeeHireDate: nullableString,
});

const directReportsPageSchema = z.object({
  value: z.array(z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1) })),
  '@odata.nextLink': z.string().optional(),
});

export type GraphRootUser = z.infer<typeof rootUserSchema>;

export interface GraphReportee extends z.infer<typeof reportUserSchema> {
  /** 1 = direct report of the root. */
  depth: number;
  managerId: string;
}

export interface ReporteeTree {
  /** The root user, or null when Graph does not know them. */
  root: GraphRootUser | null;
  /** Everyone below the root up to `maxDepth`, each once, in breadth-first order. */
  reportees: GraphReportee[];
  /** `$batch` HTTP requests the walk cost. */
  graphRequests: number;
}

interface Listing {
  managerId: string;
  /** Depth of the users this listing returns. */
  depth: number;
  url: string;
}

function directReportsUrl(userId: string): string {
  return `/users/${encodeURIComponent(userId)}/directReports?$select=${REPORT_SELECT}&$top=${PAGE_SIZE}`;
}

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

function failure(what: string, response: GraphBatchResponse): GraphRequestError {
  const error = z
    .object({ error: z.object({ code: z.string().optional(), innerError: z.looseObject({ 'request-id': z.string().optional() }).optional() }) })
    .safeParse(response.body);
  const code = error.success ? (error.data.error.code ?? null) : null;
  const requestId = error.success ? (error.data.error.innerError?.['request-id'] ?? null) : null;
  return new GraphRequestError(`Graph answered ${response.status} to ${what}`, response.status, code, requestId);
}

/**
 * Everyone who reports to `rootUserId`, directly or indirectly, read breadth-first with JSON
 * batching — never one HTTP request per person.
 *
 * Round 1 is one `$batch` with the root user and their direct reports. Each further round lists
 * the direct reports of every user found in the previous one (plus any `@odata.nextLink` pages),
 * 20 listings per `$batch`, several batches in flight. A tree whose deepest reportee is at depth
 * D thus costs D+1 rounds (one `$batch` each while a level has ≤ 20 managers), or D when
 * `maxDepth` = D stops the walk early.
 *
 * Manager data can contain cycles (Graph does not prevent them): a visited set ends the walk,
 * and the root itself is never reported. Non-user direct reports (org contacts) are skipped.
 *
 * @param maxDepth deepest level to return (1 = direct reports only); null for no limit.
 */
export async function getReportees(
  rootUserId: string,
  options: { maxDepth: number | null; log?: Logger },
): Promise<ReporteeTree> {
  const log = options.log ?? rootLogger;
  const { maxDepth } = options;
  if (maxDepth !== null && (!Number.isInteger(maxDepth) || maxDepth < 1)) throw new RangeError('maxDepth must be an integer ≥ 1 or null');
  const versionBase = getGraphVersionBase();
  const stats: GraphBatchStats = { httpRequests: 0 };
  const visited = new Set<string>([rootUserId.toLowerCase()]);
  const reportees: GraphReportee[] = [];

  const [rootResponse, firstPage] = await graphBatch(
    [
      { method: 'GET', url: `/users/${encodeURIComponent(rootUserId)}?$select=${ROOT_SELECT}` },
      { method: 'GET', url: directReportsUrl(rootUserId) },
    ],
    { log, stats },
  );
  if (rootResponse === undefined || firstPage === undefined) throw new GraphRequestError('Graph $batch lost a response', 200);
  if (rootResponse.status === 404) return { root: null, reportees: [], graphRequests: stats.httpRequests };
  if (rootResponse.status !== 200) throw failure('the root user', rootResponse);
  const rootParsed = rootUserSchema.safeParse(rootResponse.body);
  if (!rootParsed.success) throw new GraphRequestError('Graph returned a user in an unexpected shape', 200);
  const root = rootParsed.data;

  let answered: { listing: Listing; response: GraphBatchResponse }[] = [
    { listing: { managerId: root.id, depth: 1, url: directReportsUrl(rootUserId) }, response: firstPage },
  ];

  for (;;) {
    const next: Listing[] = [];
    for (const { listing, response } of answered) {
      // The manager vanished between rounds: nothing below them to report.
      if (response.status === 404) continue;
      if (response.status !== 200) throw failure('a directReports listing', response);
      const page = directReportsPageSchema.safeParse(response.body);
      if (!page.success) throw new GraphRequestError('Graph returned directReports in an unexpected shape', 200);
      for (const item of page.data.value) {
        if (item['@odata.type'] !== '#microsoft.graph.user') continue;
        const key = item.id.toLowerCase();
        if (visited.has(key)) {
          log.warn({ userId: item.id, managerId: listing.managerId }, 'cycle in manager data; not descending again');
          continue;
        }
        const user = reportUserSchema.safeParse(item);
        if (!user.success) throw new GraphRequestError('Graph returned a direct report in an unexpected shape', 200);
        visited.add(key);
        reportees.push({ ...user.data, depth: listing.depth, managerId: listing.managerId });
        if (maxDepth === null || listing.depth < maxDepth) {
          next.push({ managerId: user.data.id, depth: listing.depth + 1, url: directReportsUrl(user.data.id) });
        }
      }
      const nextLink = page.data['@odata.nextLink'];
      if (nextLink !== undefined) next.push({ ...listing, url: toRelativeGraphUrl(nextLink, versionBase) });
    }
    if (next.length === 0) break;
    const requests: GraphBatchRequest[] = next.map((listing) => ({ method: 'GET', url: listing.url }));
    const responses = await graphBatch(requests, { log, stats });
    answered = next.map((listing, index) => ({ listing, response: responses[index] as GraphBatchResponse }));
  }

  log.debug({ reportees: reportees.length, graphRequests: stats.httpRequests }, 'reportee tree read');
  return { root, reportees, graphRequests: stats.httpRequests };
}
