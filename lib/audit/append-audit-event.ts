import 'server-only';
import { randomUUID } from 'node:crypto';
import { assertNoSecrets } from '@/lib/audit/assert-no-secrets';
import { sanitizeClientText } from '@/lib/audit/sanitize-client-text';
import { canonicalJson, splitAuditEventEncoding, toAuditJson, type AuditJsonObject } from '@/lib/audit/canonical';
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
  at: Date;
}

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
 * sanitize-client-text.ts) and refuses secret-looking keys and values. Then ONE statement moves the
 * chain's head (table `audit_head`, migration 0013) and inserts the event: `seq = head + 1`,
 * `prevHash = head hash`, `at = max(head at, now)` truncated to milliseconds, and `hash` computed
 * by PostgreSQL's sha256 over the canonical encoding (lib/audit/canonical.ts), whose parts other
 * than `at` and `seq` are encoded here ({@link splitAuditEventEncoding}). `now` is the database
 * server's clock (the statement's start), one clock for every app instance; `at` never goes
 * backwards along `seq` even if that clock is set back.
 *
 * Concurrency: the head row's lock serializes appends across every connection and instance and is
 * held until the caller's transaction ends, so the next appender chains to this event once it is
 * committed (or to the old head after a rollback): the chain cannot fork and seqs commit in order,
 * without gaps. Call it LAST in the transaction, so the lock is held for as short a time as
 * possible — every append on the database waits on it.
 *
 * Use the default READ COMMITTED isolation: under REPEATABLE READ or SERIALIZABLE an appender that
 * waited for the head fails with a serialization error instead of re-reading it.
 *
 * Throws (and so aborts the caller's transaction) on invalid data, a secret, or a database error.
 * Secret-shaped text is a `validation-failed` BrokerError (`AuditSecretError`), since it came from
 * a caller or the directory; the rest are defects or outages.
 */
export async function appendAuditEvent<T extends AuditEventType>(
  tx: Prisma.TransactionClient,
  event: AuditEventInput<T>,
): Promise<AppendedAuditEvent> {
  // Outside a transaction the head's lock would be released at once, before the caller's change
  // commits: refuse. The type already says so; this catches a PrismaClient passed where the types
  // were bypassed. (A transaction client lacks `$connect`; it does have a `$transaction` for nesting.)
  const client: { $connect?: unknown; $queryRaw: unknown } = tx;
  if (typeof client.$connect === 'function') {
    throw new AuditWriteError('appendAuditEvent must be called with the client of an open transaction');
  }
  const data = buildData(event);
  const targetId = event.targetId ?? null;
  const requestId = event.requestId ?? null;
  if (requestId !== null && !UUID.test(requestId)) throw new AuditWriteError('requestId must be a UUID');
  if (event.actorId.length === 0) throw new AuditWriteError('actorId is required');

  const id = randomUUID();
  const dataCanonical = canonicalJson(data);
  const { beforeAt, beforeSeq, afterSeq } = splitAuditEventEncoding({ id, type: event.type, actorId: event.actorId, targetId, requestId, dataCanonical });
  // `at`: statement_timestamp() is one value for the whole statement, so the stored `at` and the one
  // hashed agree; truncated (timestamptz(3) would round, possibly past the formatted milliseconds).
  // The to_char pattern writes what Date.prototype.toISOString writes for years 0–9999.
  const rows = await tx.$queryRaw<AppendedAuditEvent[]>`
    WITH head AS (
      UPDATE audit_head SET
        seq = seq + 1,
        at = greatest(at, date_trunc('milliseconds', statement_timestamp())),
        prev_hash = hash,
        hash = encode(sha256(convert_to(
          hash || ${beforeAt}::text
            || to_char(greatest(at, date_trunc('milliseconds', statement_timestamp())) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            || ${beforeSeq}::text || (seq + 1)::text || ${afterSeq}::text,
          'UTF8')), 'hex')
      WHERE id = 1
      RETURNING seq, at, prev_hash, hash
    )
    INSERT INTO audit_event (seq, id, at, type, actor_id, target_id, request_id, data, data_canonical, prev_hash, hash)
    SELECT head.seq, ${id}::uuid, head.at, ${event.type}, ${event.actorId}, ${targetId}, ${requestId}::uuid,
      ${dataCanonical}::jsonb, ${dataCanonical}::text, head.prev_hash, head.hash
    FROM head
    RETURNING seq, hash, id::text AS id, at`;
  const appended = rows[0];
  if (appended === undefined) throw new AuditWriteError('the audit chain has no head row (migration 0013)');
  return appended;
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
