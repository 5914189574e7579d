import 'server-only';
import { randomUUID } from 'node:crypto';
import { assertNoSecrets } from '@/lib/audit/assert-no-secrets';
import { sanitizeClientText } from '@/lib/audit/sanitize-client-text';
import { canonicalJson, splitAuditEventEncoding, toAuditJson, type AuditJsonObject } from '@/lib/audit/canonical';
import { auditCatalogue, DIRECTORY_TEXT_FIELDS, type AuditContextData, type AuditDataFor } from '@/lib/audit/catalogue';
import type { AuditEventType } from '@/lib/contract/audit';
import type { RecordedNameInput, RequestContext } from '@/lib/core/request-context';
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
  /**
   * Where the call came from; recorded as `data.context`. Only requestId, ip, userAgent and
   * clientRequestId go into the event; `actorName`, when it is the event's actor, is recorded
   * beside it in `recorded_name`, as are {@link names}.
   */
  context: Pick<RequestContext, 'requestId' | 'ip' | 'userAgent' | 'clientRequestId' | 'actorName'>;
  /**
   * The names of people the event names (its target, a decider…) as the broker knows them now
   * (from Graph or the token). Written to `recorded_name` in the event's statement, for exports and
   * the people picker; not part of the event or its hash.
   */
  names?: readonly RecordedNameInput[];
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

/** An appended event before its transaction commits: only its id is known (see {@link appendAuditEvent}). */
export interface PendingAuditEvent {
  id: string;
}

/**
 * The one audit writer. MUST be called inside the transaction of the state change it records
 * (`db.$transaction(async (tx) => { …change…; await appendAuditEvent(tx, event) })`), so that the
 * change and its record commit or roll back together.
 *
 * Validates `data` against the catalogue (unknown keys refused), adds `data.context` (the client's
 * own text in it — user agent, client request id — cleaned and redacted rather than refused, see
 * sanitize-client-text.ts) and refuses secret-looking keys and values. Then ONE statement inserts
 * the event into `audit_pending` (migration 0015) with its canonical encoding's parts other than
 * `at` and `seq` ({@link splitAuditEventEncoding}); it takes no lock another appender waits for.
 *
 * The chain link happens at COMMIT, in the database: a deferred constraint trigger links the
 * transaction's pending events in the order they were appended — moving the chain's head (table
 * `audit_head`, migration 0013): `seq = head + 1`, `prevHash = head hash`, `at = max(head at,
 * now)` truncated to milliseconds, and `hash` by PostgreSQL's sha256 over the canonical encoding
 * (lib/audit/canonical.ts) — then stores the event in `audit_event`. `now` is the database
 * server's clock (the COMMIT statement's start), one clock for every app instance; `at` never goes
 * backwards along `seq` even if that clock is set back. A link that fails fails the COMMIT.
 *
 * Concurrency: the head row's lock serializes links across every connection and instance, and is
 * held from the link to the end of the COMMIT — no round trip to the application in between — so
 * the next transaction chains to this event once it is committed: the chain cannot fork and seqs
 * commit in order, without gaps.
 *
 * Use the default READ COMMITTED isolation: under REPEATABLE READ or SERIALIZABLE a link that
 * waited for the head fails with a serialization error instead of re-reading it.
 *
 * Throws (and so aborts the caller's transaction) on invalid data, a secret, or a database error.
 * Secret-shaped text is a `validation-failed` BrokerError (`AuditSecretError`), since it came from
 * a caller or the directory; the rest are defects or outages.
 */
