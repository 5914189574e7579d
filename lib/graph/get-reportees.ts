import 'server-only';
import { z } from 'zod';
import { GRAPH_BATCH_CONCURRENCY, GRAPH_BATCH_LIMIT, graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import { parseTenantTapPolicy, TAP_POLICY_REQUEST, type TenantTapPolicy } from '@/lib/graph/get-target-facts';
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
  /** The tenant TAP policy (null when the root is unknown and the walk stopped at once). */
  tapPolicy: TenantTapPolicy | null;
  /**
   * Active directory role template ids per user id (lower-cased), directly or through a
   * role-holding group — for everyone, not only reportees (read once for the tenant).
   */
  roleTemplateIdsByUser: Map<string, string[]>;
  /** For each group the TAP policy targets (lower-cased ids): the user ids (lower-cased) in it, transitively. */
  policyGroupMembers: Map<string, Set<string>>;
  /**
   * Groups whose members could not be read (403: the app lacks GroupMember.Read.All): roles held
   * through them and policy targets naming them cannot be judged from this walk.
   */
  unreadableGroupIds: string[];
}

interface Listing {
  kind: 'reports';
  managerId: string;
  /** Depth of the users this listing returns. */
  depth: number;
  url: string;
}

/** A page of a group's transitive members, for a role it holds or a TAP policy target. */
interface GroupListing {
  kind: 'group';
  groupId: string;
  url: string;
}

/** Reference to a TAP policy target that names a group (not `all_users`). */
function policyTargetGroupIds(policy: TenantTapPolicy): string[] {
  const ids = [...policy.includeTargets, ...policy.excludeTargets]
    .filter((t) => t.targetType.toLowerCase() === 'group' && t.id.toLowerCase() !== 'all_users')
    .map((t) => t.id.toLowerCase());
  return [...new Set(ids)];
}

function groupMembersUrl(groupId: string): string {
  return `/groups/${encodeURIComponent(groupId)}/transitiveMembers?$select=id&$top=${PAGE_SIZE}`;
}

const DIRECTORY_ROLES_REQUEST: GraphBatchRequest = { method: 'GET', url: '/directoryRoles?$expand=members($select=id)' };

const directoryRolesSchema = z.object({
  value: z.array(
    z.looseObject({
      id: z.string().min(1),
      roleTemplateId: z.string().nullish(),
      members: z.array(z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1) })).default([]),
      'members@odata.nextLink': z.string().optional(),
    }),
  ),
});

const membersPageSchema = z.object({
  value: z.array(z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1) })),
  '@odata.nextLink': z.string().optional(),
});

function directReportsUrl(userId: string): string {
  return `/users/${encodeURIComponent(userId)}/directReports?$select=${REPORT_SELECT}&$top=${PAGE_SIZE}`;
}

/** The whole directory with each user's manager: the walk's fallback when a level gets wide. */
const SCAN_URL = `/users?$select=${REPORT_SELECT}&$expand=manager($select=id)&$top=${PAGE_SIZE}`;
const USER_COUNT_REQUEST: GraphBatchRequest = { method: 'GET', url: '/users/$count', headers: { ConsistencyLevel: 'eventual' } };

const scanPageSchema = z.object({
  value: z.array(reportUserSchema.extend({ manager: z.looseObject({ id: z.string().min(1) }).nullish() })),
  '@odata.nextLink': z.string().optional(),
});

/**
 * `/users/$count` answers text/plain; inside `$batch` a non-JSON body arrives base64-encoded.
 * Anything unexpected yields null, and the walk then never switches to a directory scan.
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
 * scan costs ⌈N / 999⌉ pages, one after another. Switching once a single level costs as much as
 * the scan is the classic rent-or-buy rule: never more than twice the round trips of the best
 * choice made in hindsight, small teams stay on the cheap walk, and the top of a 100,000-person
 * org costs a few hundred round trips instead of thousands.
 */
