import 'server-only';
import { parseDirectoryObjects } from '@/lib/graph/batch-answers';
import type { EligibilityReadQueue } from '@/lib/graph/eligibility-read-queue';
import { PAGE_SIZE } from '@/lib/graph/reportee-tree';

/**
 * Listing the users in groups for the reportee walk's eligibility facts, each group once however
 * many facts need it (docs/graph-behaviours.md#groups).
 */

/** Where a group's members go. */
export interface MemberSink {
  add(userId: string): unknown;
}

const GROUP_DENIAL = { signal: 'group-memberships', permission: 'GroupMember.Read.All' } as const;

/** Group listings queued on an {@link EligibilityReadQueue}, their members fanned out to every sink that asked. */
export class GroupMemberReads {
  private readonly transitiveMembers = new Map<string, { members: Set<string>; sinks: MemberSink[] }>();

  /** @param groupMembers the walk's members per group; a group whose listing is refused leaves it. */
  constructor(
    private readonly queue: EligibilityReadQueue,
    private readonly groupMembers: Map<string, Set<string>>,
  ) {}

  /**
   * Transitive members (users) of a group into `sink`. A group is listed once however many
   * purposes need it (protected, a TAP policy target, a portal role holder): a sink added later
   * gets the members already read. On 403 the group's entry in `groupMembers` is dropped — its
   * members are unknown, not none.
   */
  listTransitiveMembers(groupId: string, sink: MemberSink): void {
    const known = this.transitiveMembers.get(groupId);
    if (known !== undefined) {
      known.sinks.push(sink);
      for (const userId of known.members) sink.add(userId);
      return;
    }
    const entry = { members: new Set<string>(), sinks: [sink] };
    this.transitiveMembers.set(groupId, entry);
    const read = this.queue.read(
      { method: 'GET', url: `/groups/${encodeURIComponent(groupId)}/transitiveMembers?$select=id&$top=${PAGE_SIZE}` },
      'transitive members of a group',
      GROUP_DENIAL,
      (page) => {
        for (const member of parseDirectoryObjects(page, 'a group member')) {
          if (member['@odata.type'] === '#microsoft.graph.group') continue; // already flattened
          const userId = member.id.toLowerCase();
          entry.members.add(userId);
          for (const s of entry.sinks) s.add(userId);
        }
      },
    );
    this.queue.enqueue({
      ...read,
      absorb: (response) => {
        if (response.status === 403) this.groupMembers.delete(groupId);
        return read.absorb(response);
      },
    });
  }

  /** Direct members (users) of a group into `sink`; a nested group (not allowed in role-assignable ones) is flattened. */
  listMembers(path: string, what: string, sink: (userId: string) => void): void {
    this.queue.enqueue(
      this.queue.read({ method: 'GET', url: `${path}?$select=id&$top=${PAGE_SIZE}` }, what, GROUP_DENIAL, (page) => {
        for (const member of parseDirectoryObjects(page, 'a group member')) {
          const id = member.id.toLowerCase();
          if (member['@odata.type'] === '#microsoft.graph.group') this.listTransitiveMembers(id, { add: sink });
          else sink(id);
        }
      }),
    );
  }
}
