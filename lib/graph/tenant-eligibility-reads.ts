import 'server-only';
import { z } from 'zod';
import type { GraphBatchRequest, GraphBatchResponse } from '@/lib/graph/batch';
import { parseBatchBody, parseDirectoryObjects, type ItemsPage } from '@/lib/graph/batch-answers';
import { DEFAULT_ACCESS_APP_ROLE_ID, getTapPolicyGroupIds, type EligibilitySignal } from '@/lib/graph/eligibility-signals';
import { EligibilityReadQueue } from '@/lib/graph/eligibility-read-queue';
import { getPortalAppRolesRequest, parseTenantTapPolicyOrNull, TAP_POLICY_REQUEST, type TenantTapPolicy } from '@/lib/graph/get-target-facts';
import { GroupMemberReads } from '@/lib/graph/group-member-reads';
import type { PagedRead } from '@/lib/graph/paged-reads';
import { PAGE_SIZE, type ReporteeTree } from '@/lib/graph/reportee-tree';
import type { Logger } from '@/lib/log';

/**
 * The tenant-wide reads behind the reportees' eligibility (docs/eligibility.md#where-it-runs),
 * and what they found. Reads discovered along the way (members of the groups and units found,
 * further pages) wait in a queue and ride in the walk's next round.
 */

const scheduleInstanceSchema = z.looseObject({ principalId: z.string().min(1), roleDefinitionId: z.string().min(1).nullish() });
const appRoleAssignmentSchema = z.looseObject({ principalId: z.string().min(1), principalType: z.string().nullish(), appRoleId: z.string().min(1) });
const idOnlySchema = z.looseObject({ id: z.string().min(1) });

type RoleScheduleCollection = 'roleAssignmentScheduleInstances' | 'roleEligibilityScheduleInstances';

/** Every active (or eligible) role assignment instance in the tenant, first page: a walk's role read. */
export function getRoleScheduleInstancesRequest(collection: RoleScheduleCollection): GraphBatchRequest {
  return { method: 'GET', url: `/roleManagement/directory/${collection}?$select=principalId,roleDefinitionId,directoryScopeId` };
}

/** The parts of a {@link ReporteeTree} these reads fill in. */
export type EligibilityFacts = Omit<ReporteeTree, 'root' | 'reportees' | 'graphRequests'>;

/** The eligibility facts of one reportee walk: its reads, what they found, and what Graph refused. */
export class TenantEligibilityReads {
  private tapPolicy: TenantTapPolicy | null | undefined = undefined;
  private readonly queue: EligibilityReadQueue;
  private readonly groups: GroupMemberReads;
  private readonly rolesByPrincipal = new Map<string, Set<string>>();
  private readonly roleAssignableGroupMembers = new Map<string, Set<string>>();
  private readonly roleAssignableGroupUsers = new Set<string>();
  private readonly portalRoleUsers = new Set<string>();
  private readonly restrictedAdministrativeUnitUsers = new Set<string>();
  private readonly unverifiableAdministrativeUnitUsers = new Set<string>();
  private readonly groupMembers = new Map<string, Set<string>>();

  constructor(
    versionBase: string,
    private readonly protectedGroupIds: readonly string[],
  ) {
    this.queue = new EligibilityReadQueue(versionBase);
    this.groups = new GroupMemberReads(this.queue, this.groupMembers);
  }

  /**
   * The reads of round 1: the tenant TAP policy and the tenant-wide lists. The protected groups'
   * members are queued for round 2.
   */
  firstReads(): PagedRead[] {
    for (const groupId of this.protectedGroupIds) this.groups.listTransitiveMembers(groupId.toLowerCase(), this.memberSetOf(groupId.toLowerCase()));
    return [
      this.tapPolicyRead(),
      this.roleScheduleRead('roleAssignmentScheduleInstances', 'active role assignments', 'directory-roles', 'RoleAssignmentSchedule.Read.Directory'),
      this.roleScheduleRead('roleEligibilityScheduleInstances', 'eligible role assignments', 'eligible-roles', 'RoleEligibilitySchedule.Read.Directory'),
      this.roleAssignableGroupsRead(),
      this.administrativeUnitsRead(),
      this.portalAppRolesRead(),
    ];
  }