export function shouldScanDirectory(managersToList: number, tenantUsers: number | null): boolean {
  if (tenantUsers === null || managersToList === 0) return false;
  const levelRounds = Math.ceil(managersToList / (GRAPH_BATCH_LIMIT * GRAPH_BATCH_CONCURRENCY));
  const scanRounds = Math.ceil(tenantUsers / PAGE_SIZE);
  return levelRounds >= scanRounds;
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
 * Eligibility facts come along without per-person requests: round 1 also reads
 * `/directoryRoles?$expand=members` and the tenant TAP policy; the transitive members of the
 * groups that hold roles or that the policy targets are read inside the following rounds
 * (an extra round only when the walk would otherwise end before them).
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

  const [rootResponse, firstPage, rolesResponse, policyResponse, countResponse] = await graphBatch(
    [
      { method: 'GET', url: `/users/${encodeURIComponent(rootUserId)}?$select=${ROOT_SELECT}` },
      { method: 'GET', url: directReportsUrl(rootUserId) },
      DIRECTORY_ROLES_REQUEST,
      TAP_POLICY_REQUEST,
      USER_COUNT_REQUEST,
    ],
    { log, stats },
  );
  const empty = { roleTemplateIdsByUser: new Map<string, string[]>(), policyGroupMembers: new Map<string, Set<string>>(), unreadableGroupIds: [] };
  if (rootResponse === undefined || firstPage === undefined || rolesResponse === undefined || policyResponse === undefined) {
    throw new GraphRequestError('Graph $batch lost a response', 200);
  }
  if (rootResponse.status === 404) return { root: null, reportees: [], graphRequests: stats.httpRequests, tapPolicy: null, ...empty };
  if (rootResponse.status !== 200) throw failure('the root user', rootResponse);
  const rootParsed = rootUserSchema.safeParse(rootResponse.body);
  if (!rootParsed.success) throw new GraphRequestError('Graph returned a user in an unexpected shape', 200);
  const root = rootParsed.data;
  const tapPolicy = parseTenantTapPolicy(policyResponse);
  const tenantUsers = parseCountBody(countResponse);

  // Who holds which role: users directly; groups' members are read below, in the walk's rounds.
  const roleTemplateIdsByUser = new Map<string, string[]>();
  const rolesOfGroup = new Map<string, string[]>();
  const addTo = (map: Map<string, string[]>, key: string, templateId: string): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [templateId]);
    else if (!list.includes(templateId)) list.push(templateId);
  };
  if (rolesResponse.status !== 200) throw failure('the directory roles', rolesResponse);
  const roles = directoryRolesSchema.safeParse(rolesResponse.body);
  if (!roles.success) throw new GraphRequestError('Graph returned directory roles in an unexpected shape', 200);
  const extraListings: (Listing | GroupListing)[] = [];
  for (const role of roles.data.value) {
    // Fail closed: without a template id the role cannot be matched against the non-admin list.
    const templateId = (role.roleTemplateId ?? role.id).toLowerCase();
    if (role['members@odata.nextLink'] !== undefined) {
      // Facts §3 say directory roles do not page; if Graph ever pages the expansion, read the rest.
      extraListings.push({ kind: 'group', groupId: `role:${templateId}`, url: toRelativeGraphUrl(role['members@odata.nextLink'], versionBase) });
    }
    for (const member of role.members) {
      if (member['@odata.type'] === '#microsoft.graph.group') addTo(rolesOfGroup, member.id.toLowerCase(), templateId);
      else addTo(roleTemplateIdsByUser, member.id.toLowerCase(), templateId);
    }
  }
  const policyGroups = policyTargetGroupIds(tapPolicy);
  const policyGroupMembers = new Map<string, Set<string>>(policyGroups.map((id) => [id, new Set<string>()]));
  const unreadableGroupIds: string[] = [];
  for (const groupId of new Set([...rolesOfGroup.keys(), ...policyGroups])) {
    extraListings.push({ kind: 'group', groupId, url: groupMembersUrl(groupId) });
  }

  const readGroupPage = (listing: GroupListing, response: GraphBatchResponse, next: (Listing | GroupListing)[]): void => {
    if (response.status === 404) return;
    if (response.status === 403) {
      log.warn({ groupId: listing.groupId }, 'cannot read group members (GroupMember.Read.All not granted); the reportee list cannot judge roles or TAP policy targets through this group');
      unreadableGroupIds.push(listing.groupId);
      return;
    }
    if (response.status !== 200) throw failure('a group membership listing', response);
    const page = membersPageSchema.safeParse(response.body);
    if (!page.success) throw new GraphRequestError('Graph returned group members in an unexpected shape', 200);
    const roleOfPage = listing.groupId.startsWith('role:') ? listing.groupId.slice('role:'.length) : null;
    for (const member of page.data.value) {
      const memberId = member.id.toLowerCase();
      if (roleOfPage !== null) {
        if (member['@odata.type'] === '#microsoft.graph.group') {
          addTo(rolesOfGroup, memberId, roleOfPage);
          next.push({ kind: 'group', groupId: memberId, url: groupMembersUrl(memberId) });
        } else addTo(roleTemplateIdsByUser, memberId, roleOfPage);
        continue;
      }
      if (member['@odata.type'] === '#microsoft.graph.group') continue; // transitiveMembers already flattens nesting
      for (const templateId of rolesOfGroup.get(listing.groupId) ?? []) addTo(roleTemplateIdsByUser, memberId, templateId);
      policyGroupMembers.get(listing.groupId)?.add(memberId);
    }
    const nextLink = page.data['@odata.nextLink'];
    if (nextLink !== undefined) next.push({ ...listing, url: toRelativeGraphUrl(nextLink, versionBase) });
  };

  let answered: { listing: Listing | GroupListing; response: GraphBatchResponse }[] = [
    { listing: { kind: 'reports', managerId: root.id, depth: 1, url: directReportsUrl(rootUserId) }, response: firstPage },
  ];
  // Group memberships ride along in the walk's next round (no round of their own) unless the
  // walk ends first and there is someone to judge.
  let pendingExtra = extraListings;
  // After a directory scan every reportee is known; only group listings may still be paging.
  let tenantUsersScanned = false;

  for (;;) {
    const next: (Listing | GroupListing)[] = [];
    for (const { listing, response } of answered) {
      if (listing.kind === 'group') {
        readGroupPage(listing, response, next);
        continue;
      }
      // The manager vanished between rounds: nothing below them to report.
      if (response.status === 404 || tenantUsersScanned) continue;
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
          next.push({ kind: 'reports', managerId: user.data.id, depth: listing.depth + 1, url: directReportsUrl(user.data.id) });
        }
      }
      const nextLink = page.data['@odata.nextLink'];
      if (nextLink !== undefined) next.push({ ...listing, url: toRelativeGraphUrl(nextLink, versionBase) });
    }
    if (pendingExtra.length > 0 && (next.length > 0 || reportees.length > 0)) {
      next.push(...pendingExtra);
      pendingExtra = [];
    }
    if (next.length === 0) break;
    const reportListings = next.filter((l): l is Listing => l.kind === 'reports');
    if (shouldScanDirectory(reportListings.length, tenantUsers)) {
      const groupListings = next.filter((l): l is GroupListing => l.kind === 'group');
      const { users, groupResponses } = await scanDirectory(groupListings, { log, stats, versionBase });
      answered = groupListings.map((listing, index) => ({ listing, response: groupResponses[index] as GraphBatchResponse }));
      addFromScan(users, reportListings, { visited, reportees, maxDepth, log });
      tenantUsersScanned = true;
      continue;
    }
    const requests: GraphBatchRequest[] = next.map((listing) => ({ method: 'GET', url: listing.url }));
    const responses = await graphBatch(requests, { log, stats });
    answered = next.map((listing, index) => ({ listing, response: responses[index] as GraphBatchResponse }));
  }

  log.debug({ reportees: reportees.length, graphRequests: stats.httpRequests }, 'reportee tree read');
  return { root, reportees, graphRequests: stats.httpRequests, tapPolicy, roleTemplateIdsByUser, policyGroupMembers, unreadableGroupIds };
}

