import 'server-only';
import { hasAnyRole, type Actor } from '@/lib/auth/actor';
import type { RequestContext } from '@/lib/core/request-context';
import { BrokerError } from '@/lib/core/errors';
import { fromStoredPolicy, getChangedPolicyFields, type BrokerPolicy, type BrokerPolicyFields } from '@/lib/broker/policy';
import { getDb, type PrismaClient } from '@/lib/db/client';
import { getUserNames } from '@/lib/graph/get-user-names';

/**
 * The broker policy's version history for the policy console (`GET /api/policy/versions`,
 * `listPolicyVersions`).
 */

/** The newest this many versions are listed. */
export const MAX_LISTED_POLICY_VERSIONS = 100;

export interface PolicyVersionView {
  version: number;
  policy: BrokerPolicy;
  createdAt: string;
  /** The admin's object id, or `system` for the built-in defaults (version 1). */
  createdBy: string;
  /** From Graph now; null for `system` or when Graph does not know the id any more. */
  createdByDisplayName: string | null;
  /** Fields that differ from the previous version (every field for the first one). */
  changedFields: (keyof BrokerPolicyFields)[];
  /** The `policy.updated` audit event that recorded this version (null for version 1, stored by the migration). */
  auditSeq: number | null;
  auditEventId: string | null;
  /** Why the admin saved it; null when none was given. */
  changeReason: string | null;
  /** The earlier version this one restores; null for an ordinary save. */
  restoredFromVersion: number | null;
}

/**
 * The policy's version history, newest first: each `policy_version` row with who saved it, what it
 * changed against the version before, and the `policy.updated` audit event that records it (the
 * evidence an auditor follows). Names come from Graph in one `$batch` pass. Approvers, auditors
 * and admins (the same readers as `GET /api/policy`).
 *
 * @throws BrokerError forbidden, upstream-unavailable (Graph could not be read for the names).
 */
export async function listPolicyVersions(
  actor: Actor,
  ctx: Pick<RequestContext, 'log'>,
  options: { db?: PrismaClient } = {},
): Promise<{ versions: PolicyVersionView[] }> {
  if (!hasAnyRole(actor, ['approver', 'auditor', 'admin'])) {
    throw new BrokerError('forbidden', 'Your role does not allow reading the broker policy.');
  }
  const db = options.db ?? (await getDb());
  // One extra (older) row so the oldest listed version still gets its changed fields right.
  const rows = await db.policyVersion.findMany({ orderBy: { version: 'desc' }, take: MAX_LISTED_POLICY_VERSIONS + 1 });
  const listed = rows.slice(0, MAX_LISTED_POLICY_VERSIONS);
  const events = await db.auditEvent.findMany({
    // Every save writes exactly one such event, so the newest ones match the newest versions.
    where: { type: 'policy.updated' },
    orderBy: { seq: 'desc' },
    take: MAX_LISTED_POLICY_VERSIONS,
    select: { seq: true, id: true, data: true },
  });
  const eventByVersion = new Map<number, { seq: bigint; id: string }>();
  for (const event of events) {
    const data = event.data;
    const toVersion = typeof data === 'object' && data !== null && !Array.isArray(data) ? data['toVersion'] : undefined;
    if (typeof toVersion === 'number') eventByVersion.set(toVersion, { seq: event.seq, id: event.id });
  }
  const names = await getUserNames(
    listed.map((row) => row.createdBy),
    { log: ctx.log },
  );
  const versions = listed.map((row, index): PolicyVersionView => {
    const policy = fromStoredPolicy(row);
    const previous = rows[index + 1];
    const event = eventByVersion.get(row.version);
    return {
      version: row.version,
      policy,
      createdAt: row.createdAt.toISOString(),
      createdBy: row.createdBy,
      createdByDisplayName: names.get(row.createdBy)?.displayName ?? null,
      changedFields: getChangedPolicyFields(previous === undefined ? null : fromStoredPolicy(previous), policy),
      auditSeq: event === undefined ? null : Number(event.seq),
      auditEventId: event?.id ?? null,
      changeReason: row.changeReason,
      restoredFromVersion: row.restoredFromVersion,
    };
  });
  return { versions };
}
