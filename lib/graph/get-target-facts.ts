import 'server-only';
import { z } from 'zod';
import { BrokerError } from '@/lib/broker/errors';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError, readGraphErrorBody } from '@/lib/graph/client';
import { toRelativeGraphUrl } from '@/lib/graph/get-reportees';
import { logger as rootLogger, type Logger } from '@/lib/log';

export interface GraphUserFacts {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  jobTitle: string | null;
  department: string | null;
  accountEnabled: boolean | null;
  userType: string | null;
  employeeHireDate: string | null;
}

export interface TenantTapPolicy {
  state: 'enabled' | 'disabled';
  defaultLifetimeInMinutes: number;
  minimumLifetimeInMinutes: number;
  maximumLifetimeInMinutes: number;
  defaultLength: number;
  isUsableOnce: boolean;
  includeTargets: { targetType: string; id: string }[];
  excludeTargets: { targetType: string; id: string }[];
}

export interface TapMethodInfo {
  id: string;
  createdDateTime: string | null;
  startDateTime: string | null;
  lifetimeInMinutes: number | null;
  isUsableOnce: boolean | null;
  isUsable: boolean | null;
  methodUsabilityReason: string | null;
}

export interface ChainManager {
  id: string;
  displayName: string | null;
  accountEnabled: boolean | null;
  userType: string | null;
}

export interface TargetFacts {
  /** null when Graph answers 404 for the id (unknown / not a user), or the id is not id- or UPN-shaped. */
  target: GraphUserFacts | null;
  /**
   * Managers from the target's direct manager upward; cycle-safe. Each link carries its account
   * state, so the requester's own link tells whether they may still act (a token outlives the
   * disabling of its account by up to an hour).
   */
  chain: ChainManager[];
  /** Active roles, direct and via groups (`transitiveMemberOf/microsoft.graph.directoryRole`). */
  directoryRoleTemplateIds: string[];
  /** Transitive group memberships (for the TAP policy's include/exclude targets). */
  groupIds: string[];
  /**
   * The memberships that are role-assignable groups: their members count as admins for
   * authentication methods even when the group holds no role (facts §4). Graph reports
   * `isAssignableToRole` only to an app that may read groups (GroupMember.Read.All or wider);
   * under the limited-information rule an unreadable group is not counted here.
   */
  roleAssignableGroupIds: string[];
  tapPolicy: TenantTapPolicy;
  /** Only when `includeTapMethods`, else null. */
  tapMethods: TapMethodInfo[] | null;
  /** Graph `request-id` of the `$batch` response (audit evidence). */
  graphRequestId: string | null;
}

const TARGET_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
/** Directory collections page at most 999 items. */
const PAGE_SIZE = 999;
/** Graph's `$levels` maximum; also bounds our walk of the nested answer. */
const MAX_CHAIN = 1000;
// Advanced queries (an OData cast, `$levels`) want this header (facts §3, §4); it is harmless elsewhere.
const EVENTUAL = { ConsistencyLevel: 'eventual' } as const;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN_RE = /^[^@\s/\\?#%'"]+@[^@\s/\\?#%'"]+$/;

/** Object ids and UPNs are the only references the broker sends to Graph's `/users/{id}`. */
export function isUserReference(value: string): boolean {
  return value.length <= 320 && (GUID_RE.test(value) || UPN_RE.test(value));
}

const nullableString = z.string().nullish().transform((v) => v ?? null);

const targetSchema = z.object({
  id: z.string().min(1),
  displayName: nullableString,
  userPrincipalName: nullableString,
  jobTitle: nullableString,
  department: nullableString,
  accountEnabled: z.boolean().nullish().transform((v) => v ?? null),
  userType: nullableString,
  employeeHireDate: nullableString,
});

const chainLinkSchema = z.looseObject({
  id: z.string().min(1),
  displayName: nullableString,
  accountEnabled: z.boolean().nullish().transform((v) => v ?? null),
  userType: nullableString,
  manager: z.unknown().optional(),
});

const targetSchemaWithManager = z.looseObject({ manager: z.unknown().optional() });

const tapPolicySchema = z.object({
  state: z.enum(['enabled', 'disabled']),
  defaultLifetimeInMinutes: z.number().int(),
  minimumLifetimeInMinutes: z.number().int(),
  maximumLifetimeInMinutes: z.number().int(),
  defaultLength: z.number().int(),
  isUsableOnce: z.boolean(),
  includeTargets: z.array(z.looseObject({ targetType: z.string(), id: z.string() })).default([]),
  excludeTargets: z.array(z.looseObject({ targetType: z.string(), id: z.string() })).default([]),
});

export const tapMethodInfoSchema = z.looseObject({
  id: z.string().min(1),
  createdDateTime: nullableString,
  startDateTime: nullableString,
  lifetimeInMinutes: z.number().int().nullish().transform((v) => v ?? null),
  isUsableOnce: z.boolean().nullish().transform((v) => v ?? null),
  isUsable: z.boolean().nullish().transform((v) => v ?? null),
  methodUsabilityReason: nullableString,
});

const tapMethodsPageSchema = z.object({ value: z.array(tapMethodInfoSchema) });

const roleItemSchema = z.looseObject({ id: z.string().min(1), roleTemplateId: z.string().nullish() });
const rolesPageSchema = z.object({ value: z.array(roleItemSchema), '@odata.nextLink': z.string().optional() });
const groupsPageSchema = z.object({
  value: z.array(z.looseObject({ id: z.string().min(1), isAssignableToRole: z.boolean().nullish() })),
  '@odata.nextLink': z.string().optional(),
});

/** Strips Graph's annotations: callers get exactly the documented TapMethodInfo fields. */
export function toTapMethodInfo(m: z.infer<typeof tapMethodInfoSchema>): TapMethodInfo {
  return {
    id: m.id,
    createdDateTime: m.createdDateTime,
    startDateTime: m.startDateTime,
    lifetimeInMinutes: m.lifetimeInMinutes,
    isUsableOnce: m.isUsableOnce,
    isUsable: m.isUsable,
    methodUsabilityReason: m.methodUsabilityReason,
  };
}

function unexpected(what: string, response: GraphBatchResponse): Error {
  const { code, requestId } = readGraphErrorBody(response.body);
  if (response.status >= 500) {
    return new BrokerError('upstream-unavailable', 'Microsoft Graph could not be reached; nothing was changed. Try again later.', {
      cause: new GraphRequestError(`Graph answered ${response.status} to ${what}`, response.status, code, requestId),
    });
  }
  return new GraphRequestError(`Graph answered ${response.status} to ${what}`, response.status, code, requestId);
}

function parseOrThrow<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new GraphRequestError(`Graph returned ${what} in an unexpected shape`, 200);
  return parsed.data;
}

