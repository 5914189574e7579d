import 'server-only';
import { createHash } from 'node:crypto';

/**
 * The audit chain's canonical encoding and hash. The offline verifier (scripts/audit-verify.ts)
 * re-implements this without the portal, so it is specified here in full and pinned by test
 * vectors in canonical.test.ts; changing anything below breaks every existing chain.
 *
 * For the event with sequence number `seq`:
 *
 *     hash = lowercase hex SHA-256 of the UTF-8 bytes of ( prevHash ‖ canonical(event) )
 *
 * - `prevHash` is the previous event's `hash` (64 lowercase hex characters); for `seq` 1 it is
 *   {@link GENESIS_PREV_HASH}, 64 × "0". `‖` is plain string concatenation, no separator.
 * - `event` is the JSON object with exactly these eight members:
 *   `seq` (integer, as a JSON number), `id` (UUID, lowercase), `at` (UTC, ISO 8601 with
 *   milliseconds, `YYYY-MM-DDTHH:mm:ss.sssZ`), `type`, `actorId`, `targetId` (string or null),
 *   `requestId` (UUID string or null), `data` (the stored JSON object, including `context`).
 *   `prevHash` and `hash` themselves are not members.
 * - `canonical(v)` is JSON without any insignificant whitespace where
 *   - objects have their members sorted by key, comparing keys as sequences of UTF-16 code units
 *     (JavaScript's default sort; equal to code-point order for the ASCII keys the broker writes),
 *     recursively, at every depth; arrays keep their order;
 *   - strings are written as ECMAScript `JSON.stringify` writes them: `"` and `\` escaped,
 *     U+0008/0009/000A/000C/000D as `\b \t \n \f \r`, other code points below U+0020 as `\u00xx`
 *     (lowercase hex), everything else (including non-ASCII) literally;
 *   - numbers are written as ECMAScript `Number.prototype.toString` writes them (shortest
 *     round-trip form, e.g. `1`, `1.5`, `1e+21`, `-0` as `0`); only finite numbers occur;
 *   - `true`, `false`, `null` as usual.
 *
 * This is RFC 8785 (JCS) for the values the broker stores: the audit writer refuses anything JSONB
 * cannot hold exactly (NUL characters, lone surrogates, non-finite numbers), so what is hashed is
 * what PostgreSQL stores and what an export prints, re-encoded canonically.
 */
export const GENESIS_PREV_HASH = '0'.repeat(64);

/** The hashed fields of an audit event. */
export interface AuditEventHashInput {
  seq: bigint | number;
  id: string;
  at: Date | string;
  type: string;
  actorId: string;
  targetId: string | null;
  requestId: string | null;
  data: unknown;
}

export class AuditEncodingError extends Error {
  override readonly name = 'AuditEncodingError';
}

/** Canonical JSON (see the module comment) of a JSON value; throws on anything that is not JSON. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new AuditEncodingError('non-finite numbers have no JSON encoding');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`;
      if (!isPlainObject(value)) throw new AuditEncodingError('only plain objects have a canonical encoding');
      const keys = Object.keys(value).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
    }
    default:
      throw new AuditEncodingError(`a ${typeof value} has no JSON encoding`);
  }
}

/** `at` as the encoding writes it: UTC, milliseconds, `Z`. */
export function formatAuditTimestamp(at: Date | string): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) throw new AuditEncodingError('invalid timestamp');
  return date.toISOString();
}

/** The canonical encoding of an event's hashed fields (the string that follows `prevHash`). */
export function encodeAuditEvent(event: AuditEventHashInput): string {
  return encodeAuditEventWithDataJson(event, canonicalJson(event.data));
}

/**
 * {@link encodeAuditEvent} with `data` given as its canonical JSON (`dataJson`, e.g. the stored
 * `data_canonical`), which is spliced in as is: the members written in their sorted order
 * (`actorId, at, data, id, requestId, seq, targetId, type`), so the result is `canonicalJson` of
 * the event exactly when `dataJson` is `canonicalJson(data)`.
 */
