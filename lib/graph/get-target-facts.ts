import 'server-only';
import { joinInFlight } from '@/lib/graph/single-flight';
import { z } from 'zod';
import type { EligibilitySignal, PortalAppRoleAssignment } from '@/lib/graph/eligibility-signals';
import { BrokerError } from '@/lib/core/errors';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { GraphRequestError, readGraphErrorBody } from '@/lib/graph/client';
import { runPagedReads, type PagedRead } from '@/lib/graph/paged-reads';
import { getEnv } from '@/lib/env';
import { logger as rootLogger, type Logger } from '@/lib/log';

/**
 * What the broker must know about a target before it decides — the user, the manager chain, every
 * eligibility signal, the tenant TAP policy — in one batched round (`getTargetFacts`).
 */

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
  /**
   * Every directory role the target holds or may activate, lower case: built-in roles by template
   * id, custom roles by definition id; active (`roleAssignments`) and PIM-eligible
   * (`roleEligibilityScheduleInstances`) direct assignments at any scope, plus the active built-in
   * roles held through groups (`transitiveMemberOf/microsoft.graph.directoryRole`).
   */
  roleDefinitionIds: string[];
  /** Transitive group memberships, lower case (TAP policy targets, protected groups, group-held app roles). */
  groupIds: string[];
  /** The memberships that are role-assignable groups: Entra counts their members as admins even when the group holds no role. */
  roleAssignableGroupIds: string[];
  /** Role-assignable groups the target owns: an owner can add themselves or anyone to the group. */
  ownedRoleAssignableGroupIds: string[];
  /** Administrative units with restricted management that the target is a member of. */
  restrictedAdministrativeUnitIds: string[];
  /** App role assignments on the portal's API whose principal is the target or one of its groups. */
  portalAppRoleAssignments: PortalAppRoleAssignment[];
  /** null when Graph refused the broker the TAP policy (403): the target cannot be verified. */
  tapPolicy: TenantTapPolicy | null;
  /**
   * The eligibility signals Graph did not show (a 403, or items under the limited-information rule
   * without the property the rule needs). Each is logged with the permission that would show it.
   */
  unverifiable: EligibilitySignal[];
  /** Only when `includeTapMethods`, else null. */
  tapMethods: TapMethodInfo[] | null;
  /** Graph `request-id` of the first `$batch` response (audit evidence). */
  graphRequestId: string | null;
}

/**
 * The permission that would let the broker see each signal (the least privileged one Graph
 * documents for the read that carries it), for warnings and the health check.
 */
export const SIGNAL_PERMISSIONS: Readonly<Record<EligibilitySignal, string>> = {
  'directory-roles': 'RoleManagement.Read.Directory',
  'eligible-roles': 'RoleEligibilitySchedule.Read.Directory',
  'group-memberships': 'GroupMember.Read.All',
  'group-ownerships': 'GroupMember.Read.All',
  'administrative-units': 'AdministrativeUnit.Read.All',
  'portal-app-roles': 'Application.Read.All',
  'tap-policy': 'Policy.Read.AuthenticationMethod',
};

const TARGET_SELECT = 'id,displayName,userPrincipalName,jobTitle,department,accountEnabled,userType,employeeHireDate';
/** Directory collections page at most 999 items. */
const PAGE_SIZE = 999;
/** Graph's `$levels` maximum; also bounds our walk of the nested answer. */
const MAX_CHAIN = 1000;
// Advanced queries (OData casts, `$count`, `$levels`) need this header on every page: Graph does
// not carry it over to nextLink pages (docs/graph-behaviours.md#advanced-queries).
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

/** A page of a collection whose items are checked one by one by the reader (property presence matters). */
const pageSchema = z.object({ value: z.array(z.looseObject({})), '@odata.nextLink': z.string().optional() });
const idItemSchema = z.looseObject({ id: z.string().min(1) });
const roleAssignmentItemSchema = z.looseObject({ roleDefinitionId: z.string().min(1).nullish() });
const appRoleAssignmentItemSchema = z.looseObject({ principalId: z.string().min(1), appRoleId: z.string().min(1) });

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

