import 'server-only';
import type { Actor, AppRole } from '@/lib/auth/actor';

/**
 * `GET /api/me`: the signed-in user as the verified token describes them (`getMe`).
 */

export interface Me {
  id: string;
  displayName: string;
  userPrincipalName: string;
  /** The portal app roles from the token (`TapBroker.Approver`, `TapBroker.Auditor`, `TapBroker.Admin`). */
  roles: AppRole[];
}

/**
 * The signed-in user as the token describes them. No Graph call: everything here is in the
 * verified token, and what the user may do with reportees is decided per request in Graph.
 */
export function getMe(actor: Actor): Me {
  return {
    id: actor.id,
    displayName: actor.displayName,
    userPrincipalName: actor.userPrincipalName,
    roles: [...actor.roles].sort(),
  };
}
