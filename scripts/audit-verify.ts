/**
 * `npm run audit:verify -- <export file> [manifest file] [--key <public key file>] [--json]`
 *
 * Checks an audit export (CSV or JSON Lines from `GET /api/audit/export`) offline, without the
 * portal or its code: it re-implements the export format (lib/audit/export-format.ts) and the
 * chain's canonical encoding (lib/audit/canonical.ts) from their specifications.
 *
 * - every row is exactly the bytes the exporter writes for the values it holds (so no byte of an
 *   event can change unnoticed, whitespace and letter case included; a CSV cell's formula-defusing
 *   `'` is undone to read the value and written again to compare); the name columns beside the
 *   ids are readability, in no hash: only their form is checked;
 * - every `hash` is SHA-256(prevHash ‖ canonical(event)); every `prevHash` is the previous row's
 *   `hash`; `seq` runs on without gap or swap — in a filtered export (its manifest says
 *   `filtered: true`, or `--filtered`), `seq` only rises, and a row's `prevHash` is checked
 *   against the previous row's `hash` where their seqs are consecutive (a gap is an event the
 *   filters left out; a row dropped from inside a run shows as a count short of the manifest's);
 * - with a manifest: its Ed25519 signature (with the key from `--key` — a PEM or JWK file, or the
 *   JSON of `GET /api/audit/public-key` — else the key embedded in the manifest, which proves the
 *   manifest intact but not who signed it), the format, count, first/last seq and hash, the anchor
 *   (prevHash of the first row), and the SHA-256 and length of the whole file.
 *
 * Exit 0 when everything holds; 1 naming the first bad `seq` (or the failed manifest check); 2 on
 * usage errors. Memory stays bounded: the file is read as a stream, cut at line ends into batches
 * that worker threads (one per core) frame into records, decode, check and hash, at most two
 * batches per worker in flight, while this thread hashes the file and runs the checks that need
 * the rows in order over each row's (seq, prevHash, hash). A row whose pieces are already
 * canonical text (nearly every row) is hashed from those pieces without being parsed; any other
 * row is parsed, re-encoded and compared — both ways give the same answer on every row.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export type ExportFormat = 'csv' | 'jsonl';

const GENESIS_PREV_HASH = '0'.repeat(64);
/** The names shown beside the ids (as recorded at the time): readability, in no hash, checked only for their form. */
const NAME_COLUMNS = ['actorDisplayName', 'actorUserPrincipalName', 'targetDisplayName', 'targetUserPrincipalName'] as const;
const COLUMNS = ['seq', 'id', 'at', 'type', 'actorId', 'targetId', 'requestId', ...NAME_COLUMNS, 'prevHash', 'hash', 'data'] as const;
const CSV_HEADER = `${COLUMNS.join(',')}\r\n`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---------------------------------------------------------------------------------------------
// The canonical encoding (lib/audit/canonical.ts): JSON, no whitespace, object keys sorted by
// UTF-16 code units at every depth, strings and numbers as ECMAScript JSON.stringify writes them.

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error('non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new Error(`a ${typeof value} has no JSON encoding`);
  }
}

/**
 * canonicalJson for a value read by JSON.parse. When every object's keys already come in sorted
 * order and every number is finite — as in every row the exporter writes — JSON.stringify writes
 * exactly the canonical encoding, natively; otherwise the general encoder decides (and throws
 * where it throws).
 */
function canonicalJsonOfParsed(value: unknown): string {
  return isInCanonicalOrder(value) ? JSON.stringify(value) : canonicalJson(value);
}

function isInCanonicalOrder(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(isInCanonicalOrder);
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    if (!isInCanonicalOrder((value as Record<string, unknown>)[key])) return false;
    previous = key;
  }
  return true;
}

interface ExportRow {
  seq: number;
  id: string;
  at: string;
  type: string;
  actorId: string;
  targetId: string | null;
  requestId: string | null;
  /** In NAME_COLUMNS order. */
  names: (string | null)[];
  prevHash: string;
  hash: string;
  data: Record<string, unknown>;
}

/**
 * SHA-256(prevHash ‖ canonical(event)), given `data` already in canonical JSON. The event's members
 * are written in their sorted order (actorId, at, data, id, requestId, seq, targetId, type), which
 * is exactly what canonicalJson of the event object writes.
 */
function computeHash(row: ExportRow, data: string): string {
  const str = JSON.stringify;
  const encoded =
    `{"actorId":${str(row.actorId)},"at":${str(row.at)},"data":${data},"id":${str(row.id)},"requestId":${orNull(row.requestId)},` +
    `"seq":${str(row.seq)},"targetId":${orNull(row.targetId)},"type":${str(row.type)}}`;
  return createHash('sha256').update(row.prevHash + encoded, 'utf8').digest('hex');
}