/** The request for the tenant TAP policy (facts §2); shared with the reportee walk. */
export const TAP_POLICY_REQUEST: GraphBatchRequest = {
  method: 'GET',
  url: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
};

/** Parses the TAP policy answer; 404 (no configuration) reads as disabled, as Entra's default. */
export function parseTenantTapPolicy(response: GraphBatchResponse): TenantTapPolicy {
  if (response.status === 404) {
    // Undocumented for this configuration; "disabled by default" (facts §2) is the safe reading.
    return {
      state: 'disabled',
      defaultLifetimeInMinutes: 60,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
      defaultLength: 8,
      isUsableOnce: false,
      includeTargets: [],
      excludeTargets: [],
    };
  }
  if (response.status !== 200) throw unexpected('the TAP policy', response);
  const p = parseOrThrow(tapPolicySchema, response.body, 'the TAP policy');
  return {
    state: p.state,
    defaultLifetimeInMinutes: p.defaultLifetimeInMinutes,
    minimumLifetimeInMinutes: p.minimumLifetimeInMinutes,
    maximumLifetimeInMinutes: p.maximumLifetimeInMinutes,
    defaultLength: p.defaultLength,
    isUsableOnce: p.isUsableOnce,
    includeTargets: p.includeTargets.map((t) => ({ targetType: t.targetType, id: t.id })),
    excludeTargets: p.excludeTargets.map((t) => ({ targetType: t.targetType, id: t.id })),
  };
}

/** Walks the nested `manager` objects of a `$levels` expansion; stops on a repeat (cycle) or the target. */
function readChain(targetId: string, body: unknown): ChainManager[] {
  const chain: ChainManager[] = [];
  const seen = new Set<string>([targetId.toLowerCase()]);
  let next = parseOrThrow(targetSchemaWithManager, body, 'the target').manager;
  while (next !== undefined && next !== null && chain.length < MAX_CHAIN) {
    const link = parseOrThrow(chainLinkSchema, next, 'a manager');
    const key = link.id.toLowerCase();
    if (seen.has(key)) break;
    seen.add(key);
    chain.push({ id: link.id, displayName: link.displayName, accountEnabled: link.accountEnabled, userType: link.userType });
    next = link.manager;
  }
  return chain;
}

interface PagedList<T> {
  items: T[];
  nextLink: string | undefined;
}

/** Reads one page; a 404 (the user vanished meanwhile) is an empty list. */
function readPage<T>(response: GraphBatchResponse, what: string, read: (body: unknown) => PagedList<T>): PagedList<T> {
  if (response.status === 404) return { items: [], nextLink: undefined };
  if (response.status !== 200) throw unexpected(what, response);
  return read(response.body);
}

