// What the policy says will happen to a request once submitted, told before the user submits it.
import type { RequestLimits } from '@/lib/client/portal-types';

/** The approval outlook for a reportee `depth` levels down; null while the limits are unknown. */
export function describeApproval(limits: RequestLimits | null, depth: number): string | null {
  switch (limits?.requireApproval) {
    case 'never':
      return 'Approved automatically by policy; you can get the pass right away.';
    case 'always':
      return 'An approver has to approve it before you can get the pass.';
    case 'indirect-only':
      return depth === 1
        ? 'Approved automatically for a direct report; you can get the pass right away.'
        : 'Not a direct report, so an approver has to approve it before you can get the pass.';
    default:
      return null;
  }
}
