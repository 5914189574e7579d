import 'server-only';
import { z } from 'zod';
import { DEFAULT_ACCESS_APP_ROLE_ID, getTapPolicyGroupIds, type EligibilitySignal } from '@/lib/graph/eligibility-signals';
import { GRAPH_BATCH_CONCURRENCY, GRAPH_BATCH_LIMIT, graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import {
  getPortalAppRolesRequest,
  parseTenantTapPolicyOrNull,
  TAP_POLICY_REQUEST,
  type TenantTapPolicy,
} from '@/lib/graph/get-target-facts';
import { toRelativeGraphUrl, type PagedRead } from '@/lib/graph/paged-reads';
import { logger as rootLogger, type Logger } from '@/lib/log';

/**
 * The reportee walk (`getReportees`): everyone below a manager, with the tenant-wide reads their
 * eligibility needs, in batched rounds.
 */

const ROOT_SELECT = 'id,displayName,userPrincipalName,accountEnabled,userType';
const REPORT_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
/** Directory collections page at most 999 items. */
const PAGE_SIZE = 999;
/** Graph caps a page at 100 items when the request has `$expand`. */
export const SCAN_PAGE_SIZE = 100;

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

const directoryObjectSchema = z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1) });
const directoryObjectsPageSchema = z.object({ value: z.array(directoryObjectSchema), '@odata.nextLink': z.string().optional() });

const itemsPageSchema = z.object({ value: z.array(z.looseObject({})), '@odata.nextLink': z.string().optional() });
const scheduleInstanceSchema = z.looseObject({ principalId: z.string().min(1), roleDefinitionId: z.string().min(1).nullish() });
const appRoleAssignmentSchema = z.looseObject({ principalId: z.string().min(1), principalType: z.string().nullish(), appRoleId: z.string().min(1) });
const idOnlySchema = z.looseObject({ id: z.string().min(1) });

export type GraphRootUser = z.infer<typeof rootUserSchema>;

export interface GraphReportee extends z.infer<typeof reportUserSchema> {
  /** 1 = direct report of the root. */
  depth: number;
  managerId: string;
}

/** A signal Graph would not show the walk, with the read and the permission that would show it. */
export interface UnverifiableSignal {
  signal: EligibilitySignal;
  read: string;
  missingPermission: string;
}

