import 'server-only';
import { randomUUID } from 'node:crypto';
import { assertNoSecrets } from '@/lib/audit/assert-no-secrets';
import { sanitizeClientText } from '@/lib/audit/sanitize-client-text';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH, toAuditJson, type AuditJsonObject } from '@/lib/audit/canonical';
import { auditCatalogue, DIRECTORY_TEXT_FIELDS, type AuditContextData, type AuditDataFor } from '@/lib/audit/catalogue';
import type { AuditEventType } from '@/lib/contract/audit';
import type { RequestContext } from '@/lib/core/request-context';
import type { Prisma } from '@/lib/db/generated/client';

/**
 * The one writer of the audit trail: each event checked for secrets and hash-chained to the one
 * before it, inside the caller's transaction.
 */

export interface AuditEventInput<T extends AuditEventType = AuditEventType> {
  type: T;
  /** Who acted: a user's object id, or `SYSTEM_ACTOR_ID` for the broker itself. */
  actorId: string;
  /** The user the event is about (usually the TAP target). */
  targetId?: string | null;
  /** The TAP request's id (a UUID), when the event belongs to one. */
  requestId?: string | null;
  data: AuditDataFor<T>;
  /** Where the call came from; recorded as `data.context`. Only requestId, ip, userAgent and clientRequestId are used. */
  context: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent' | 'clientRequestId'>;
}

export interface AppendedAuditEvent {
  seq: bigint;
  hash: string;
  id: string;
}

/**
 * The key of the transaction-scoped advisory lock that serializes appends across every connection
 * and app instance on the database ("taud"). Held until the appending transaction ends, so the next
 * writer reads the head only after this event is committed (or rolled back): the chain cannot fork.
 */
export const AUDIT_CHAIN_LOCK_KEY = 0x74617564;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_USER_AGENT_LENGTH = 512;
const MAX_CLIENT_REQUEST_ID_LENGTH = 64;

export class AuditWriteError extends Error {
  override readonly name = 'AuditWriteError';
}

/**
 * The one audit writer. MUST be called inside the transaction of the state change it records
 * (`db.$transaction(async (tx) => { …change…; await appendAuditEvent(tx, event) })`), so that the
 * change and its record commit or roll back together.
 *
 * Validates `data` against the catalogue (unknown keys refused), adds `data.context` (the client's
 * own text in it — user agent, client request id — cleaned and redacted rather than refused, see
 * sanitize-client-text.ts), refuses secret-looking keys and values, then — holding
 * {@link AUDIT_CHAIN_LOCK_KEY} — reads the head and inserts `seq = head + 1`, `prevHash = head
 * hash` and `hash` (lib/audit/canonical.ts). `at` never goes backwards along `seq`, even across
 * instances whose clocks disagree.
 *
 * Use the default READ COMMITTED isolation: under REPEATABLE READ or SERIALIZABLE the head read
 * could predate a concurrent append, and the insert then fails on the unique `seq`.
 *
 * Throws (and so aborts the caller's transaction) on invalid data, a secret, or a database error.
 * Secret-shaped text is a `validation-failed` BrokerError (`AuditSecretError`), since it came from
 * a caller or the directory; the rest are defects or outages.
 */
export async function appendAuditEvent<T extends AuditEventType>(
  tx: Prisma.TransactionClient,
  event: AuditEventInput<T>,
): Promise<AppendedAuditEvent> {
  // An advisory *transaction* lock taken outside a transaction is released at once: refuse.
  // The type already says so; this catches a PrismaClient passed where the types were bypassed.
  // (A transaction client lacks `$connect`; it does have a `$transaction` for nesting.)
  const client: { $connect?: unknown; $executeRaw: unknown } = tx;
  if (typeof client.$connect === 'function') {
    throw new AuditWriteError('appendAuditEvent must be called with the client of an open transaction');
  }
  const data = buildData(event);
  const targetId = event.targetId ?? null;
  const requestId = event.requestId ?? null;
  if (requestId !== null && !UUID.test(requestId)) throw new AuditWriteError('requestId must be a UUID');
  if (event.actorId.length === 0) throw new AuditWriteError('actorId is required');

  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY}::bigint)`;
  const head = await tx.auditEvent.findFirst({
    orderBy: { seq: 'desc' },
    select: { seq: true, hash: true, at: true },
  });

  const seq = head === null ? 1n : head.seq + 1n;
  const prevHash = head === null ? GENESIS_PREV_HASH : head.hash;
  const now = new Date();
  const at = head !== null && head.at > now ? head.at : now;
  const id = randomUUID();
  const hash = computeAuditEventHash(prevHash, { seq, id, at, type: event.type, actorId: event.actorId, targetId, requestId, data });

  await tx.auditEvent.create({
    data: { seq, id, at, type: event.type, actorId: event.actorId, targetId, requestId, data, dataCanonical: canonicalJson(data), prevHash, hash },
  });
  return { seq, hash, id };
}

function buildData<T extends AuditEventType>(event: AuditEventInput<T>): AuditJsonObject {
  const schema = auditCatalogue[event.type];
  if (schema === undefined) throw new AuditWriteError(`unknown audit event type ${String(event.type)}`);
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) {
    // Paths and messages only: the rejected values could be anything, including a secret.
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AuditWriteError(`invalid data for audit event ${event.type}: ${issues.join('; ')}`);
  }
  const clientRequestId = sanitizeClientText(event.context.clientRequestId ?? '', MAX_CLIENT_REQUEST_ID_LENGTH);
  const context: AuditContextData = {
    requestId: event.context.requestId,
    ip: event.context.ip,
    userAgent: event.context.userAgent === null ? null : sanitizeClientText(event.context.userAgent, MAX_USER_AGENT_LENGTH),
    // Only when the client sent one, so events without it keep the shape (and hash input) they had.
    ...(clientRequestId === null ? {} : { clientRequestId }),
  };
  const data = toAuditJson({ ...parsed.data, context });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new AuditWriteError('data must be an object');
  assertNoSecrets(data, DIRECTORY_TEXT_FIELDS[event.type]);
  return data;
}