export async function appendAuditEvent<T extends AuditEventType>(
  tx: Prisma.TransactionClient,
  event: AuditEventInput<T>,
): Promise<PendingAuditEvent> {
  // Outside a transaction the event would be linked at once, apart from the change it records:
  // refuse. The type already says so; this catches a PrismaClient passed where the types were
  // bypassed. (A transaction client lacks `$connect`; it does have a `$transaction` for nesting.)
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
  const names = getNamesToRecord(event);
  // A request's target was named from Graph when the request was made (tap_request keeps it): every
  // event of the request records that version too, so its target has a name in exports.
  const fromRequest = requestId !== null && targetId !== null;
  if (names.length === 0 && !fromRequest) {
    await tx.$executeRaw`
      INSERT INTO audit_pending (id, type, actor_id, target_id, request_id, data_canonical, before_at, before_seq, after_seq)
      VALUES (${id}::uuid, ${event.type}, ${event.actorId}, ${targetId}, ${requestId}::uuid, ${dataCanonical}, ${beforeAt}, ${beforeSeq}, ${afterSeq})`;
  } else {
    // Still one statement: a version already recorded is left as it is (its first recorded_at stays).
    await tx.$executeRaw`
      WITH recorded_names AS (
        INSERT INTO recorded_name (id, display_name, user_principal_name)
        SELECT n.id, n.display_name, n.user_principal_name
        FROM jsonb_to_recordset(${JSON.stringify(names)}::jsonb) AS n(id text, display_name text, user_principal_name text)
        UNION ALL
        SELECT t.target_user_id, t.target_display_name, t.target_user_principal_name
        FROM tap_request t
        WHERE t.id = ${requestId}::uuid AND t.target_user_id = ${targetId} AND t.target_user_principal_name IS NOT NULL
        ON CONFLICT DO NOTHING
      )
      INSERT INTO audit_pending (id, type, actor_id, target_id, request_id, data_canonical, before_at, before_seq, after_seq)
      VALUES (${id}::uuid, ${event.type}, ${event.actorId}, ${targetId}, ${requestId}::uuid, ${dataCanonical}, ${beforeAt}, ${beforeSeq}, ${afterSeq})`;
  }
  return { id };
}

const MAX_NAME_LENGTH = 256;

/**
 * The names to record with `event`: its own list and the caller's (when the caller is the event's
 * actor), without empty, overlong or repeated versions. Names are readability, so one that does
 * not fit is left out rather than failing the event.
 */
function getNamesToRecord(event: Pick<AuditEventInput, 'actorId' | 'names' | 'context'>): { id: string; display_name: string; user_principal_name: string }[] {
  const actorName = event.context.actorName?.id === event.actorId ? [event.context.actorName] : [];
  const seen = new Set<string>();
  return [...(event.names ?? []), ...actorName].flatMap((name) => {
    const fits = (text: string) => text.length > 0 && text.length <= MAX_NAME_LENGTH && !/[\x00-\x1f]/.test(text);
    if (!fits(name.id) || !fits(name.displayName) || !fits(name.userPrincipalName)) return [];
    const key = JSON.stringify([name.id, name.displayName, name.userPrincipalName]);
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ id: name.id, display_name: name.displayName, user_principal_name: name.userPrincipalName }];
  });
}

/**
 * {@link appendAuditEvent}, linked at once instead of at COMMIT, for the rare caller that needs the
 * event's `seq`, `hash` and `at` inside its transaction (an export records its own event in its
 * answer). It links every event the transaction has appended so far and then holds the head row
 * until the transaction ends, so call it last.
 */
export async function appendAuditEventNow<T extends AuditEventType>(
  tx: Prisma.TransactionClient,
  event: AuditEventInput<T>,
): Promise<AppendedAuditEvent> {
  const { id } = await appendAuditEvent(tx, event);
  await tx.$executeRaw`SET CONSTRAINTS audit_pending_link IMMEDIATE`;
  await tx.$executeRaw`SET CONSTRAINTS audit_pending_link DEFERRED`;
  const rows = await tx.$queryRaw<AppendedAuditEvent[]>`SELECT seq, hash, id::text AS id, at FROM audit_event WHERE id = ${id}::uuid`;
  const appended = rows[0];
  if (appended === undefined) throw new AuditWriteError('the appended audit event was not linked');
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