function orNull(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// The export format (lib/audit/export-format.ts).

/** The row the exporter writes for `row` (line ending included), given `data` in canonical JSON. */
function encodeRow(format: ExportFormat, row: ExportRow, data: string): string {
  const str = JSON.stringify;
  if (format === 'jsonl') {
    return (
      `{"seq":${row.seq},"id":${str(row.id)},"at":${str(row.at)},"type":${str(row.type)},"actorId":${str(row.actorId)},` +
      `"targetId":${orNull(row.targetId)},"requestId":${orNull(row.requestId)},` +
      NAME_COLUMNS.map((column, i) => `"${column}":${orNull(row.names[i] ?? null)},`).join('') +
      `"prevHash":${str(row.prevHash)},"hash":${str(row.hash)},"data":${data}}\n`
    );
  }
  const q = (v: string) => `"${defuseCsvCell(v).replaceAll('"', '""')}"`;
  const qn = (v: string | null) => (v === null ? '' : q(v));
  return (
    [String(row.seq), q(row.id), q(row.at), q(row.type), q(row.actorId), qn(row.targetId), qn(row.requestId), ...row.names.map(qn), q(row.prevHash), q(row.hash), q(data)].join(',') +
    '\r\n'
  );
}

// Defusing of CSV cells: a spreadsheet evaluates a cell that begins with `=`, `+`, `-`, `@`, TAB or
// CR, so the exporter writes such a value with one leading `'`, and a value of one or more `'`
// followed by one of them with one `'` more (so the prefix is never ambiguous). Hashes are over the
// values: a cell is restored before its row's hash is recomputed. JSON Lines is not defused.
const DEFUSED = /^'+[=+\-@\t\r]/;
const NEEDS_DEFUSING = /^'*[=+\-@\t\r]/;

/** The CSV cell text the exporter writes for `value`. */
export function defuseCsvCell(value: string): string {
  return NEEDS_DEFUSING.test(value) ? `'${value}` : value;
}

/** The value a CSV cell holds: the inverse of defuseCsvCell. */
export function restoreCsvCell(cell: string): string {
  return DEFUSED.test(cell) ? cell.slice(1) : cell;
}

class RowError extends Error {}

function toRow(fields: Record<(typeof COLUMNS)[number], unknown>): ExportRow {
  const { seq, id, at, type, actorId, targetId, requestId, prevHash, hash, data } = fields;
  const names = NAME_COLUMNS.map((column) => fields[column]);
  if (!names.every((name) => name === null || typeof name === 'string')) throw new RowError('a name is not a string or null');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw new RowError('seq is not a positive integer');
  if (typeof id !== 'string' || !UUID.test(id)) throw new RowError('id is not a lowercase UUID');
  if (typeof at !== 'string' || !ISO_MS.test(at) || !isIsoTimestamp(at)) {
    throw new RowError('at is not a UTC timestamp with milliseconds');
  }
  if (typeof type !== 'string' || typeof actorId !== 'string') throw new RowError('type or actorId is not a string');
  if (targetId !== null && typeof targetId !== 'string') throw new RowError('targetId is not a string or null');
  if (requestId !== null && (typeof requestId !== 'string' || !UUID.test(requestId))) throw new RowError('requestId is not a lowercase UUID or null');
  if (typeof prevHash !== 'string' || !HEX64.test(prevHash) || typeof hash !== 'string' || !HEX64.test(hash)) {
    throw new RowError('prevHash or hash is not 64 lowercase hex digits');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new RowError('data is not a JSON object');
  return { seq, id, at, type, actorId, targetId, requestId, names: names as (string | null)[], prevHash, hash, data: data as Record<string, unknown> };
}

/** `at` names a real instant and is exactly how toISOString writes it. */
function isIsoTimestamp(at: string): boolean {
  const date = new Date(at);
  return !Number.isNaN(date.getTime()) && date.toISOString() === at;
}

/** The JSON object of a JSON Lines row, before its members are checked. */
function parseJsonlObject(line: string): Record<(typeof COLUMNS)[number], unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RowError('not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RowError('not a JSON object');
  return value as Record<(typeof COLUMNS)[number], unknown>;
}

/**
 * The canonical JSON of a JSON Lines row's `data`, when the row is verbatim what the exporter
 * writes for the object JSON.parse read from it: its members come in the export's order, the keys
 * of `data` in canonical order (so JSON.stringify writes it canonically), and JSON.stringify of
 * the object is the line — then encodeRow would write exactly the line, and `data` is its tail.
 * Null otherwise, and encodeRow decides.
 */
function jsonlDataIfExact(line: string, value: object, row: ExportRow): string | null {
  let i = 0;
  for (const key in value) {
    if (key !== COLUMNS[i]) return null;
    i += 1;
  }
  if (i !== COLUMNS.length || !isInCanonicalOrder(row.data) || JSON.stringify(value) !== line) return null;
  // Inside a JSON string every `"` is escaped, so the first `","data":{` is the member's own.
  return line.slice(line.indexOf('","data":{') + '","data":'.length, -1);
}

/** RFC 4180 fields of one record (without its CRLF); `quoted` tells `""` from an empty (null) field. */
function splitCsvRecord(record: string): { value: string; quoted: boolean }[] {
  const fields: { value: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let from = i + 1;
      let doubled = false;
      for (;;) {
        const end = record.indexOf('"', from);
        if (end < 0) throw new RowError('unterminated quoted field');
        if (record[end + 1] === '"') {
          doubled = true;
          from = end + 2;
          continue;
        }
        const value = record.slice(i + 1, end);
        fields.push({ value: doubled ? value.replaceAll('""', '"') : value, quoted: true });
        i = end + 1;
        break;
      }
    } else {
      const end = record.indexOf(',', i);
      const value = end < 0 ? record.slice(i) : record.slice(i, end);
      if (value.includes('"')) throw new RowError('stray quote');
      fields.push({ value, quoted: false });
      i = end < 0 ? record.length : end;
    }
    if (i >= record.length) return fields;
    if (record[i] !== ',') throw new RowError('garbage after a quoted field');
    i += 1;
  }
}

function parseCsvRow(record: string): ExportRow {
  const fields = splitCsvRecord(record);
  if (fields.length !== COLUMNS.length) throw new RowError(`${fields.length} fields instead of ${COLUMNS.length}`);
  const [seq, ...rest] = fields;
  if (!seq || seq.quoted || !/^[1-9]\d*$/.test(seq.value)) throw new RowError('seq is not a positive integer');
  const text = (f: { value: string; quoted: boolean } | undefined) => (f === undefined || !f.quoted ? null : restoreCsvCell(f.value));
  const [id, at, type, actorId, targetId, requestId, actorDisplayName, actorUserPrincipalName, targetDisplayName, targetUserPrincipalName, prevHash, hash, data] = rest.map(text);
  let parsedData: unknown = null;
  if (data !== null && data !== undefined) {
    try {
      parsedData = JSON.parse(data);
    } catch {
      throw new RowError('data is not valid JSON');
    }
  }
  return toRow({
    seq: Number(seq.value),
    id,
    at,
    type,
    actorId,
    targetId,
    requestId,
    actorDisplayName,
    actorUserPrincipalName,
    targetDisplayName,
    targetUserPrincipalName,
    prevHash,
    hash,
    data: parsedData,
  });
}

// ---------------------------------------------------------------------------------------------
// The manifest (lib/audit/manifest.ts).

export interface ExportManifest {
  kind: string;
  manifestVersion: number;
  format: ExportFormat;
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
  firstHash: string | null;
  lastHash: string | null;
  anchorPrevHash: string | null;
  file: { bytes: number; sha256: string; name: string };
  /** A filtered export: its rows are runs of the chain with gaps between. */
  filtered?: true;
  signature: { alg: string; keyId: string; publicKeyJwk: Record<string, unknown>; value: string };
  [key: string]: unknown;
}

function asManifest(value: unknown): ExportManifest {
  const m = value as Partial<ExportManifest> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    m.kind !== 'tap-broker/audit-export-manifest' ||
    m.manifestVersion !== 1 ||
    (m.format !== 'csv' && m.format !== 'jsonl') ||
    typeof m.count !== 'number' ||
    (m.filtered !== undefined && m.filtered !== true) ||
    typeof m.file !== 'object' ||
    m.file === null ||
    typeof m.signature !== 'object' ||
    m.signature === null ||
    typeof m.signature.value !== 'string'
  ) {
    throw new Error('not a TAP Broker audit export manifest (version 1)');
  }
  return m as ExportManifest;
}