export interface ReporteeTree {
  /** The root user, or null when Graph does not know them. */
  root: GraphRootUser | null;
  /** Everyone below the root up to `maxDepth`, each once, in breadth-first order. */
  reportees: GraphReportee[];
  /** `$batch` HTTP requests the walk cost. */
  graphRequests: number;
  /** The tenant TAP policy; null when the root is unknown or Graph refused the broker the policy. */
  tapPolicy: TenantTapPolicy | null;
  /**
   * Role definition ids (lower case) per user id (lower case): every active and PIM-eligible
   * assignment in the tenant, at any scope, held directly or through a role-assignable group —
   * for everyone, not only reportees (read once for the tenant).
   */
  roleDefinitionIdsByUser: Map<string, string[]>;
  /** Members and owners of role-assignable groups (lower-case user ids). */
  roleAssignableGroupUsers: Set<string>;
  /** Holders of an app role of the portal's API, directly or through a group (lower-case user ids). */
  portalRoleUsers: Set<string>;
  /** Members of restricted-management administrative units (lower-case user ids). */
  restrictedAdministrativeUnitUsers: Set<string>;
  /** Members of administrative units whose restriction Graph did not show (lower-case user ids). */
  unverifiableAdministrativeUnitUsers: Set<string>;
  /**
   * For each protected group and each group the TAP policy targets (lower-case ids): its
   * transitive members (lower-case user ids). A group whose members could not be read is absent.
   */
  groupMembers: Map<string, Set<string>>;
  /** Tenant-wide signals Graph would not show: nobody in the tree can be verified for them. */
  unverifiable: EligibilitySignal[];
  /** The same, with the read and the permission to grant (for logs and health checks). */
  unverifiableDetails: UnverifiableSignal[];
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

/** The whole directory with each user's manager: the walk's fallback when a level gets wide. */
const SCAN_URL = `/users?$select=${REPORT_SELECT}&$expand=manager($select=id)&$top=${SCAN_PAGE_SIZE}`;
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

function failure(what: string, response: GraphBatchResponse): GraphRequestError {
  const error = z
    .object({ error: z.object({ code: z.string().optional(), innerError: z.looseObject({ 'request-id': z.string().optional() }).optional() }) })
    .safeParse(response.body);
  const code = error.success ? (error.data.error.code ?? null) : null;
  const requestId = error.success ? (error.data.error.innerError?.['request-id'] ?? null) : null;
  return new GraphRequestError(`Graph answered ${response.status} to ${what}`, response.status, code, requestId);
}

function parsePage<T extends z.ZodType>(schema: T, response: GraphBatchResponse, what: string): z.infer<T> {
  const parsed = schema.safeParse(response.body);
  if (!parsed.success) throw new GraphRequestError(`Graph returned ${what} in an unexpected shape`, 200);
  return parsed.data;
}

/**
 * The tenant-wide reads behind the reportees' eligibility, and what they found. Reads discovered
 * along the way (members of the groups and units found, further pages) wait in `queue` and ride
 * in the walk's next round.
 */
class TenantEligibilityReads {
  tapPolicy: TenantTapPolicy | null | undefined = undefined;
  readonly queue: PagedRead[] = [];
  readonly unverifiable = new Map<EligibilitySignal, UnverifiableSignal>();
  private readonly rolesByPrincipal = new Map<string, Set<string>>();
  private readonly roleAssignableGroupMembers = new Map<string, Set<string>>();
  readonly roleAssignableGroupUsers = new Set<string>();
  readonly portalRoleUsers = new Set<string>();
  readonly restrictedAdministrativeUnitUsers = new Set<string>();
  readonly unverifiableAdministrativeUnitUsers = new Set<string>();
  readonly groupMembers = new Map<string, Set<string>>();
  private readonly queued = new Set<string>();
  private readonly transitiveMembers = new Map<string, { members: Set<string>; sinks: { add(userId: string): unknown }[] }>();

  constructor(
    private readonly versionBase: string,
    private readonly protectedGroupIds: readonly string[],
  ) {}

  private refuse(signal: EligibilitySignal, read: string, missingPermission: string): void {
    if (!this.unverifiable.has(signal)) this.unverifiable.set(signal, { signal, read, missingPermission });
  }

  /**
   * A paged read: 403 makes `signal` unverifiable; 404 (the object is gone) is an empty list
   * unless `refuseOn404`; `onPage` gets every 200 page.
   */
  private read(
    request: GraphBatchRequest,
    what: string,
    denied: { signal: EligibilitySignal; permission: string; refuseOn404?: boolean },
    onPage: (body: z.infer<typeof itemsPageSchema>) => void,
  ): PagedRead {
    return {
      request,
      absorb: (response) => {
        if (response.status === 403 || (response.status === 404 && denied.refuseOn404 === true)) {
          this.refuse(denied.signal, what, denied.permission);
          return undefined;
        }
        if (response.status === 404) return undefined;
        if (response.status !== 200) throw failure(what, response);
        const page = parsePage(itemsPageSchema, response, what);
        onPage(page);
        return page['@odata.nextLink'];
      },
    };
  }

  /** Queues a listing once (by URL); its further pages are queued by {@link absorb}. */
  private enqueue(read: PagedRead): void {
    const key = read.request.url.toLowerCase();
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(read);
  }

  /** Absorbs an answer of a read this object made; a further page goes to the queue. */
  absorb(read: PagedRead, response: GraphBatchResponse): void {
    const nextLink = read.absorb(response);
    if (nextLink === undefined) return;
    const url = toRelativeGraphUrl(nextLink, this.versionBase);
    this.queue.push({ ...read, request: { method: 'GET', url, ...(read.request.headers === undefined ? {} : { headers: read.request.headers }) } });
  }

