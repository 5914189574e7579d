// Names for the ids in the audit trail, taken from the requests the auditor may read.
import type { TapRequest } from '@/lib/client/portal-types';

/**
 * Names for the ids in the trail, from the requests an auditor may read (`scope=all`): the names
 * recorded on each request when it was made. Best effort: an id without a name stays an id.
 */
export function namesFromRequests(requests: readonly TapRequest[]): ReadonlyMap<string, string> {
  const names = new Map<string, string>([['system', 'TAP Broker (automatic)']]);
  for (const r of requests) {
    if (r.requesterDisplayName !== undefined) names.set(r.requesterId, r.requesterDisplayName);
    if (r.targetDisplayName !== '') names.set(r.targetUserId, r.targetDisplayName);
    if (r.decidedBy !== undefined && r.decidedByDisplayName !== undefined) names.set(r.decidedBy, r.decidedByDisplayName);
    r.chain.forEach((id, index) => {
      const name = r.chainDisplayNames[index];
      if (name !== undefined && r.chainDisplayNames.length === r.chain.length) names.set(id, name);
    });
  }
  return names;
}

export const NO_NAMES: ReadonlyMap<string, string> = new Map([['system', 'TAP Broker (automatic)']]);