type ScannedUser = z.infer<typeof scanPageSchema>['value'][number];

/**
 * Reads the whole directory with each user's manager, page after page (`@odata.nextLink` is
 * sequential by nature). The group listings still pending ride in the first page's `$batch`.
 */
async function scanDirectory(
  groupListings: GroupListing[],
  ctx: { log: Logger; stats: GraphBatchStats; versionBase: string },
): Promise<{ users: ScannedUser[]; groupResponses: GraphBatchResponse[] }> {
  const users: ScannedUser[] = [];
  let url: string | undefined = SCAN_URL;
  let groupResponses: GraphBatchResponse[] = [];
  let first = true;
  while (url !== undefined) {
    const requests: GraphBatchRequest[] = [{ method: 'GET', url }, ...(first ? groupListings.map((l) => ({ method: 'GET' as const, url: l.url })) : [])];
    const [page, ...rest] = await graphBatch(requests, { log: ctx.log, stats: ctx.stats });
    if (first) groupResponses = rest;
    first = false;
    if (page === undefined || page.status !== 200) throw failure('the directory scan', page ?? { status: 0, headers: {}, body: null });
    const parsed = scanPageSchema.safeParse(page.body);
    if (!parsed.success) throw new GraphRequestError('Graph returned users in an unexpected shape', 200);
    users.push(...parsed.data.value);
    const nextLink = parsed.data['@odata.nextLink'];
    url = nextLink === undefined ? undefined : toRelativeGraphUrl(nextLink, ctx.versionBase);
  }
  ctx.log.debug({ users: users.length, graphRequests: ctx.stats.httpRequests }, 'directory scanned for a wide reportee level');
  return { users, groupResponses };
}

/** Continues the breadth-first walk in memory, from the managers whose listings were pending. */
function addFromScan(
  users: ScannedUser[],
  pending: Listing[],
  ctx: { visited: Set<string>; reportees: GraphReportee[]; maxDepth: number | null; log: Logger },
): void {
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
        if (ctx.visited.has(key)) {
          ctx.log.warn({ userId: user.id, managerId }, 'cycle in manager data; not descending again');
          continue;
        }
        ctx.visited.add(key);
        ctx.reportees.push({ ...user, depth, managerId });
        if (ctx.maxDepth === null || depth < ctx.maxDepth) next.push({ managerId: user.id, depth: depth + 1 });
      }
    }
    frontier = next;
  }
}