  /** Absorbs an answer of a read made here; a further page goes to the queue. */
  absorb(read: PagedRead, response: GraphBatchResponse): void {
    this.queue.absorb(read, response);
  }

  /** The reads queued since the last call, for the walk's next round. */
  takePending(): PagedRead[] {
    return this.queue.takePending();
  }

  /** What the reads found; logs the signals Graph refused, with the permissions to grant. */
  toFacts(log: Logger): EligibilityFacts {
    const unverifiableDetails = [...this.queue.unverifiable.values()];
    if (unverifiableDetails.length > 0) {
      log.warn(
        { unverifiable: unverifiableDetails },
        'Graph did not show the broker every eligibility signal; the reportees cannot be verified (grant the permissions named here)',
      );
    }
    return {
      tapPolicy: this.tapPolicy ?? null,
      roleDefinitionIdsByUser: this.roleDefinitionIdsByUser(),
      roleAssignableGroupUsers: this.roleAssignableGroupUsers,
      portalRoleUsers: this.portalRoleUsers,
      restrictedAdministrativeUnitUsers: this.restrictedAdministrativeUnitUsers,
      unverifiableAdministrativeUnitUsers: this.unverifiableAdministrativeUnitUsers,
      groupMembers: this.groupMembers,
      unverifiable: unverifiableDetails.map((u) => u.signal),
      unverifiableDetails,
    };
  }

  /** The TAP policy (docs/graph-behaviours.md#tap-policy); the groups it targets are listed next round. */
  private tapPolicyRead(): PagedRead {
    return {
      request: TAP_POLICY_REQUEST,
      absorb: (response) => {
        this.tapPolicy = parseTenantTapPolicyOrNull(response);
        if (this.tapPolicy === null) this.queue.refuse('tap-policy', 'the TAP policy', 'Policy.Read.AuthenticationMethod');
        else for (const groupId of getTapPolicyGroupIds(this.tapPolicy)) this.groups.listTransitiveMembers(groupId, this.memberSetOf(groupId));
        return undefined;
      },
    };
  }

  /** Active or PIM-eligible role assignments of the whole tenant (docs/graph-behaviours.md#directory-roles). */
  private roleScheduleRead(collection: RoleScheduleCollection, what: string, signal: EligibilitySignal, permission: string): PagedRead {
    return this.queue.read(
      getRoleScheduleInstancesRequest(collection),
      what,
      { signal, permission },
      (page) => this.addRoles(page, signal, what),
    );
  }

  /** Role-assignable groups; their members and owners are listed next round (docs/graph-behaviours.md#groups). */
  private roleAssignableGroupsRead(): PagedRead {
    return this.queue.read(
      { method: 'GET', url: `/groups?$filter=${encodeURIComponent('isAssignableToRole eq true')}&$select=id&$top=${PAGE_SIZE}` },
      'role-assignable groups',
      { signal: 'group-memberships', permission: 'GroupMember.Read.All' },
      (page) => {
        for (const item of page.value) {
          const groupId = parseBatchBody(idOnlySchema, item, 'a group').id.toLowerCase();
          const members = this.roleAssignableMembersOf(groupId);
          const sink = (userId: string): void => {
            members.add(userId);
            this.roleAssignableGroupUsers.add(userId);
          };
          this.groups.listMembers(`/groups/${encodeURIComponent(groupId)}/members`, 'members of a role-assignable group', sink);
          this.groups.listMembers(`/groups/${encodeURIComponent(groupId)}/owners`, 'owners of a role-assignable group', (userId) => this.roleAssignableGroupUsers.add(userId));
        }
      },
    );
  }