export function encodeAuditEventWithDataJson(event: Omit<AuditEventHashInput, 'data'>, dataJson: string): string {
  const seq = typeof event.seq === 'bigint' ? event.seq : BigInt(event.seq);
  if (seq < 1n || seq > BigInt(Number.MAX_SAFE_INTEGER)) throw new AuditEncodingError('seq out of range');
  const requestId = event.requestId === null ? 'null' : JSON.stringify(event.requestId.toLowerCase());
  const targetId = event.targetId === null ? 'null' : JSON.stringify(event.targetId);
  return (
    `{"actorId":${JSON.stringify(event.actorId)},"at":${JSON.stringify(formatAuditTimestamp(event.at))},"data":${dataJson},` +
    `"id":${JSON.stringify(event.id.toLowerCase())},"requestId":${requestId},"seq":${seq.toString()},"targetId":${targetId},"type":${JSON.stringify(event.type)}}`
  );
}

/**
 * The canonical encoding of an event whose `at` and `seq` are not known yet, in the three pieces
 * around them: `encodeAuditEvent(event) === beforeAt + at + beforeSeq + seq + afterSeq`, with `at`
 * as {@link formatAuditTimestamp} writes it and `seq` in decimal. The members sort as actorId, at,
 * data, id, requestId, seq, targetId, type, so only those two fall in between. The database fills
 * them in when it appends (lib/audit/append-audit-event.ts); canonical.test.ts pins the equality.
 */
export function splitAuditEventEncoding(
  event: Omit<AuditEventHashInput, 'seq' | 'at' | 'data'> & { dataCanonical: string },
): { beforeAt: string; beforeSeq: string; afterSeq: string } {
  return {
    beforeAt: `{"actorId":${canonicalJson(event.actorId)},"at":"`,
    beforeSeq:
      `","data":${event.dataCanonical},"id":${canonicalJson(event.id.toLowerCase())},` +
      `"requestId":${canonicalJson(event.requestId === null ? null : event.requestId.toLowerCase())},"seq":`,
    afterSeq: `,"targetId":${canonicalJson(event.targetId)},"type":${canonicalJson(event.type)}}`,
  };
}

/** `hash` of an event: SHA-256 hex over `prevHash` followed by the canonical encoding. */
export function computeAuditEventHash(prevHash: string, event: AuditEventHashInput): string {
  return hashAuditEncoding(prevHash, encodeAuditEvent(event));
}

/** SHA-256 hex of `prevHash` followed by an event's canonical encoding. */
export function hashAuditEncoding(prevHash: string, encoding: string): string {
  return createHash('sha256').update(prevHash + encoding, 'utf8').digest('hex');
}

export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };
export type AuditJsonObject = { [key: string]: AuditJson };

/**
 * Turns `value` into the JSON that will be stored and hashed, refusing what JSONB would alter or
 * reject: NUL characters and lone surrogates in strings or keys, non-finite numbers, bigint,
 * functions, class instances. `Date`s become ISO strings; object members whose value is
 * `undefined` are dropped (as JSON.stringify does); `undefined` inside arrays is refused.
 */
export function toAuditJson(value: unknown, path = 'data'): AuditJson {
  if (value === null) return null;
  if (value instanceof Date) return formatAuditTimestamp(value);
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new AuditEncodingError(`${path}: non-finite number`);
      return Object.is(value, -0) ? 0 : value;
    case 'string':
      assertStorableString(value, path);
      return value;
    case 'object': {
      if (Array.isArray(value)) {
        return value.map((item: unknown, index) => {
          if (item === undefined) throw new AuditEncodingError(`${path}.${index}: undefined in an array`);
          return toAuditJson(item, `${path}.${index}`);
        });
      }
      if (!isPlainObject(value)) throw new AuditEncodingError(`${path}: not a plain object`);
      const out: AuditJsonObject = {};
      for (const key of Object.keys(value)) {
        const member = value[key];
        if (member === undefined) continue;
        assertStorableString(key, `${path} key`);
        out[key] = toAuditJson(member, `${path}.${key}`);
      }
      return out;
    }
    default:
      throw new AuditEncodingError(`${path}: a ${typeof value} cannot be stored`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertStorableString(value: string, path: string): void {
  // PostgreSQL's jsonb cannot hold U+0000, and text must be valid UTF-8 (no lone surrogates).
  if (value.includes('\u0000')) throw new AuditEncodingError(`${path}: contains a NUL character`);
  if (LONE_SURROGATE.test(value)) throw new AuditEncodingError(`${path}: contains a lone surrogate`);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