  /** The reads of round 1: the tenant TAP policy and the tenant-wide lists. */
  firstReads(): PagedRead[] {
    for (const groupId of this.protectedGroupIds) this.listTransitiveMembers(groupId.toLowerCase(), this.memberSetOf(groupId.toLowerCase()));
    const scheduleSelect = '$select=principalId,roleDefinitionId,directoryScopeId';
    return [
      {
        request: TAP_POLICY_REQUEST,
        absorb: (response) => {
          this.tapPolicy = parseTenantTapPolicyOrNull(response);
          if (this.tapPolicy === null) this.refuse('tap-policy', 'the TAP policy', 'Policy.Read.AuthenticationMethod');
          else for (const groupId of getTapPolicyGroupIds(this.tapPolicy)) this.listTransitiveMembers(groupId, this.memberSetOf(groupId));
          return undefined;
        },
      },
      this.read(
        { method: 'GET', url: `/roleManagement/directory/roleAssignmentScheduleInstances?${scheduleSelect}` },
        'active role assignments',
        { signal: 'directory-roles', permission: 'RoleAssignmentSchedule.Read.Directory' },
        (page) => this.addRoles(page, 'directory-roles', 'active role assignments'),
      ),
      this.read(
        { method: 'GET', url: `/roleManagement/directory/roleEligibilityScheduleInstances?${scheduleSelect}` },
        'eligible role assignments',
        { signal: 'eligible-roles', permission: 'RoleEligibilitySchedule.Read.Directory' },
        (page) => this.addRoles(page, 'eligible-roles', 'eligible role assignments'),
      ),
      this.read(
        { method: 'GET', url: `/groups?$filter=${encodeURIComponent('isAssignableToRole eq true')}&$select=id&$top=${PAGE_SIZE}` },
        'role-assignable groups',
        { signal: 'group-memberships', permission: 'GroupMember.Read.All' },
        (page) => {
          for (const item of page.value) {
            const groupId = parsePageItem(idOnlySchema, item, 'a group').id.toLowerCase();
            const members = this.roleAssignableMembersOf(groupId);
            const sink = (userId: string): void => {
              members.add(userId);
              this.roleAssignableGroupUsers.add(userId);
            };
            this.listMembers(`/groups/${encodeURIComponent(groupId)}/members`, 'members of a role-assignable group', sink);
            this.listMembers(`/groups/${encodeURIComponent(groupId)}/owners`, 'owners of a role-assignable group', (userId) => this.roleAssignableGroupUsers.add(userId));
          }
        },
      ),
      this.read(
        { method: 'GET', url: `/directory/administrativeUnits?$select=id,isMemberManagementRestricted&$top=${PAGE_SIZE}` },
        'administrative units',
        { signal: 'administrative-units', permission: 'AdministrativeUnit.Read.All' },
        (page) => {
          for (const item of page.value) {
            const unitId = parsePageItem(idOnlySchema, item, 'an administrative unit').id.toLowerCase();
            // A unit listed without the flag cannot be judged: its members cannot be verified.
            const known = 'isMemberManagementRestricted' in item;
            if (known && item['isMemberManagementRestricted'] !== true) continue;
            const sink = known ? this.restrictedAdministrativeUnitUsers : this.unverifiableAdministrativeUnitUsers;
            // Only the unit's direct user members are restricted: a group in it is protected itself,
            // not its members.
            this.enqueue(
              this.read(
                { method: 'GET', url: `/directory/administrativeUnits/${encodeURIComponent(unitId)}/members?$select=id&$top=${PAGE_SIZE}` },
                'members of a restricted administrative unit',
                { signal: 'administrative-units', permission: 'AdministrativeUnit.Read.All' },
                (members) => {
                  for (const member of parsePageItems(members, 'an administrative unit member')) {
                    if (member['@odata.type'] !== '#microsoft.graph.group') sink.add(member.id.toLowerCase());
                  }
                },
              ),
            );
          }
        },
      ),
      // 404: the API has no service principal here — the portal's configuration does not match
      // this tenant, and nothing about its roles can be vouched for.
      this.read(getPortalAppRolesRequest(), 'portal app role assignments', { signal: 'portal-app-roles', permission: 'Application.Read.All', refuseOn404: true }, (page) => {
        for (const item of page.value) {
          const a = parsePageItem(appRoleAssignmentSchema, item, 'an app role assignment');
          if (a.appRoleId.toLowerCase() === DEFAULT_ACCESS_APP_ROLE_ID) continue;
          const principalId = a.principalId.toLowerCase();
          const type = a.principalType?.toLowerCase();
          if (type === 'serviceprincipal') continue;
          this.portalRoleUsers.add(principalId);
          // A group, or a principal of unknown type read as one (a user id answers 404: empty).
          if (type !== 'user') this.listTransitiveMembers(principalId, this.portalRoleUsers);
        }
      }),
    ];
  }