/** A public key from a PEM (SPKI) file, a JWK, or the JSON of `GET /api/audit/public-key`. */
export function readPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  const value = JSON.parse(trimmed) as { pem?: unknown; jwk?: unknown; kty?: unknown };
  if (typeof value.pem === 'string') return createPublicKey(value.pem);
  const jwk = (typeof value.jwk === 'object' && value.jwk !== null ? value.jwk : value) as { kty?: unknown; crv?: unknown; x?: unknown };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('the key file holds no Ed25519 public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

export function getKeyId(key: KeyObject): string {
  return `sha256:${createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// One record on its own. Whatever can be learnt of a record without the records before it —
// decoding, parsing, the exact-encoding check, its hash recomputed from the prevHash it carries —
// is found by inspectRecord, in worker threads when there are any; the checks that need the
// records in order (seq, the link to the previous hash, the anchor) stay in verifyAuditExport.

/** What one record says of itself; `line` and `claimed` serve the messages of the sequential checks. */
export type RecordOutcome =
  | { kind: 'utf8'; line: number; claimed: number | undefined }
  | { kind: 'crlf' }
  | { kind: 'header'; ok: boolean }
  | { kind: 'unreadable'; message: string; claimed: number | undefined }
  | { kind: 'altered'; seq: number }
  | { kind: 'row'; seq: number; prevHash: string; hash: string; hashOk: boolean }
  | { kind: 'error'; message: string };

/**
 * A run of whole lines cut from the file (it ends with `\n`) and the first of them starts a
 * record — in CSV as far as the cutter knows: a cut may fall inside a quoted cell that spans lines,
 * which only the records before it tell, so whoever inspects the batch assumes it does not, and
 * the ordered checks redo the batch when that was wrong (see verifyAuditExport).
 */
interface RecordBatch {
  format: ExportFormat;
  bytes: Uint8Array<ArrayBuffer>;
  /** The batch starts with the CSV header row. */
  startsWithHeader: boolean;
}

/** What the records of a batch say of themselves, and the bytes after its last complete record. */
interface BatchOutcome {
  /**
   * The records' outcomes, packed so that moving them from a worker copies a few arrays, not an
   * object per row: `kinds[i]` is ROW_OK or ROW_BAD for a row (then `seqs[i]`, and its prevHash and
   * hash are the next 128 characters of `links`), OTHER for any other outcome (the next of `others`).
   */
  kinds: Uint8Array<ArrayBuffer>;
  seqs: Float64Array<ArrayBuffer>;
  links: string;
  others: RecordOutcome[];
  /** The batch's bytes (handed back by the worker), and where the record it ends inside begins; its length when none. */
  bytes: Uint8Array<ArrayBuffer>;
  tailStart: number;
}

const OTHER = 0;
const ROW_OK = 1;
const ROW_BAD = 2;

/** Packs outcomes into a BatchOutcome. */
class OutcomePacker {
  private readonly kinds: number[] = [];
  private readonly seqs: number[] = [];
  private readonly links: string[] = [];
  private readonly others: RecordOutcome[] = [];

  get count(): number {
    return this.kinds.length;
  }

  add(outcome: RecordOutcome): void {
    if (outcome.kind === 'row') {
      this.kinds.push(outcome.hashOk ? ROW_OK : ROW_BAD);
      this.seqs.push(outcome.seq);
      this.links.push(outcome.prevHash, outcome.hash);
    } else {
      this.kinds.push(OTHER);
      this.seqs.push(0);
      this.others.push(outcome);
    }
  }

  pack(bytes: Uint8Array<ArrayBuffer>, tailStart: number): BatchOutcome {
    return { kinds: new Uint8Array(this.kinds), seqs: new Float64Array(this.seqs), links: this.links.join(''), others: this.others, bytes, tailStart };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A record's text, or where it is not UTF-8: the first such line. Lines are cut on the byte 0x0A
 * (it never occurs inside a multi-byte UTF-8 sequence), so invalid UTF-8 is charged to the row
 * that holds it, and a record is valid exactly when each of its lines is.
 */
function decodeRecord(bytes: Uint8Array): string | { line: number; claimed: number | undefined } {
  try {
    return utf8.decode(bytes);
  } catch {
    for (let line = 0, start = 0; ; line += 1) {
      const nl = bytes.indexOf(10, start);
      const piece = bytes.subarray(start, nl < 0 ? bytes.length : nl);
      try {
        utf8.decode(piece);
      } catch {
        return { line, claimed: claimedSeq(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('latin1')) };
      }
      start = nl + 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The fast path. A row the exporter wrote holds the canonical encoding of its event in pieces: in
// JSON Lines every value's JSON text as is, in CSV the same text quoted. When each piece is text
// that JSON.stringify (or canonicalJson, for `data`) writes verbatim — strings without `\`,
// control characters or (in CSV) `"` and defusing, numbers in their shortest form, keys in order,
// no whitespace — the row is exactly encodeRow of the values it holds, and the event's canonical
// encoding is those pieces put together, so it is hashed without parsing or re-encoding. The
// fast path only vouches (`null` when unsure); anything else goes the exact way (inspectRecord's
// parse, re-encode and compare), so both agree on every row (audit-verify-fast.test.ts).

/** The strings scanned by the last canonicalEnd call (a CSV cell's doubled `"` are counted by it). */
let stringsScanned = 0;

/**
 * Rows holding a `\` or a control character are left to the exact path: escapes may be canonical,
 * but deciding it is its job. Without them (and text decoded from UTF-8 holds no lone surrogate,
 * the one other character JSON.stringify escapes), the text between two `"` is a string's own.
 */
const ESCAPED_OR_CONTROL = /[\\\x00-\x1f]/;

/** The end of the `"`-string at `from` in text without ESCAPED_OR_CONTROL; JSON.stringify writes its value as exactly that text. */
function plainStringEnd(s: string, from: number): number {
  if (s.charCodeAt(from) !== 0x22) return -1;
  stringsScanned += 1;
  const end = s.indexOf('"', from + 1);
  return end < 0 ? -1 : end + 1;
}

const MAX_FAST_DEPTH = 64;

/** The end of the JSON value at `from`, when it is its own canonical encoding; else -1. */
function canonicalEnd(s: string, from: number, depth: number): number {
  const c = s.charCodeAt(from);
  if (c === 0x22) return plainStringEnd(s, from);
  if (c === 0x7b || c === 0x5b) {
    if (depth >= MAX_FAST_DEPTH) return -1;
    const close = c === 0x7b ? 0x7d : 0x5d;
    let i = from + 1;
    if (s.charCodeAt(i) === close) return i + 1;
    let previousKey = -1;
    for (;;) {
      if (c === 0x7b) {
        const keyEnd = plainStringEnd(s, i);
        if (keyEnd < 0 || s.charCodeAt(keyEnd) !== 0x3a) return -1;
        // Strictly increasing by UTF-16 code units: sorted, and no key twice.
        if (previousKey >= 0 && !isBefore(s, previousKey, i, keyEnd)) return -1;
        previousKey = i;
        i = keyEnd + 1;
      }
      i = canonicalEnd(s, i, depth + 1);
      if (i < 0) return -1;
      const next = s.charCodeAt(i);
      if (next === close) return i + 1;
      if (next !== 0x2c) return -1;
      i += 1;
    }
  }
  if (c === 0x74) return s.startsWith('true', from) ? from + 4 : -1;
  if (c === 0x66) return s.startsWith('false', from) ? from + 5 : -1;
  if (c === 0x6e) return s.startsWith('null', from) ? from + 4 : -1;
  return canonicalNumberEnd(s, from);
}

/** The string at `a` (a `"`) sorts strictly before the one at `b` ending before `bEnd`, by UTF-16 code units. */
function isBefore(s: string, a: number, b: number, bEnd: number): boolean {
  for (let i = 1; ; i += 1) {
    const x = s.charCodeAt(a + i);
    const y = b + i < bEnd - 1 ? s.charCodeAt(b + i) : 0x22;
    // A closing `"` ends a key: the shorter of two keys sharing a prefix comes first.
    if (x === 0x22 || y === 0x22) return x === 0x22 && y !== 0x22;
    if (x !== y) return x < y;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function canonicalNumberEnd(s: string, from: number): number {
  let i = from;
  if (s.charCodeAt(i) === 0x2d) i += 1;
  if (s.charCodeAt(i) === 0x30) i += 1;
  else if (isDigit(s.charCodeAt(i))) while (isDigit(s.charCodeAt(i))) i += 1;
  else return -1;
  let integer = true;
  if (s.charCodeAt(i) === 0x2e) {
    integer = false;
    i += 1;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(i))) i += 1;
  }
  const e = s.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    integer = false;
    i += 1;
    const sign = s.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i += 1;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(i))) i += 1;
  }
  const text = s.slice(from, i);
  // Up to 15 characters an integer is exact and written as is, except -0 (written 0).
  if (integer && i - from <= 15 && text !== '-0') return i;
  return String(Number(text)) === text ? i : -1;
}

