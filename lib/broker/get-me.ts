import 'server-only';
import type { Actor, AppRole } from '@/lib/auth/actor';
import { getEnv } from '@/lib/env';
import { getManagerAndReports } from '@/lib/graph/get-manager-and-reports';
import type { Logger } from '@/lib/log';

/**
 * `GET /api/me`: the signed-in user as the verified token describes them (`getMe`), and what
 * the portal's first page needs from the directory (`getMeDirectory`).
 */

export interface Me {
  id: string;
  displayName: string;
  userPrincipalName: string;
  /** The portal app roles from the token (`TapBroker.Approver`, `TapBroker.Auditor`, `TapBroker.Admin`). */
  roles: AppRole[];
}

/** What `/api/me` adds from Graph and configuration; each field left out when it is not known. */
export interface MeDirectory {
  /** Who can request a pass for this user; null when the directory names no manager. */
  manager?: { displayName: string; userPrincipalName: string } | null;
  /** Whether anyone reports to this user directly (where they land in the portal). */
  hasReports?: boolean;
  /** HELPDESK_CONTACT: who else gives a pass; null when not configured. */
  helpdeskContact: string | null;
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

/**
 * The directory facts that choose the portal's landing page and whom to ask for a pass: one Graph
 * `$batch` per call of `/api/me`, which the portal makes once per page load. They grant nothing
 * (every action re-reads the chain in Graph), so when Graph cannot answer they are left out and the
 * portal falls back to its plain first page rather than failing to start.
 */
export async function getMeDirectory(actor: Actor, log: Logger): Promise<MeDirectory> {
  const helpdeskContact = getEnv().helpdeskContact;
  try {
    const { manager, hasReports } = await getManagerAndReports(actor.id, { log });
    return { manager, ...(hasReports === null ? {} : { hasReports }), helpdeskContact };
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'manager and reports unavailable for /api/me');
    return { helpdeskContact };
  }
}