  /** Administrative units; the members of restricted ones are listed next round (docs/graph-behaviours.md#administrative-units). */
  private administrativeUnitsRead(): PagedRead {
    const denied = { signal: 'administrative-units', permission: 'AdministrativeUnit.Read.All' } as const;
    return this.queue.read({ method: 'GET', url: `/directory/administrativeUnits?$select=id,isMemberManagementRestricted&$top=${PAGE_SIZE}` }, 'administrative units', denied, (page) => {
      for (const item of page.value) {
        const unitId = parseBatchBody(idOnlySchema, item, 'an administrative unit').id.toLowerCase();
        // A unit listed without the flag cannot be judged (docs/graph-behaviours.md#limited-information).
        const known = 'isMemberManagementRestricted' in item;
        if (known && item['isMemberManagementRestricted'] !== true) continue;
        const sink = known ? this.restrictedAdministrativeUnitUsers : this.unverifiableAdministrativeUnitUsers;
        // Only the unit's direct user members are restricted: a group in it is protected itself, not its members.
        const url = `/directory/administrativeUnits/${encodeURIComponent(unitId)}/members?$select=id&$top=${PAGE_SIZE}`;
        this.queue.enqueue(
          this.queue.read({ method: 'GET', url }, 'members of a restricted administrative unit', denied, (members) => {
            for (const member of parseDirectoryObjects(members, 'an administrative unit member')) {
              if (member['@odata.type'] !== '#microsoft.graph.group') sink.add(member.id.toLowerCase());
            }
          }),
        );
      }
    });
  }

  /**
   * Holders of the portal's app roles (docs/graph-behaviours.md#app-roles). 404: the API has no
   * service principal here, and nothing about its roles can be vouched for.
   */
  private portalAppRolesRead(): PagedRead {
    const denied = { signal: 'portal-app-roles', permission: 'Application.Read.All', refuseOn404: true } as const;
    return this.queue.read(getPortalAppRolesRequest(), 'portal app role assignments', denied, (page) => {
      for (const item of page.value) {
        const a = parseBatchBody(appRoleAssignmentSchema, item, 'an app role assignment');
        if (a.appRoleId.toLowerCase() === DEFAULT_ACCESS_APP_ROLE_ID) continue;
        const principalId = a.principalId.toLowerCase();
        const type = a.principalType?.toLowerCase();
        if (type === 'serviceprincipal') continue;
        this.portalRoleUsers.add(principalId);
        // A group, or a principal of unknown type read as one (a user id answers 404: empty).
        if (type !== 'user') this.groups.listTransitiveMembers(principalId, this.portalRoleUsers);
      }
    });
  }

  private memberSetOf(groupId: string): Set<string> {
    return setIn(this.groupMembers, groupId);
  }

  private roleAssignableMembersOf(groupId: string): Set<string> {
    return setIn(this.roleAssignableGroupMembers, groupId);
  }

  private addRoles(page: ItemsPage, signal: EligibilitySignal, what: string): void {
    for (const item of page.value) {
      const a = parseBatchBody(scheduleInstanceSchema, item, 'a role assignment');
      if (a.roleDefinitionId === null || a.roleDefinitionId === undefined) {
        this.queue.refuse(signal, what, signal === 'eligible-roles' ? 'RoleEligibilitySchedule.Read.Directory' : 'RoleAssignmentSchedule.Read.Directory');
        continue;
      }
      setIn(this.rolesByPrincipal, a.principalId.toLowerCase()).add(a.roleDefinitionId.toLowerCase());
    }
  }

  /** Role definition ids per user: their own assignments and those of the role-assignable groups they are in. */
  private roleDefinitionIdsByUser(): Map<string, string[]> {
    const byUser = new Map<string, Set<string>>();
    for (const [principalId, roles] of this.rolesByPrincipal) {
      const members = this.roleAssignableGroupMembers.get(principalId);
      for (const userId of members ?? [principalId]) {
        const set = setIn(byUser, userId);
        for (const role of roles) set.add(role);
      }
    }
    return new Map([...byUser].map(([userId, roles]) => [userId, [...roles]]));
  }
}

/** The set under `key`, created empty when missing. */
function setIn(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