  private memberSetOf(groupId: string): Set<string> {
    let set = this.groupMembers.get(groupId);
    if (set === undefined) {
      set = new Set();
      this.groupMembers.set(groupId, set);
    }
    return set;
  }

  private roleAssignableMembersOf(groupId: string): Set<string> {
    let set = this.roleAssignableGroupMembers.get(groupId);
    if (set === undefined) {
      set = new Set();
      this.roleAssignableGroupMembers.set(groupId, set);
    }
    return set;
  }

  private addRoles(page: z.infer<typeof itemsPageSchema>, signal: EligibilitySignal, what: string): void {
    for (const item of page.value) {
      const a = parsePageItem(scheduleInstanceSchema, item, 'a role assignment');
      if (a.roleDefinitionId === null || a.roleDefinitionId === undefined) {
        this.refuse(signal, what, signal === 'eligible-roles' ? 'RoleEligibilitySchedule.Read.Directory' : 'RoleAssignmentSchedule.Read.Directory');
        continue;
      }
      const key = a.principalId.toLowerCase();
      let roles = this.rolesByPrincipal.get(key);
      if (roles === undefined) {
        roles = new Set();
        this.rolesByPrincipal.set(key, roles);
      }
      roles.add(a.roleDefinitionId.toLowerCase());
    }
  }

  /** Direct members (users) of a group into `sink`; a nested group (not allowed in role-assignable ones) is flattened. */
  private listMembers(path: string, what: string, sink: (userId: string) => void): void {
    this.enqueue(
      this.read({ method: 'GET', url: `${path}?$select=id&$top=${PAGE_SIZE}` }, what, { signal: 'group-memberships', permission: 'GroupMember.Read.All' }, (page) => {
        for (const member of parsePageItems(page, 'a group member')) {
          const id = member.id.toLowerCase();
          if (member['@odata.type'] === '#microsoft.graph.group') this.listTransitiveMembers(id, { add: sink });
          else sink(id);
        }
      }),
    );
  }

  /**
   * Transitive members (users) of a group into `sink`. A group is listed once however many
   * purposes need it (protected, a TAP policy target, a portal role holder): a sink added later
   * gets the members already read. On 403 the group's entry in `groupMembers` is dropped — its
   * members are unknown, not none.
   */
  private listTransitiveMembers(groupId: string, sink: { add(userId: string): unknown }): void {
    const known = this.transitiveMembers.get(groupId);
    if (known !== undefined) {
      known.sinks.push(sink);
      for (const userId of known.members) sink.add(userId);
      return;
    }
    const entry = { members: new Set<string>(), sinks: [sink] };
    this.transitiveMembers.set(groupId, entry);
    const read = this.read(
      { method: 'GET', url: `/groups/${encodeURIComponent(groupId)}/transitiveMembers?$select=id&$top=${PAGE_SIZE}` },
      'transitive members of a group',
      { signal: 'group-memberships', permission: 'GroupMember.Read.All' },
      (page) => {
        for (const member of parsePageItems(page, 'a group member')) {
          if (member['@odata.type'] === '#microsoft.graph.group') continue; // already flattened
          const userId = member.id.toLowerCase();
          entry.members.add(userId);
          for (const s of entry.sinks) s.add(userId);
        }
      },
    );
    this.enqueue({
      ...read,
      absorb: (response) => {
        if (response.status === 403) this.groupMembers.delete(groupId);
        return read.absorb(response);
      },
    });
  }

