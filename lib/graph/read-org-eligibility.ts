import 'server-only';
import { graphBatch, type GraphBatchResponse, type GraphBatchStats } from '@/lib/graph/batch';
import { getGraphVersionBase, GraphRequestError } from '@/lib/graph/client';
import { readDirectory } from '@/lib/graph/scan-directory';
import { TenantEligibilityReads, type EligibilityFacts } from '@/lib/graph/tenant-eligibility-reads';
import type { Logger } from '@/lib/log';

/**
 * The whole organisation with the facts its eligibility needs (`readOrgEligibility`), for the
 * policy preview: everyone is judged, not one manager's reportees.
 */

export interface OrgPerson {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
  userType: string | null;
  /** The manager's object id; null at the top of the org (or for a manager Graph does not show). */
  managerId: string | null;
}

export interface OrgEligibility {
  people: OrgPerson[];
  facts: EligibilityFacts;
  /** `$batch` HTTP requests the read cost. */
  graphRequests: number;
}

/**
 * Every user of the directory with their manager (paged `/users?$select&$expand=manager`, 100 a
 * page, Graph's cap with `$expand`), and the tenant-wide eligibility reads riding in the same
 * `$batch`es: TAP policy, active and PIM-eligible role assignments, role-assignable groups with
 * their members and owners, administrative units, the portal's app role assignments, and the
 * transitive members of `protectedGroupIds`. Round trips grow with the directory's pages and the
 * depth of group nesting, never one per person.
 */
export async function readOrgEligibility(options: { protectedGroupIds: readonly string[]; log: Logger }): Promise<OrgEligibility> {
  const versionBase = getGraphVersionBase();
  const stats: GraphBatchStats = { httpRequests: 0 };
  const facts = new TenantEligibilityReads(versionBase, options.protectedGroupIds);
  const users = await readDirectory(facts.firstReads(), facts, { log: options.log, stats, versionBase });
  // Members found late (groups in groups, further pages) take rounds of their own once the pages end.
  for (let pending = facts.takePending(); pending.length > 0; pending = facts.takePending()) {
    const responses = await graphBatch(
      pending.map((read) => read.request),
      { log: options.log, stats },
    );
    if (responses.length !== pending.length) throw new GraphRequestError('Graph $batch lost a response', 200);
    pending.forEach((read, index) => facts.absorb(read, responses[index] as GraphBatchResponse));
  }
  const people = users.map(
    (user): OrgPerson => ({
      id: user.id,
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      accountEnabled: user.accountEnabled,
      userType: user.userType,
      managerId: user.manager?.id ?? null,
    }),
  );
  return { people, facts: facts.toFacts(options.log), graphRequests: stats.httpRequests };
}