/** The request for the tenant TAP policy (docs/graph-behaviours.md#tap-policy); shared with the reportee walk. */
export const TAP_POLICY_REQUEST: GraphBatchRequest = {
  method: 'GET',
  url: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
};

/**
 * Every app role assignment on the portal's own API — users and groups — read through its service
 * principal (found by the API's client id); shared with the reportee walk.
 */
export function getPortalAppRolesRequest(): GraphBatchRequest {
  const appId = getEnv().api.clientId;
  return { method: 'GET', url: `/servicePrincipals(appId='${encodeURIComponent(appId)}')/appRoleAssignedTo?$select=principalId,principalType,appRoleId&$top=${PAGE_SIZE}` };
}

/** Parses the TAP policy answer; 404 (no configuration) reads as disabled, as Entra's default. */
export function parseTenantTapPolicy(response: GraphBatchResponse): TenantTapPolicy {
  if (response.status === 404) {
    // Undocumented for this configuration; "disabled by default" (docs/graph-behaviours.md#tap-policy) is the safe reading.
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

/** {@link parseTenantTapPolicy} for eligibility: a refusal (403, a missing permission) is null, "cannot verify". */
export function parseTenantTapPolicyOrNull(response: GraphBatchResponse): TenantTapPolicy | null {
  return response.status === 403 ? null : parseTenantTapPolicy(response);
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

/** What one target's reads gather. */
interface TargetState {
  ref: string;
  /** Graph answered 404 for the reference. */
  missing: boolean;
  user: GraphUserFacts | null;
  chain: ChainManager[];
  roleDefinitionIds: Set<string>;
  groupIds: Set<string>;
  roleAssignableGroupIds: Set<string>;
  restrictedAdministrativeUnitIds: Set<string>;
  /** Signal → the read that could not show it. */
  unverifiable: Map<EligibilitySignal, string>;
  tapMethods: TapMethodInfo[] | null;
}

interface SharedState {
  tapPolicy: TenantTapPolicy | null | undefined;
  portalAppRoles: PortalAppRoleAssignment[];
  portalAppRolesUnverifiable: string | null;
  /** Owner ids (lower case) of every role-assignable group, by group id. */
  roleAssignableGroupOwners: Map<string, Set<string>>;
  ownershipUnverifiable: string | null;
}

/**
 * A collection read of one eligibility signal. 403 (a permission the broker lacks) and 404 (the
 * user vanished meanwhile: nothing to list) are answers, not failures; other statuses are.
 */
function signalRead(
  state: TargetState,
  request: GraphBatchRequest,
  what: string,
  signal: EligibilitySignal,
  onItem: (item: Record<string, unknown>) => void,
): PagedRead {
  return {
    request,
    absorb(response) {
      if (state.missing || response.status === 404) return undefined;
      if (response.status === 403) {
        state.unverifiable.set(signal, what);
        return undefined;
      }
      if (response.status !== 200) throw unexpected(what, response);
      const page = parseOrThrow(pageSchema, response.body, what);
      for (const item of page.value) onItem(item);
      return page['@odata.nextLink'];
    },
  };
}

/**
 * Whether a directoryObject item was readable, so that its `property` can be believed
 * (docs/graph-behaviours.md#limited-information). null is also what ordinary groups and units
 * carry in these flags; a boolean flag, or the display name every readable object has, tells
 * them apart.
 */
function isReadable(item: Record<string, unknown>, property: string): boolean {
  return typeof item[property] === 'boolean' || typeof item['displayName'] === 'string';
}

function lower(value: unknown): string {
  return String(value).toLowerCase();
}

/** The user with their whole manager chain, in one read (`$expand=manager($levels=max)`); works with a UPN or an object id. */
export function getUserWithChainRequest(ref: string): GraphBatchRequest {
  return {
    method: 'GET',
    url: `/users/${encodeURIComponent(ref)}?$select=${TARGET_SELECT}&$expand=manager($levels=max;$select=id,displayName,accountEnabled,userType)`,
    headers: EVENTUAL,
  };
}

/** The user's TAP methods (read only: never the pass, which Graph returns only when it is created). */
export function getTapMethodsRequest(ref: string): GraphBatchRequest {
  return { method: 'GET', url: `/users/${encodeURIComponent(ref)}/authentication/temporaryAccessPassMethods` };
}

/** The direct role assignments (active) and the PIM eligibilities whose principal is the object id. */
export function getRoleReadRequests(objectId: string): { assignments: GraphBatchRequest; eligibilities: GraphBatchRequest } {
  const filter = `$filter=${encodeURIComponent(`principalId eq '${objectId.toLowerCase()}'`)}&$select=id,principalId,roleDefinitionId,directoryScopeId`;
  return {
    assignments: { method: 'GET', url: `/roleManagement/directory/roleAssignments?${filter}` },
    eligibilities: { method: 'GET', url: `/roleManagement/directory/roleEligibilityScheduleInstances?${filter}` },
  };
}

/** The reads that work with a UPN as well as an object id (everything but the role filters). */
function targetReads(state: TargetState, includeTapMethods: boolean, later: PagedRead[]): PagedRead[] {
  const user = `/users/${encodeURIComponent(state.ref)}`;
  const reads: PagedRead[] = [
    {
      request: getUserWithChainRequest(state.ref),
      absorb(response) {
        if (response.status === 404) {
          state.missing = true;
          return undefined;
        }
        if (response.status !== 200) throw unexpected('the target user', response);
        state.user = parseOrThrow(targetSchema, response.body, 'the target user');
        state.chain = readChain(state.user.id, response.body);
        // The role filters need the object id: a UPN reference costs them one more round.
        if (!GUID_RE.test(state.ref)) later.push(...roleReads(state, state.user.id));
        return undefined;
      },
    },
    signalRead(
      state,
      { method: 'GET', url: `${user}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,roleTemplateId&$top=${PAGE_SIZE}`, headers: EVENTUAL },
      'directory roles (transitiveMemberOf)',
      'directory-roles',
      (item) => {
        // Limited information: a role without its template id cannot be matched to the allow-list.
        if (typeof item['roleTemplateId'] === 'string') state.roleDefinitionIds.add(lower(item['roleTemplateId']));
        else state.unverifiable.set('directory-roles', 'directory roles (transitiveMemberOf)');
      },
    ),
    signalRead(
      state,
      { method: 'GET', url: `${user}/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id,displayName,isAssignableToRole&$top=${PAGE_SIZE}`, headers: EVENTUAL },
      'group memberships',
      'group-memberships',
      (item) => {
        const id = lower(parseOrThrow(idItemSchema, item, 'a group membership').id);
        state.groupIds.add(id);
        if (!isReadable(item, 'isAssignableToRole')) state.unverifiable.set('group-memberships', 'group memberships');
        else if (item['isAssignableToRole'] === true) state.roleAssignableGroupIds.add(id);
      },
    ),
    signalRead(
      state,
      { method: 'GET', url: `${user}/memberOf/microsoft.graph.administrativeUnit?$count=true&$select=id,displayName,isMemberManagementRestricted`, headers: EVENTUAL },
      'administrative units',
      'administrative-units',
      (item) => {
        const id = lower(parseOrThrow(idItemSchema, item, 'an administrative unit').id);
        if (!isReadable(item, 'isMemberManagementRestricted')) state.unverifiable.set('administrative-units', 'administrative units');
        else if (item['isMemberManagementRestricted'] === true) state.restrictedAdministrativeUnitIds.add(id);
      },
    ),
  ];
  if (GUID_RE.test(state.ref)) reads.push(...roleReads(state, state.ref));
  if (includeTapMethods) {
    reads.push({
      request: getTapMethodsRequest(state.ref),
      absorb(response) {
        if (state.missing) return undefined;
        if (response.status === 404) state.tapMethods = [];
        else if (response.status !== 200) throw unexpected('the TAP methods', response);
        else state.tapMethods = parseOrThrow(tapMethodsPageSchema, response.body, 'TAP methods').value.map(toTapMethodInfo);
        return undefined;
      },
    });
  }
  return reads;
}

/**
 * Direct role assignments (active, any role, any scope) and PIM eligibilities of the object id.
 * Roles a group holds name the group as principal; its members are caught as members of a
 * role-assignable group (only those can hold roles).
 */
function roleReads(state: TargetState, objectId: string): PagedRead[] {
  const requests = getRoleReadRequests(objectId);
  const onRole = (signal: EligibilitySignal, what: string) => (item: Record<string, unknown>) => {
    const parsed = parseOrThrow(roleAssignmentItemSchema, item, what);
    if (parsed.roleDefinitionId === null || parsed.roleDefinitionId === undefined) state.unverifiable.set(signal, what);
    else state.roleDefinitionIds.add(parsed.roleDefinitionId.toLowerCase());
  };
  return [
    signalRead(
      state,
      requests.assignments,
      'role assignments',
      'directory-roles',
      onRole('directory-roles', 'role assignments'),
    ),
    signalRead(
      state,
      requests.eligibilities,
      'role eligibilities',
      'eligible-roles',
      onRole('eligible-roles', 'role eligibilities'),
    ),
  ];
}

/** An expanded collection (`$expand=owners`) carries at most this many items, and no link to the rest. */
const EXPAND_PREVIEW_LIMIT = 20;
/** Graph caps a page at 100 items when the request has `$expand`. */
const EXPAND_PAGE_SIZE = 100;

const groupWithOwnersSchema = z.looseObject({ id: z.string().min(1), owners: z.array(idItemSchema).nullish() });

/**
 * The owners of every role-assignable group (there are at most 500 in a tenant). Graph does not
 * let an app list a user's `ownedObjects`, so ownership is read from the groups' side: their
 * owners come expanded with the list, and a group whose expansion is full (it may have been cut
 * at 20) has its owners listed in full in the next round.
 */
function roleAssignableOwnersRead(shared: SharedState, later: PagedRead[]): PagedRead {
  const what = 'owners of role-assignable groups';
  return {
    request: {
      method: 'GET',
      url: `/groups?$filter=${encodeURIComponent('isAssignableToRole eq true')}&$select=id&$expand=${encodeURIComponent('owners($select=id)')}&$top=${EXPAND_PAGE_SIZE}`,
    },
    absorb(response) {
      if (response.status === 403) {
        shared.ownershipUnverifiable = what;
        return undefined;
      }
      if (response.status !== 200) throw unexpected(what, response);
      const page = parseOrThrow(pageSchema, response.body, what);
      for (const item of page.value) {
        const group = parseOrThrow(groupWithOwnersSchema, item, 'a role-assignable group');
        const groupId = group.id.toLowerCase();
        const owners = new Set((group.owners ?? []).map((o) => o.id.toLowerCase()));
        shared.roleAssignableGroupOwners.set(groupId, owners);
        if ((group.owners ?? []).length >= EXPAND_PREVIEW_LIMIT) {
          later.push({
            request: { method: 'GET', url: `/groups/${encodeURIComponent(groupId)}/owners?$select=id&$top=${PAGE_SIZE}` },
            absorb(ownersResponse) {
              if (ownersResponse.status === 404) return undefined;
              if (ownersResponse.status === 403) {
                shared.ownershipUnverifiable = what;
                return undefined;
              }
              if (ownersResponse.status !== 200) throw unexpected(what, ownersResponse);
              const ownersPage = parseOrThrow(pageSchema, ownersResponse.body, what);
              for (const owner of ownersPage.value) owners.add(parseOrThrow(idItemSchema, owner, 'a group owner').id.toLowerCase());
              return ownersPage['@odata.nextLink'];
            },
          });
        }
      }
      return page['@odata.nextLink'];
    },
  };
}

/** The reads every target shares: the tenant TAP policy, the portal API's app role assignments, the owners of role-assignable groups. */
function sharedReads(shared: SharedState, later: PagedRead[]): PagedRead[] {
  return [
    roleAssignableOwnersRead(shared, later),
    {
      request: TAP_POLICY_REQUEST,
      absorb(response) {
        shared.tapPolicy = parseTenantTapPolicyOrNull(response);
        return undefined;
      },
    },
    {
      request: getPortalAppRolesRequest(),
      absorb(response) {
        // 404: the API has no service principal here, so the portal's configuration does not
        // match this tenant — nothing about its roles can be vouched for.
        if (response.status === 403 || response.status === 404) {
          shared.portalAppRolesUnverifiable = response.status === 403 ? 'portal app role assignments' : 'the portal API service principal (not found)';
          return undefined;
        }
        if (response.status !== 200) throw unexpected('the portal app role assignments', response);
        const page = parseOrThrow(pageSchema, response.body, 'the portal app role assignments');
        for (const item of page.value) {
          const a = parseOrThrow(appRoleAssignmentItemSchema, item, 'an app role assignment');
          shared.portalAppRoles.push({ principalId: a.principalId.toLowerCase(), appRoleId: a.appRoleId.toLowerCase() });
        }
        return page['@odata.nextLink'];
      },
    },
  ];
}

function newTargetState(ref: string): TargetState {
  return {
    ref,
    missing: false,
    user: null,
    chain: [],
    roleDefinitionIds: new Set(),
    groupIds: new Set(),
    roleAssignableGroupIds: new Set(),
    restrictedAdministrativeUnitIds: new Set(),
    unverifiable: new Map(),
    tapMethods: null,
  };
}

function unknownTarget(tapPolicy: TenantTapPolicy | null, includeTapMethods: boolean, graphRequestId: string | null): TargetFacts {
  return {
    target: null,
    chain: [],
    roleDefinitionIds: [],
    groupIds: [],
    roleAssignableGroupIds: [],
    ownedRoleAssignableGroupIds: [],
    restrictedAdministrativeUnitIds: [],
    portalAppRoleAssignments: [],
    tapPolicy,
    unverifiable: [],
    tapMethods: includeTapMethods ? [] : null,
    graphRequestId,
  };
}

function toTargetFacts(state: TargetState, shared: SharedState, ctx: { includeTapMethods: boolean; graphRequestId: string | null; log: Logger }): TargetFacts {
  const tapPolicy = shared.tapPolicy ?? null;
  if (state.missing || state.user === null) return unknownTarget(tapPolicy, ctx.includeTapMethods, ctx.graphRequestId);
  const unverifiable = new Map(state.unverifiable);
  if (shared.portalAppRolesUnverifiable !== null) unverifiable.set('portal-app-roles', shared.portalAppRolesUnverifiable);
  if (shared.ownershipUnverifiable !== null) unverifiable.set('group-ownerships', shared.ownershipUnverifiable);
  if (tapPolicy === null) unverifiable.set('tap-policy', 'the TAP policy');
  if (unverifiable.size > 0) {
    ctx.log.warn(
      {
        targetId: state.user.id,
        unverifiable: [...unverifiable].map(([signal, read]) => ({ signal, read, missingPermission: SIGNAL_PERMISSIONS[signal] })),
      },
      'Graph did not show the broker every eligibility signal; the target cannot be verified (grant the permissions named here)',
    );
  }
  const userKey = state.user.id.toLowerCase();
  const principals = new Set([userKey, ...state.groupIds]);
  return {
    target: state.user,
    chain: state.chain,
    roleDefinitionIds: [...state.roleDefinitionIds],
    groupIds: [...state.groupIds],
    roleAssignableGroupIds: [...state.roleAssignableGroupIds],
    ownedRoleAssignableGroupIds: [...shared.roleAssignableGroupOwners].filter(([, owners]) => owners.has(userKey)).map(([groupId]) => groupId),
    restrictedAdministrativeUnitIds: [...state.restrictedAdministrativeUnitIds],
    portalAppRoleAssignments: shared.portalAppRoles.filter((a) => principals.has(a.principalId)),
    tapPolicy,
    unverifiable: [...unverifiable.keys()],
    tapMethods: ctx.includeTapMethods ? (state.tapMethods ?? []) : null,
    graphRequestId: ctx.graphRequestId,
  };
}

/** Reads the facts of every reference in shared batched rounds. */
async function readTargets(refs: readonly string[], options: { includeTapMethods: boolean; log: Logger }): Promise<Map<string, TargetFacts>> {
  const { includeTapMethods, log } = options;
  const stats: GraphBatchStats = { httpRequests: 0, requestIds: [] };
  const shared: SharedState = {
    tapPolicy: undefined,
    portalAppRoles: [],
    portalAppRolesUnverifiable: null,
    roleAssignableGroupOwners: new Map(),
    ownershipUnverifiable: null,
  };
  const states = [...new Set(refs.filter(isUserReference))].map(newTargetState);
  const later: PagedRead[] = [];
  const reads = [...states.flatMap((state) => targetReads(state, includeTapMethods, later)), ...sharedReads(shared, later)];
  await runPagedReads(reads, { log, stats, more: () => later.splice(0) });
  if (shared.tapPolicy === undefined) throw new GraphRequestError('Graph $batch lost a response', 200);
  const graphRequestId = stats.requestIds?.[0] ?? null;
  const result = new Map<string, TargetFacts>();
  for (const state of states) result.set(state.ref, toTargetFacts(state, shared, { includeTapMethods, graphRequestId, log }));
  for (const ref of refs) if (!result.has(ref)) result.set(ref, unknownTarget(shared.tapPolicy, includeTapMethods, graphRequestId));
  log.debug({ targets: states.length, graphRequests: stats.httpRequests }, 'target facts read');
  return result;
}

/**
 * Everything the broker must know about a target, in ONE Graph round trip (`$batch`): the user
 * with its manager chain (`$expand=manager($levels=max)`), every signal of the eligibility rule
 * — active built-in roles through groups, direct role assignments and PIM eligibilities at any
 * scope, transitive groups (role-assignable or not), administrative units — and the reads every
 * target shares: the owners of role-assignable groups, the portal API's app role assignments and
 * the tenant TAP policy; on request also its TAP methods.
 *
 * Further rounds only where one page is not the whole answer, never judging on a partial list: a
 * UPN reference (the role filters need the object id), a user with more than 999 groups or
 * roles or 100 units, more than 100 role-assignable groups in the tenant, or one with 20 or more
 * owners (an `$expand` shows 20). Further pages keep the headers of the first.
 *
 * A read Graph refuses (403) or answers without the property the rule needs is not an error: it
 * is listed in `unverifiable` (the target is then `cannot-verify`) and logged with the
 * permission to grant. A reference that is neither a GUID nor UPN-shaped is never sent to Graph:
 * the answer is `target: null`. Graph unreachable, 5xx, throttled beyond the retry budget →
 * `BrokerError('upstream-unavailable')`; an unexpected 4xx or shape → GraphRequestError (a defect).
 */
export async function getTargetFacts(targetId: string, options: { includeTapMethods?: boolean; log?: Logger } = {}): Promise<TargetFacts> {
  const facts = await readTargets([targetId], { includeTapMethods: options.includeTapMethods === true, log: options.log ?? rootLogger });
  return facts.get(targetId) as TargetFacts;
}

/**
 * {@link getTargetFacts} for several targets at once, all in the same batched round (the items
 * of every target share `$batch` requests of 20; the shared reads are made once). For screens
 * that judge many requests together, such as the approver's queue.
 */
export async function getManyTargetFacts(targetIds: readonly string[], options: { log?: Logger } = {}): Promise<Map<string, TargetFacts>> {
  return readTargets(targetIds, { includeTapMethods: false, log: options.log ?? rootLogger });
}

/** The tenant's TAP policy, in one round trip; callers asking at the same moment share it (single-flight.ts). */
export function getTenantTapPolicy(options: { log?: Logger } = {}): Promise<TenantTapPolicy> {
  return joinInFlight('tenant-tap-policy', async () => {
    const [response] = await graphBatch([TAP_POLICY_REQUEST], { log: options.log ?? rootLogger });
    if (response === undefined) throw new GraphRequestError('Graph $batch lost a response', 200);
    return parseTenantTapPolicy(response);
  });
}