function isHexAt(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function isUuidAt(s: string, at: number): boolean {
  return (
    isHexAt(s, at, at + 8) &&
    s.charCodeAt(at + 8) === 0x2d &&
    isHexAt(s, at + 9, at + 13) &&
    s.charCodeAt(at + 13) === 0x2d &&
    isHexAt(s, at + 14, at + 18) &&
    s.charCodeAt(at + 18) === 0x2d &&
    isHexAt(s, at + 19, at + 23) &&
    s.charCodeAt(at + 23) === 0x2d &&
    isHexAt(s, at + 24, at + 36)
  );
}

/** The last day a timestamp was checked in full for: rows of a trail share days. */
let lastValidDay = '';

function isTimestampAt(s: string, at: number): boolean {
  const text = s.slice(at, at + 24);
  if (!ISO_MS.test(text)) return false;
  const two = (i: number) => (s.charCodeAt(at + i) - 0x30) * 10 + s.charCodeAt(at + i + 1) - 0x30;
  if (text.startsWith(lastValidDay) && lastValidDay !== '') return two(11) < 24 && two(14) < 60 && two(17) < 60;
  if (!isIsoTimestamp(text)) return false;
  lastValidDay = text.slice(0, 10);
  return true;
}

/** Pieces of a row: the canonical encoding of its event is put together from them. */
interface RowPieces {
  seq: string;
  id: string;
  at: string;
  type: string;
  actorId: string;
  targetId: string;
  requestId: string;
  prevHash: string;
  hash: string;
  data: string;
}

/**
 * The row of `p` when its hash is right. `hash` itself is not read first: a digest equal to it is
 * 64 lowercase hex digits; any other row (a wrong hash, or no hash at all) is the exact path's.
 */
function hashPieces(p: RowPieces): RecordOutcome | null {
  const seq = Number(p.seq);
  if (!Number.isSafeInteger(seq)) return null;
  const encoded =
    `${p.prevHash}{"actorId":${p.actorId},"at":"${p.at}","data":${p.data},"id":"${p.id}","requestId":${p.requestId},` +
    `"seq":${p.seq},"targetId":${p.targetId},"type":${p.type}}`;
  if (createHash('sha256').update(encoded, 'utf8').digest('hex') !== p.hash) return null;
  return { kind: 'row', seq, prevHash: p.prevHash, hash: p.hash, hashOk: true };
}

/** Reads the JSON Lines row `s` (its `\n` cut off) when every piece is canonical text; else null. */
function fastJsonlRow(s: string): RecordOutcome | null {
  if (!s.startsWith('{"seq":')) return null;
  let i = 7;
  if (s.charCodeAt(i) === 0x30) return null;
  while (isDigit(s.charCodeAt(i))) i += 1;
  const seq = s.slice(7, i);
  if (seq === '' || !s.startsWith(',"id":"', i)) return null;
  const id = i + 7;
  if (!isUuidAt(s, id) || !s.startsWith('","at":"', id + 36)) return null;
  const at = id + 44;
  if (!isTimestampAt(s, at) || !s.startsWith('","type":', at + 24)) return null;
  const type = at + 33;
  const typeEnd = plainStringEnd(s, type);
  if (typeEnd < 0 || !s.startsWith(',"actorId":', typeEnd)) return null;
  const actorId = typeEnd + 11;
  const actorIdEnd = plainStringEnd(s, actorId);
  if (actorIdEnd < 0 || !s.startsWith(',"targetId":', actorIdEnd)) return null;
  const targetId = actorIdEnd + 12;
  const targetIdEnd = s.startsWith('null', targetId) ? targetId + 4 : plainStringEnd(s, targetId);
  if (targetIdEnd < 0 || !s.startsWith(',"requestId":', targetIdEnd)) return null;
  const requestId = targetIdEnd + 13;
  let requestIdEnd = -1;
  if (s.startsWith('null', requestId)) requestIdEnd = requestId + 4;
  else if (s.charCodeAt(requestId) === 0x22 && isUuidAt(s, requestId + 1) && s.charCodeAt(requestId + 37) === 0x22) requestIdEnd = requestId + 38;
  if (requestIdEnd < 0) return null;
  // The names: each null or a plain string; not hashed, so only their form matters.
  let namesEnd = requestIdEnd;
  for (const column of NAME_COLUMNS) {
    const key = `,"${column}":`;
    if (!s.startsWith(key, namesEnd)) return null;
    const value = namesEnd + key.length;
    namesEnd = s.startsWith('null', value) ? value + 4 : plainStringEnd(s, value);
    if (namesEnd < 0) return null;
  }
  if (!s.startsWith(',"prevHash":"', namesEnd)) return null;
  const prevHash = namesEnd + 13;
  if (!isHexAt(s, prevHash, prevHash + 64) || !s.startsWith('","hash":"', prevHash + 64)) return null;
  const hash = prevHash + 74;
  if (!s.startsWith('","data":{', hash + 64)) return null;
  const data = hash + 73;
  if (canonicalEnd(s, data, 0) !== s.length - 1 || s.charCodeAt(s.length - 1) !== 0x7d) return null;
  return hashPieces({
    seq,
    id: s.slice(id, id + 36),
    at: s.slice(at, at + 24),
    type: s.slice(type, typeEnd),
    actorId: s.slice(actorId, actorIdEnd),
    targetId: s.slice(targetId, targetIdEnd),
    requestId: s.slice(requestId, requestIdEnd),
    prevHash: s.slice(prevHash, prevHash + 64),
    hash: s.slice(hash, hash + 64),
    data: s.slice(data, s.length - 1),
  });
}

/**
 * The end of the quoted CSV cell at `from` whose value is its own text, neither defused nor
 * holding `"` (then its JSON is the cell as is), when the cell is followed by `,`; else -1.
 */
function plainCsvCellEnd(s: string, from: number): number {
  const end = plainStringEnd(s, from);
  if (end < 0 || s.charCodeAt(end) !== 0x2c) return -1;
  const first = s.charCodeAt(from + 1);
  // `'` = + - @ (TAB and CR are control characters, refused already).
  if (first === 0x27 || first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40) return -1;
  return end;
}

/** Reads the CSV record `s` (its CRLF cut off) when every piece is canonical text; else null. */
function fastCsvRow(s: string): RecordOutcome | null {
  let i = 0;
  if (s.charCodeAt(0) === 0x30) return null;
  while (isDigit(s.charCodeAt(i))) i += 1;
  const seq = s.slice(0, i);
  if (seq === '' || !s.startsWith(',"', i)) return null;
  const id = i + 2;
  if (!isUuidAt(s, id) || !s.startsWith('","', id + 36)) return null;
  const at = id + 39;
  if (!isTimestampAt(s, at) || !s.startsWith('",', at + 24)) return null;
  const type = at + 26;
  const typeEnd = plainCsvCellEnd(s, type);
  if (typeEnd < 0) return null;
  const actorId = typeEnd + 1;
  const actorIdEnd = plainCsvCellEnd(s, actorId);
  if (actorIdEnd < 0) return null;
  const targetId = actorIdEnd + 1;
  const targetIdEnd = s.charCodeAt(targetId) === 0x2c ? targetId : plainCsvCellEnd(s, targetId);
  if (targetIdEnd < 0) return null;
  const requestId = targetIdEnd + 1;
  let requestIdEnd = -1;
  if (s.charCodeAt(requestId) === 0x2c) requestIdEnd = requestId;
  else if (s.charCodeAt(requestId) === 0x22 && isUuidAt(s, requestId + 1) && s.startsWith('",', requestId + 37)) requestIdEnd = requestId + 38;
  if (requestIdEnd < 0) return null;
  // The names: each an empty (null) cell or a plain quoted one; not hashed, so only their form matters.
  let namesEnd = requestIdEnd;
  for (let n = 0; n < NAME_COLUMNS.length; n += 1) {
    const cell = namesEnd + 1;
    namesEnd = s.charCodeAt(cell) === 0x2c ? cell : plainCsvCellEnd(s, cell);
    if (namesEnd < 0) return null;
  }
  if (s.charCodeAt(namesEnd + 1) !== 0x22) return null;
  const prevHash = namesEnd + 2;
  if (!isHexAt(s, prevHash, prevHash + 64) || !s.startsWith('","', prevHash + 64)) return null;
  const hash = prevHash + 67;
  if (!s.startsWith('","{', hash + 64) || s.charCodeAt(s.length - 1) !== 0x22) return null;
  // The data cell: canonical JSON with every `"` doubled and nothing else quoted; the JSON read
  // back has exactly one `"` per pair when the cell shrank by one character per `"` it holds.
  const cell = s.slice(hash + 67, s.length - 1);
  const data = cell.replaceAll('""', '"');
  stringsScanned = 0;
  if (canonicalEnd(data, 0, 0) !== data.length || cell.length - data.length !== 2 * stringsScanned) return null;
  return hashPieces({
    seq,
    id: s.slice(id, id + 36),
    at: s.slice(at, at + 24),
    type: s.slice(type, typeEnd),
    actorId: s.slice(actorId, actorIdEnd),
    targetId: targetIdEnd === targetId ? 'null' : s.slice(targetId, targetIdEnd),
    requestId: requestIdEnd === requestId ? 'null' : s.slice(requestId, requestIdEnd),
    prevHash: s.slice(prevHash, prevHash + 64),
    hash: s.slice(hash, hash + 64),
    data,
  });
}

/** What the record `text` (its `\n` cut off) says of itself: by the fast path where it vouches, else exactly. */
export function inspectRecord(format: ExportFormat, text: string, isHeader: boolean, knownClean = false): RecordOutcome {
  let raw = text;
  let terminator = '\n';
  if (format === 'csv') {
    if (!text.endsWith('\r')) return { kind: 'crlf' };
    if (isHeader) return { kind: 'header', ok: `${text}\n` === CSV_HEADER };
    raw = text.slice(0, -1);
    terminator = '\r\n';
  }
  return fastRow(format, raw, knownClean) ?? inspectRecordExactly(format, raw, terminator);
}

/**
 * The outcome of the row `raw` (its line ending cut off) when the fast path vouches for it; else
 * null. `knownClean`: the caller has made sure `raw` holds nothing ESCAPED_OR_CONTROL matches.
 */
export function fastRow(format: ExportFormat, raw: string, knownClean = false): RecordOutcome | null {
  if (!knownClean && ESCAPED_OR_CONTROL.test(raw)) return null;
  return format === 'jsonl' ? fastJsonlRow(raw) : fastCsvRow(raw);
}

/** inspectRecord for a row (`raw`, without its line ending `terminator`) the fast path does not vouch for: parsed, re-encoded and compared. */
export function inspectRecordExactly(format: ExportFormat, raw: string, terminator: string): RecordOutcome {
  let row: ExportRow;
  let jsonl: Record<(typeof COLUMNS)[number], unknown> | null = null;
  try {
    if (format === 'jsonl') {
      jsonl = parseJsonlObject(raw);
      row = toRow(jsonl);
    } else {
      row = parseCsvRow(raw);
    }
  } catch (error) {
    return { kind: 'unreadable', message: error instanceof Error ? error.message : String(error), claimed: claimedSeq(raw) };
  }
  try {
    const exact = jsonl === null ? null : jsonlDataIfExact(raw, jsonl, row);
    const data = exact ?? canonicalJsonOfParsed(row.data);
    if (exact === null && encodeRow(format, row, data) !== raw + terminator) return { kind: 'altered', seq: row.seq };
    return { kind: 'row', seq: row.seq, prevHash: row.prevHash, hash: row.hash, hashOk: computeHash(row, data) === row.hash };
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The `\n` that ends the CSV record starting at `from`, or -1 when `bytes` end inside it: the
 * first one outside quotes, that is where the count of `"` since `from` is even (every complete
 * record holds an even count, so the parity carries over from record to record).
 */
function csvRecordEnd(bytes: Uint8Array, from: number): number {
  let inQuotes = false;
  for (let i = from; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (byte === 0x22) inQuotes = !inQuotes;
    else if (byte === 0x0a && !inQuotes) return i;
  }
  return -1;
}

/**
 * The records of a batch that starts with one, inspected in turn, and where the record the batch
 * ends inside (if any) begins. A CSV line the fast path reads as a whole row is a record (its `"`
 * are paired, so the count is even at its end); other records are cut by counting quotes.
 */
function inspectBatch(batch: RecordBatch): BatchOutcome {
  const { format } = batch;
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  // Valid UTF-8 throughout (the usual case) is decoded without a check per record; ASCII (most
  // exports) in one piece, its byte offsets being its character offsets.
  const valid = isUtf8(bytes);
  const ascii = valid && isAscii(bytes) ? bytes.toString('latin1') : null;
  // One look at the whole batch spares one per row: no `\`, and no control character but the
  // line ends (CRLF in CSV; a CSV record spanning lines is never read as one line, so is looked at itself).
  const clean = ascii !== null && !(format === 'jsonl' ? /[\\\x00-\x09\x0b-\x1f]/ : /[\\\x00-\x09\x0b\x0c\x0e-\x1f]|\r(?!\n)/).test(ascii);
  const decode = (from: number, to: number) => (ascii === null ? (valid ? bytes.toString('utf8', from, to) : decodeRecord(bytes.subarray(from, to))) : ascii.slice(from, to));
  const outcomes = new OutcomePacker();
  let start = 0;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
    const isHeader = outcomes.count === 0 && batch.startsWithHeader;
    let end = nl;
    if (format === 'csv' && !isHeader) {
      const line = decode(start, nl);
      const fast = typeof line === 'string' && line.endsWith('\r') ? fastRow(format, line.slice(0, -1), clean) : null;
      if (fast !== null) {
        outcomes.add(fast);
        start = nl + 1;
        continue;
      }
      end = csvRecordEnd(bytes, start);
      if (end < 0) break;
    }
    const text = decode(start, end);
    outcomes.add(typeof text === 'string' ? inspectRecord(format, text, isHeader, clean && format === 'jsonl') : { kind: 'utf8', ...text });
    start = end + 1;
  }
  return outcomes.pack(batch.bytes, start);
}

const INSPECTOR_ROLE = 'tap-broker/audit-verify-inspector';

/**
 * Worker threads running inspectBatch, fed in turn. The worker is this very file (so the verifier
 * stays one file and needs nothing but Node and `tsx`, as `npm run audit:verify` runs it). Loading
 * it takes a worker a few hundred milliseconds; until one says it is ready, the caller inspects
 * batches itself.
 */
class InspectorPool {
  private readonly workers: Worker[] = [];
  private readonly ready: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (outcome: BatchOutcome) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(count: number) {
    // Node 20 does not apply `--import tsx`'s hooks to a worker's entry; tsx's CommonJS hook does load it.
    const execArgv = ['--require', createRequire(__filename).resolve('tsx/cjs')];
    for (let i = 0; i < count; i += 1) {
      // A worker holds two batches and their rows at a time; without limits V8 lets each thread's
      // garbage pile up to a heap as large as the main thread's. A row of tens of MB would exceed it.
      // The young generation is the garbage of a few batches' rows: smaller, and scavenges cost more than the rows.
      const resourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 32 };
      const worker = new Worker(__filename, { workerData: { role: INSPECTOR_ROLE }, execArgv, resourceLimits });
      worker.on('message', ({ id, outcome }: { id: number | 'ready'; outcome: BatchOutcome }) => {
        if (id === 'ready') {
          this.ready.push(worker);
          return;
        }
        this.pending.get(id)?.resolve(outcome);
        this.pending.delete(id);
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', (code) => this.failAll(new Error(`an audit:verify worker exited with ${code}`)));
      this.workers.push(worker);
    }
  }

  get isReady(): boolean {
    return this.ready.length > 0;
  }

  inspect(batch: RecordBatch): Promise<BatchOutcome> {
    const id = this.nextId;
    this.nextId += 1;
    const worker = this.ready[id % this.ready.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker?.postMessage({ id, batch }, [batch.bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private failAll(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

function serveInspections(): void {
  parentPort?.on('message', ({ id, batch }: { id: number; batch: RecordBatch }) => {
    const outcome = inspectBatch(batch);
    // The bytes go back (moved, not copied): the ordered checks need them when a cut fell inside a record.
    parentPort?.postMessage({ id, outcome }, [outcome.bytes.buffer]);
  });
  parentPort?.postMessage({ id: 'ready' });
}

/**
 * Cuts a byte stream into batches of whole lines, at the last `\n` once a batch holds
 * `batchBytes`. Where records end is left to whoever inspects the batch (recordEnds).
 */
class BatchCutter {
  private parts: Uint8Array[] = [];
  private length = 0;
  private headerPending: boolean;
  /** Buffers of batches already checked, to be filled again (new memory costs more than the copy). */
  private readonly free: ArrayBuffer[] = [];

  constructor(
    readonly format: ExportFormat,
    private readonly batchBytes: number,
  ) {
    this.headerPending = format === 'csv';
  }

  /** Takes the next piece of the file (kept until cut off, not copied); returns the batch now full, if one is. */
  push(chunk: Uint8Array): RecordBatch | null {
    this.parts.push(chunk);
    this.length += chunk.byteLength;
    if (this.length < this.batchBytes) return null;
    const nl = chunk.lastIndexOf(10);
    return nl < 0 ? null : this.take(this.length - chunk.byteLength + nl + 1);
  }

  /** The batch of the lines that are left, if any. */
  flush(): RecordBatch | null {
    for (let i = this.parts.length - 1, before = this.length; i >= 0; i -= 1) {
      const part = this.parts[i] ?? new Uint8Array(0);
      before -= part.byteLength;
      const nl = part.lastIndexOf(10);
      if (nl >= 0) return this.take(before + nl + 1);
    }
    return null;
  }

  /** Hands back the buffer of a batch whose outcome is checked. */
  recycle(buffer: ArrayBuffer): void {
    if (this.free.length < 8) this.free.push(buffer);
  }

  /** The bytes after the last `\n`. */
  get rest(): Uint8Array {
    return concatBytes(this.parts);
  }

  private take(length: number): RecordBatch {
    // Its own ArrayBuffer (never Node's shared pool, nor the caller's), so it can be moved to a worker.
    const reusable = this.free.findIndex((buffer) => buffer.byteLength >= length);
    const buffer = reusable < 0 ? new ArrayBuffer(Math.max(length, 2 * this.batchBytes)) : this.free.splice(reusable, 1)[0];
    const bytes = new Uint8Array(buffer ?? new ArrayBuffer(length), 0, length);
    let offset = 0;
    while (offset < length) {
      const part = this.parts.shift() ?? new Uint8Array(0);
      const used = Math.min(part.byteLength, length - offset);
      bytes.set(used === part.byteLength ? part : part.subarray(0, used), offset);
      offset += used;
      if (used < part.byteLength) this.parts.unshift(part.subarray(used));
    }
    this.length -= length;
    const batch: RecordBatch = { format: this.format, bytes, startsWithHeader: this.headerPending };
    this.headerPending = false;
    return batch;
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------

export interface VerifyExportOptions {
  format?: ExportFormat;
  manifest?: unknown;
  /** The pinned public key; without it the manifest's own key is used (integrity, not origin). */
  publicKey?: KeyObject;
  /** Worker threads that parse and hash the records; 0 (the default) does it in this thread. The CLI uses one per core. */
  workers?: number;
  /** Records are handed out in batches of about this many bytes (default 1 MiB). */
  chunkBytes?: number;
  /** The export is filtered (gaps between runs allowed); a manifest's `filtered` says so too. */
  filtered?: boolean;
}

export interface VerifyExportResult {
  ok: boolean;
  format: ExportFormat | null;
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  sha256: string;
  bytes: number;
  /** The first seq at which the export does not hold (a missing, moved, altered or unreadable event). */
  firstBadSeq?: number;
  /** What failed, for people. */
  problem?: string;
  manifestChecked: boolean;
  keyId?: string;
  keySource?: 'pinned' | 'manifest';
}

/**
 * Verifies an export given as a stream of bytes; see the file comment. Pure apart from reading
 * `chunks`: the CLI and the tests share it.
 */
export async function verifyAuditExport(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: VerifyExportOptions = {}): Promise<VerifyExportResult> {
  const manifest = options.manifest === undefined ? undefined : asManifest(options.manifest);
  const fileHash = createHash('sha256');
  let format: ExportFormat | null = options.format ?? manifest?.format ?? null;
  const formatGiven = format !== null;
  let bytes = 0;
  let headerSeen = false;
  let records = 0;
  let count = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let lastHash: string | null = null;
  let firstHash: string | null = null;
  let expectedSeq: number | null = manifest?.firstSeq ?? null;
  const filtered = options.filtered === true || manifest?.filtered === true;
  let failure: { seq?: number; problem: string } | undefined;

  const fail = (problem: string, seq = expectedSeq ?? undefined) => {
    failure ??= seq === undefined ? { problem } : { seq, problem };
  };

  // The checks that need the records in order, on what each record says of itself.
  const check = (outcome: RecordOutcome) => {
    if (failure) return;
    const first = records === 0;
    records += 1;
    switch (outcome.kind) {
      case 'utf8':
        // The format is read off the first line; when that line cannot be read, it is not known.
        if (first && outcome.line === 0 && !formatGiven) format = null;
        fail(`invalid UTF-8 in the row after seq ${lastSeq ?? '(start)'}`, expectedSeq ?? outcome.claimed);
        return;
      case 'crlf':
        fail('a CSV row does not end with CRLF');
        return;
      case 'header':
        headerSeen = true;
        if (!outcome.ok) fail('the CSV header row is not the export header', undefined);
        return;
      case 'unreadable':
        fail(`unreadable row after seq ${lastSeq ?? '(start)'}: ${outcome.message}`, expectedSeq ?? outcome.claimed);
        return;
      case 'altered':
        fail(`seq ${outcome.seq}: the row is not in the export's exact encoding (altered bytes)`, expectedSeq ?? outcome.seq);
        return;
      case 'error':
        throw new Error(outcome.message);
      case 'row':
        checkRow(outcome.seq, outcome.prevHash, outcome.hash, outcome.hashOk);
        return;
    }
  };
  const checkRow = (seq: number, prevHash: string, hash: string, hashOk: boolean) => {
    // Filtered, a later seq than the next one is a gap the filters made, and nothing links across it.
    const gap = filtered && count > 0 && expectedSeq !== null && seq > expectedSeq;
    if (expectedSeq !== null && seq !== expectedSeq && !gap) {
      fail(`seq ${expectedSeq} expected, found seq ${seq} (an event is missing or out of order)`);
      return;
    }
    if (gap) {
      // Linked to nothing exported; its own hash is still checked below.
    } else if (count === 0) {
      const anchor = manifest ? manifest.anchorPrevHash : seq === 1 ? GENESIS_PREV_HASH : prevHash;
      if (prevHash !== anchor) {
        fail(`seq ${seq}: prevHash is not the anchor ${anchor ?? '(none)'}`, seq);
        return;
      }
    } else if (prevHash !== lastHash) {
      fail(`seq ${seq}: prevHash is not the hash of seq ${lastSeq}`, seq);
      return;
    }
    if (!hashOk) {
      fail(`seq ${seq}: hash does not match the event's content`, seq);
      return;
    }
    count += 1;
    firstSeq ??= seq;
    firstHash ??= hash;
    lastSeq = seq;
    lastHash = hash;
    expectedSeq = seq + 1;
  };

  const workers = options.workers ?? 0;
  const pool = workers > 0 ? new InspectorPool(workers) : null;
  // Back-pressure: at most two batches per worker are read ahead of the ordered checks.
  const inFlight: Promise<BatchOutcome>[] = [];
  let cutter: BatchCutter | null = null;
  const limit = Math.max(1, 2 * workers);
  // The start of a record that the previous batch ends inside: the batch after it was inspected as
  // if it began a record, which it does not, so it is inspected again here, joined to that start.
  let pendingTail: Uint8Array | null = null;
  const take = (inspected: BatchOutcome, batchFormat: ExportFormat) => {
    let outcome = inspected;
    if (pendingTail !== null) outcome = inspectBatch({ format: batchFormat, bytes: concatBytes([pendingTail, inspected.bytes]), startsWithHeader: false });
    pendingTail = outcome.tailStart < outcome.bytes.byteLength ? outcome.bytes.slice(outcome.tailStart) : null;
    cutter?.recycle(inspected.bytes.buffer);
    const { kinds, seqs, links, others } = outcome;
    for (let i = 0, row = 0, other = 0; i < kinds.length && !failure; i += 1) {
      if (kinds[i] === OTHER) {
        const next = others[other];
        other += 1;
        if (next) check(next);
      } else {
        records += 1;
        checkRow(seqs[i] ?? 0, links.slice(row * 128, row * 128 + 64), links.slice(row * 128 + 64, row * 128 + 128), kinds[i] === ROW_OK);
        row += 1;
      }
    }
  };
  const submit = async (batch: RecordBatch) => {
    const outcome = pool?.isReady ? pool.inspect(batch) : Promise.resolve(inspectBatch(batch));
    // A dead worker fails every batch it holds; the first one awaited reports it, the others must not go unhandled.
    outcome.catch(() => undefined);
    inFlight.push(outcome);
    while (inFlight.length >= limit || (inFlight.length > 0 && !pool)) {
      const next = inFlight.shift();
      if (next) take(await next, batch.format);
    }
  };
  const drain = async (batchFormat: ExportFormat) => {
    for (let next = inFlight.shift(); next; next = inFlight.shift()) take(await next, batchFormat);
  };

  try {
    for await (const chunk of chunks) {
      const bytesOfChunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      fileHash.update(bytesOfChunk);
      bytes += bytesOfChunk.byteLength;
      if (failure || bytesOfChunk.byteLength === 0) continue;
      // Without an option or a manifest saying it, a file whose first line is a JSON object is JSON Lines.
      format ??= bytesOfChunk[0] === 0x7b ? 'jsonl' : 'csv';
      cutter ??= new BatchCutter(format, options.chunkBytes ?? 1 << 20);
      const batch = cutter.push(bytesOfChunk);
      if (batch) await submit(batch);
    }
    const last = cutter?.flush();
    if (last && !failure) await submit(last);
    if (cutter) await drain(cutter.format);
  } finally {
    await pool?.close();
  }
  const rest = cutter === null ? null : concatBytes([...(pendingTail === null ? [] : [pendingTail]), cutter.rest]);
  if (!failure && rest !== null && rest.byteLength > 0) {
    // A cut-off CSV record may hold whole lines already: one that is not UTF-8 is named first.
    const lastLineEnd = rest.lastIndexOf(10);
    const decoded = lastLineEnd < 0 ? '' : decodeRecord(rest.subarray(0, lastLineEnd));
    if (typeof decoded !== 'string') check({ kind: 'utf8', ...decoded });
    fail('the file does not end with a complete row');
  }
  if (!failure && format === 'csv' && !headerSeen) fail('the CSV header row is missing', undefined);

  const sha256 = fileHash.digest('hex');
  const result: VerifyExportResult = { ok: false, format, count, firstSeq, lastSeq, lastHash, sha256, bytes, manifestChecked: false };

  if (!failure && manifest) {
    result.manifestChecked = true;
    const publicKey = options.publicKey ?? manifestKey(manifest);
    result.keyId = getKeyId(publicKey);
    result.keySource = options.publicKey ? 'pinned' : 'manifest';
    const { signature, ...body } = manifest;
    const signatureOk = verify(null, Buffer.from(canonicalJson(body), 'utf8'), publicKey, Buffer.from(signature.value, 'base64url'));
    if (!signatureOk) {
      failure = { problem: `the manifest's signature does not verify with key ${result.keyId} (manifest says ${signature.keyId})` };
    } else if (manifest.format !== format) {
      failure = { problem: `the manifest is for a ${manifest.format} export, the file is ${format ?? 'empty'}` };
    } else if (count !== manifest.count || lastSeq !== manifest.lastSeq || firstSeq !== manifest.firstSeq) {
      const missing = lastSeq === null ? manifest.firstSeq : lastSeq + 1;
      failure = {
        ...(missing === null ? {} : { seq: missing }),
        problem: `the export holds ${count} events (seq ${firstSeq ?? '-'}..${lastSeq ?? '-'}), the manifest ${manifest.count} (seq ${manifest.firstSeq ?? '-'}..${manifest.lastSeq ?? '-'})`,
      };
    } else if (firstHash !== manifest.firstHash || lastHash !== manifest.lastHash) {
      failure = { problem: 'the first or last hash differs from the manifest' };
    } else if (sha256 !== manifest.file.sha256 || bytes !== manifest.file.bytes) {
      failure = { problem: `the file's SHA-256 ${sha256} (${bytes} bytes) differs from the manifest's ${manifest.file.sha256} (${manifest.file.bytes} bytes)` };
    }
  }
  if (failure) {
    result.problem = failure.problem;
    if (failure.seq !== undefined) result.firstBadSeq = failure.seq;
  } else {
    result.ok = true;
  }
  return result;
}

/** Without a manifest the first row's seq is known only from the row itself, if it can be read there. */
function claimedSeq(raw: string): number | undefined {
  const match = /^\{"seq":([1-9]\d{0,15})[,}]|^([1-9]\d{0,15}),/.exec(raw);
  const value = Number(match?.[1] ?? match?.[2] ?? Number.NaN);
  return Number.isSafeInteger(value) ? value : undefined;
}

function manifestKey(manifest: ExportManifest): KeyObject {
  const jwk = manifest.signature.publicKeyJwk as { x?: unknown };
  if (typeof jwk.x !== 'string') throw new Error('the manifest carries no public key; pass --key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  let keyFile: string | undefined;
  let asJson = false;
  let filtered = false;
  let format: ExportFormat | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--key') keyFile = argv[++i];
    else if (arg.startsWith('--key=')) keyFile = arg.slice(6);
    else if (arg === '--json') asJson = true;
    else if (arg === '--filtered') filtered = true;
    else if (arg === '--format=csv' || arg === '--format=jsonl') format = arg.slice(9) as ExportFormat;
    else if (arg.startsWith('-')) return usage(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const [exportFile, manifestFile] = positional;
  if (exportFile === undefined || positional.length > 2 || (argv.includes('--key') && keyFile === undefined)) return usage();
  if (format === undefined && exportFile.endsWith('.csv')) format = 'csv';
  if (format === undefined && exportFile.endsWith('.jsonl')) format = 'jsonl';

  const started = performance.now();
  const manifest: unknown = manifestFile === undefined ? undefined : JSON.parse(readFileSync(manifestFile, 'utf8'));
  const publicKey = keyFile === undefined ? undefined : readPublicKey(readFileSync(keyFile, 'utf8'));
  const result = await verifyAuditExport(createReadStream(exportFile, { highWaterMark: 1 << 20 }), {
    ...(format ? { format } : {}),
    ...(manifest === undefined ? {} : { manifest }),
    ...(publicKey ? { publicKey } : {}),
    ...(filtered ? { filtered } : {}),
    workers: os.availableParallelism(),
  });
  const seconds = (performance.now() - started) / 1000;
  if (asJson) {
    console.log(JSON.stringify(result));
  } else if (result.ok) {
    console.log(`OK ${path.basename(exportFile)}: ${result.count} events, seq ${result.firstSeq ?? '-'}..${result.lastSeq ?? '-'}, last hash ${result.lastHash ?? '-'}`);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(`   sha256 ${result.sha256} (${result.bytes} bytes)`);
    console.log(`   ${Math.round(result.count / Math.max(seconds, 1e-3))} rows/s, ${seconds.toFixed(1)} s, peak RSS ${peakRssMb} MB`);
    if (filtered || (result.manifestChecked && (manifest as { filtered?: unknown }).filtered === true)) {
      console.log('   filtered export: each row\'s hash and the links between consecutive seqs hold; the events the filters left out are not in the file');
    }
    if (!result.manifestChecked) {
      console.log('   no manifest: the chain holds, but completeness (nothing cut off at either end) is not proven');
    } else if (result.keySource === 'manifest') {
      console.log(`   manifest signature valid with the key it carries (${result.keyId}); pin the portal's key with --key to prove who signed it`);
    } else {
      console.log(`   manifest signature valid with the pinned key ${result.keyId}`);
    }
  } else {
    console.error(`FAILED ${path.basename(exportFile)}: ${result.firstBadSeq === undefined ? '' : `first bad seq ${result.firstBadSeq}: `}${result.problem ?? ''}`);
  }
  return result.ok ? 0 : 1;
}

function usage(message?: string): number {
  if (message) console.error(message);
  console.error('usage: npm run audit:verify -- <export.csv|export.jsonl> [manifest.json] [--key <public key: PEM, JWK or /api/audit/public-key JSON>] [--filtered] [--json]');
  return 2;
}

// Run as the CLI only when it is the entry script (not `import.meta`: Playwright loads this file as CommonJS).
if (!isMainThread && (workerData as { role?: unknown } | null)?.role === INSPECTOR_ROLE) {
  serveInspections();
} else if (isMainThread && /(?:^|[\\/])audit-verify\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