const readRoles = (body: unknown): PagedList<string> => {
  const page = parseOrThrow(rolesPageSchema, body, 'directory roles');
  // Fail closed: a role Graph returns without its template id (limited information) cannot be
  // matched against the non-admin list; its object id stands in and counts as privileged.
  return { items: page.value.map((r) => (r.roleTemplateId ?? r.id).toLowerCase()), nextLink: page['@odata.nextLink'] };
};

interface GroupMembership {
  id: string;
  roleAssignable: boolean;
}

const readGroups = (body: unknown): PagedList<GroupMembership> => {
  const page = parseOrThrow(groupsPageSchema, body, 'group memberships');
  return { items: page.value.map((g) => ({ id: g.id.toLowerCase(), roleAssignable: g.isAssignableToRole === true })), nextLink: page['@odata.nextLink'] };
};

/**
 * Everything the broker must know about a target, in ONE Graph round trip (`$batch`): the user
 * with its manager chain (`$expand=manager($levels=max)`), its active directory roles (direct and
 * through groups), its transitive groups, the tenant TAP policy and, on request, its TAP methods.
 *
 * Only a user with more than 999 groups or roles costs more: the further pages are read in
 * further batches (rather than judging on a partial list).
 *
 * A reference that is neither a GUID nor UPN-shaped is never sent to Graph: the answer is
 * `target: null` with the tenant policy read alone. Graph unreachable, 5xx, throttled beyond the
 * retry budget → `BrokerError('upstream-unavailable')`; an unexpected 4xx or shape →
 * GraphRequestError (a defect).
 */
export async function getTargetFacts(targetId: string, options: { includeTapMethods?: boolean; log?: Logger } = {}): Promise<TargetFacts> {
  const log = options.log ?? rootLogger;
  const stats: GraphBatchStats = { httpRequests: 0, requestIds: [] };
  const includeTapMethods = options.includeTapMethods === true;
  const own = isUserReference(targetId) ? targetRequests(targetId, includeTapMethods) : [];
  const responses = await graphBatch([...own, TAP_POLICY_REQUEST], { log, stats });
  const policyResponse = responses[own.length];
  if (policyResponse === undefined || responses.length !== own.length + 1) throw new GraphRequestError('Graph $batch lost a response', 200);
  const tapPolicy = parseTenantTapPolicy(policyResponse);
  const graphRequestId = stats.requestIds?.[0] ?? null;
  if (own.length === 0) return unknownTarget(tapPolicy, includeTapMethods, graphRequestId);
  return completeTargetFacts(responses.slice(0, own.length), { tapPolicy, includeTapMethods, graphRequestId, log, stats });
}

/**
 * {@link getTargetFacts} for several targets at once, all in the same batched round (the items
 * of every target share `$batch` requests of 20; the TAP policy is read once). For screens that
 * judge many requests together, such as the approver's queue.
 */
export async function getManyTargetFacts(targetIds: readonly string[], options: { log?: Logger } = {}): Promise<Map<string, TargetFacts>> {
  const log = options.log ?? rootLogger;
  const stats: GraphBatchStats = { httpRequests: 0, requestIds: [] };
  const ids = [...new Set(targetIds.filter(isUserReference))];
  const perTarget = ids.map((id) => targetRequests(id, false));
  const responses = await graphBatch([...perTarget.flat(), TAP_POLICY_REQUEST], { log, stats });
  const policyResponse = responses[responses.length - 1];
  if (policyResponse === undefined || responses.length !== perTarget.length * TARGET_REQUEST_COUNT + 1) {
    throw new GraphRequestError('Graph $batch lost a response', 200);
  }
  const tapPolicy = parseTenantTapPolicy(policyResponse);
  const graphRequestId = stats.requestIds?.[0] ?? null;
  const result = new Map<string, TargetFacts>();
  for (const [index, id] of ids.entries()) {
    const own = responses.slice(index * TARGET_REQUEST_COUNT, (index + 1) * TARGET_REQUEST_COUNT);
    result.set(id, await completeTargetFacts(own, { tapPolicy, includeTapMethods: false, graphRequestId, log, stats }));
  }
  for (const id of targetIds) if (!result.has(id)) result.set(id, unknownTarget(tapPolicy, false, graphRequestId));
  return result;
}

/** The requests that describe one target (without the tenant TAP policy, which is shared). */
const TARGET_REQUEST_COUNT = 3;
function targetRequests(targetId: string, includeTapMethods: boolean): GraphBatchRequest[] {
  const user = `/users/${encodeURIComponent(targetId)}`;
  const requests: GraphBatchRequest[] = [
    { method: 'GET', url: `${user}?$select=${TARGET_SELECT}&$expand=manager($levels=max;$select=id,displayName,accountEnabled,userType)`, headers: EVENTUAL },
    {
      method: 'GET',
      url: `${user}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,roleTemplateId&$top=${PAGE_SIZE}`,
      headers: EVENTUAL,
    },
    { method: 'GET', url: `${user}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,isAssignableToRole&$top=${PAGE_SIZE}`, headers: EVENTUAL },
  ];
  if (includeTapMethods) requests.push({ method: 'GET', url: `${user}/authentication/temporaryAccessPassMethods` });
  return requests;
}