  /** Role definition ids per user: their own assignments and those of the role-assignable groups they are in. */
  roleDefinitionIdsByUser(): Map<string, string[]> {
    const byUser = new Map<string, Set<string>>();
    const add = (userId: string, roles: Iterable<string>): void => {
      let set = byUser.get(userId);
      if (set === undefined) {
        set = new Set();
        byUser.set(userId, set);
      }
      for (const role of roles) set.add(role);
    };
    for (const [principalId, roles] of this.rolesByPrincipal) {
      const members = this.roleAssignableGroupMembers.get(principalId);
      if (members === undefined) add(principalId, roles);
      else for (const userId of members) add(userId, roles);
    }
    return new Map([...byUser].map(([userId, roles]) => [userId, [...roles]]));
  }
}

function parsePageItem<T extends z.ZodType>(schema: T, item: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw new GraphRequestError(`Graph returned ${what} in an unexpected shape`, 200);
  return parsed.data;
}

function parsePageItems(page: z.infer<typeof itemsPageSchema>, what: string): z.infer<typeof directoryObjectSchema>[] {
  return page.value.map((item) => parsePageItem(directoryObjectSchema, item, what));
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
 * Eligibility signals come without per-person requests (docs/eligibility.md#where-it-runs):
 * round 1 also reads the tenant-wide lists (TAP policy, active and eligible role assignments,
 * role-assignable groups, administrative units, portal app role assignments); the members and
 * owners they lead to ride in the following rounds, with an extra round only when the walk would
 * end before them and there is someone to judge. A read Graph refuses (403) is listed in
 * `unverifiable`, and logged with the permission to grant.
 *
 * @param maxDepth deepest level to return (1 = direct reports only); null for no limit.
 */
export async function getReportees(
  rootUserId: string,
  options: { maxDepth: number | null; protectedGroupIds?: readonly string[]; log?: Logger },
): Promise<ReporteeTree> {
  const log = options.log ?? rootLogger;
  const { maxDepth } = options;
  if (maxDepth !== null && (!Number.isInteger(maxDepth) || maxDepth < 1)) throw new RangeError('maxDepth must be an integer ≥ 1 or null');
  const versionBase = getGraphVersionBase();
  const stats: GraphBatchStats = { httpRequests: 0 };
  const visited = new Set<string>([rootUserId.toLowerCase()]);
  const reportees: GraphReportee[] = [];
  const facts = new TenantEligibilityReads(versionBase, options.protectedGroupIds ?? []);
  const firstReads = facts.firstReads();

  const [rootResponse, firstPage, countResponse, ...firstAnswers] = await graphBatch(
    [
      { method: 'GET', url: `/users/${encodeURIComponent(rootUserId)}?$select=${ROOT_SELECT}` },
      { method: 'GET', url: directReportsUrl(rootUserId) },
      USER_COUNT_REQUEST,
      ...firstReads.map((read) => read.request),
    ],
    { log, stats },
  );
  if (rootResponse === undefined || firstPage === undefined || firstAnswers.length !== firstReads.length) {
    throw new GraphRequestError('Graph $batch lost a response', 200);
  }
  if (rootResponse.status === 404) return { ...toTree(facts, log), root: null, reportees: [], graphRequests: stats.httpRequests, tapPolicy: null };
  if (rootResponse.status !== 200) throw failure('the root user', rootResponse);
  const rootParsed = rootUserSchema.safeParse(rootResponse.body);
  if (!rootParsed.success) throw new GraphRequestError('Graph returned a user in an unexpected shape', 200);
  const root = rootParsed.data;
  firstReads.forEach((read, index) => facts.absorb(read, firstAnswers[index] as GraphBatchResponse));
  const tenantUsers = parseCountBody(countResponse);

  let answered: { listing: Listing; response: GraphBatchResponse }[] = [
    { listing: { managerId: root.id, depth: 1, url: directReportsUrl(rootUserId) }, response: firstPage },
  ];
  for (;;) {
    const next: Listing[] = [];
    for (const { listing, response } of answered) {
      // The manager vanished between rounds: nothing below them to report.
      if (response.status === 404) continue;
      if (response.status !== 200) throw failure('a directReports listing', response);
      const page = directoryObjectsPageSchema.safeParse(response.body);
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
    // Eligibility reads ride along in the walk's next round (no round of their own) unless the
    // walk ends first and there is someone to judge.
    const extra = next.length > 0 || reportees.length > 0 ? facts.queue.splice(0) : [];
    if (next.length === 0 && extra.length === 0) break;
    if (shouldScanDirectory(next.length, tenantUsers)) {
      const users = await scanDirectory(extra, facts, { log, stats, versionBase });
      addFromScan(users, next, { visited, reportees, maxDepth, log });
      // Every reportee is known now; only eligibility reads may still be pending.
      answered = [];
      continue;
    }
    const responses = await graphBatch([...next.map((listing): GraphBatchRequest => ({ method: 'GET', url: listing.url })), ...extra.map((read) => read.request)], {
      log,
      stats,
    });
    answered = next.map((listing, index) => ({ listing, response: responses[index] as GraphBatchResponse }));
    extra.forEach((read, index) => facts.absorb(read, responses[next.length + index] as GraphBatchResponse));
  }

  log.debug({ reportees: reportees.length, graphRequests: stats.httpRequests }, 'reportee tree read');
  return { ...toTree(facts, log), root, reportees, graphRequests: stats.httpRequests };
}

function toTree(facts: TenantEligibilityReads, log: Logger): Omit<ReporteeTree, 'root' | 'reportees' | 'graphRequests'> {
  const unverifiableDetails = [...facts.unverifiable.values()];
  if (unverifiableDetails.length > 0) {
    log.warn(
      { unverifiable: unverifiableDetails },
      'Graph did not show the broker every eligibility signal; the reportees cannot be verified (grant the permissions named here)',
    );
  }
  return {
    tapPolicy: facts.tapPolicy ?? null,
    roleDefinitionIdsByUser: facts.roleDefinitionIdsByUser(),
    roleAssignableGroupUsers: facts.roleAssignableGroupUsers,
    portalRoleUsers: facts.portalRoleUsers,
    restrictedAdministrativeUnitUsers: facts.restrictedAdministrativeUnitUsers,
    unverifiableAdministrativeUnitUsers: facts.unverifiableAdministrativeUnitUsers,
    groupMembers: facts.groupMembers,
    unverifiable: unverifiableDetails.map((u) => u.signal),
    unverifiableDetails,
  };
}

type ScannedUser = z.infer<typeof scanPageSchema>['value'][number];

/**
 * Reads the whole directory with each user's manager, page after page (`@odata.nextLink` is
 * sequential by nature). The eligibility reads still pending ride in the pages' `$batch`es.
 */
async function scanDirectory(extra: PagedRead[], facts: TenantEligibilityReads, ctx: { log: Logger; stats: GraphBatchStats; versionBase: string }): Promise<ScannedUser[]> {
  const users: ScannedUser[] = [];
  let url: string | undefined = SCAN_URL;
  let riding = extra;
  while (url !== undefined) {
    const requests: GraphBatchRequest[] = [{ method: 'GET', url }, ...riding.map((read) => read.request)];
    const [page, ...rest] = await graphBatch(requests, { log: ctx.log, stats: ctx.stats });
    riding.forEach((read, index) => facts.absorb(read, rest[index] as GraphBatchResponse));
    if (page === undefined || page.status !== 200) throw failure('the directory scan', page ?? { status: 0, headers: {}, body: null });
    const parsed = scanPageSchema.safeParse(page.body);
    if (!parsed.success) throw new GraphRequestError('Graph returned users in an unexpected shape', 200);
    users.push(...parsed.data.value);
    const nextLink = parsed.data['@odata.nextLink'];
    url = nextLink === undefined ? undefined : toRelativeGraphUrl(nextLink, ctx.versionBase);
    riding = url === undefined ? [] : facts.queue.splice(0);
  }
  ctx.log.debug({ users: users.length, graphRequests: ctx.stats.httpRequests }, 'directory scanned for a wide reportee level');
  return users;
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