function unknownTarget(tapPolicy: TenantTapPolicy, includeTapMethods: boolean, graphRequestId: string | null): TargetFacts {
  return {
    target: null,
    chain: [],
    directoryRoleTemplateIds: [],
    groupIds: [],
    roleAssignableGroupIds: [],
    tapPolicy,
    tapMethods: includeTapMethods ? [] : null,
    graphRequestId,
  };
}

/** Reads one target's answers; a target with more than 999 roles or groups costs further batches. */
async function completeTargetFacts(
  responses: GraphBatchResponse[],
  ctx: { tapPolicy: TenantTapPolicy; includeTapMethods: boolean; graphRequestId: string | null; log: Logger; stats: GraphBatchStats },
): Promise<TargetFacts> {
  const { tapPolicy, includeTapMethods, graphRequestId, log, stats } = ctx;
  const [userResponse, rolesResponse, groupsResponse, methodsResponse] = responses;
  if (userResponse === undefined || rolesResponse === undefined || groupsResponse === undefined) {
    throw new GraphRequestError('Graph $batch lost a response', 200);
  }
  if (userResponse.status === 404) return unknownTarget(tapPolicy, includeTapMethods, graphRequestId);
  if (userResponse.status !== 200) throw unexpected('the target user', userResponse);
  const target = parseOrThrow(targetSchema, userResponse.body, 'the target user');
  const chain = readChain(target.id, userResponse.body);

  const roles = readPage(rolesResponse, 'directory roles', readRoles);
  const groups = readPage(groupsResponse, 'group memberships', readGroups);
  const roleIds = new Set(roles.items);
  const groupIds = new Set(groups.items.map((g) => g.id));
  const roleAssignableGroupIds = new Set(groups.items.filter((g) => g.roleAssignable).map((g) => g.id));
  const versionBase = getGraphVersionBase();
  let pending: { kind: 'roles' | 'groups'; url: string }[] = [];
  if (roles.nextLink !== undefined) pending.push({ kind: 'roles', url: toRelativeGraphUrl(roles.nextLink, versionBase) });
  if (groups.nextLink !== undefined) pending.push({ kind: 'groups', url: toRelativeGraphUrl(groups.nextLink, versionBase) });
  while (pending.length > 0) {
    const more = await graphBatch(
      pending.map((p) => ({ method: 'GET', url: p.url })),
      { log, stats },
    );
    const next: typeof pending = [];
    pending.forEach((p, index) => {
      const response = more[index] as GraphBatchResponse;
      let nextLink: string | undefined;
      if (p.kind === 'roles') {
        const page = readPage(response, 'directory roles', readRoles);
        for (const id of page.items) roleIds.add(id);
        nextLink = page.nextLink;
      } else {
        const page = readPage(response, 'group memberships', readGroups);
        for (const g of page.items) {
          groupIds.add(g.id);
          if (g.roleAssignable) roleAssignableGroupIds.add(g.id);
        }
        nextLink = page.nextLink;
      }
      if (nextLink !== undefined) next.push({ kind: p.kind, url: toRelativeGraphUrl(nextLink, versionBase) });
    });
    pending = next;
  }

  let tapMethods: TapMethodInfo[] | null = null;
  if (includeTapMethods) {
    if (methodsResponse === undefined) throw new GraphRequestError('Graph $batch lost a response', 200);
    if (methodsResponse.status === 404) tapMethods = [];
    else if (methodsResponse.status !== 200) throw unexpected('the TAP methods', methodsResponse);
    else tapMethods = parseOrThrow(tapMethodsPageSchema, methodsResponse.body, 'TAP methods').value.map(toTapMethodInfo);
  }

  log.debug({ targetId: target.id, chain: chain.length, roles: roleIds.size, groups: groupIds.size, graphRequests: stats.httpRequests }, 'target facts read');
  return {
    target,
    chain,
    directoryRoleTemplateIds: [...roleIds],
    groupIds: [...groupIds],
    roleAssignableGroupIds: [...roleAssignableGroupIds],
    tapPolicy,
    tapMethods,
    graphRequestId,
  };
}

/** The tenant's TAP policy (facts §2), in one round trip. */
export async function getTenantTapPolicy(options: { log?: Logger } = {}): Promise<TenantTapPolicy> {
  const [response] = await graphBatch([TAP_POLICY_REQUEST], { log: options.log ?? rootLogger });
  if (response === undefined) throw new GraphRequestError('Graph $batch lost a response', 200);
  return parseTenantTapPolicy(response);
}
