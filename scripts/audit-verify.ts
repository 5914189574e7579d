/**
 * `npm run audit:verify -- <export file> [manifest file] [--key <public key file>] [--json]`
 *
 * Checks an audit export (CSV or JSON Lines from `GET /api/audit/export`) offline, without the
 * portal or its code: it re-implements the export format (lib/audit/export-format.ts) and the
 * chain's canonical encoding (lib/audit/canonical.ts) from their specifications.
 *
 * - every row is exactly the bytes the exporter writes for the values it holds (so no byte of an
 *   event can change unnoticed, whitespace and letter case included; a CSV cell's formula-defusing
 *   `'` is undone to read the value and written again to compare);
 * - every `hash` is SHA-256(prevHash ‖ canonical(event)); every `prevHash` is the previous row's
 *   `hash`; `seq` runs on without gap or swap;
 * - with a manifest: its Ed25519 signature (with the key from `--key` — a PEM or JWK file, or the
 *   JSON of `GET /api/audit/public-key` — else the key embedded in the manifest, which proves the
 *   manifest intact but not who signed it), the format, count, first/last seq and hash, the anchor
 *   (prevHash of the first row), and the SHA-256 and length of the whole file.
 *
 * Exit 0 when everything holds; 1 naming the first bad `seq` (or the failed manifest check); 2 on
 * usage errors. Memory stays bounded: the file is read as a stream, cut into batches of whole
 * records that worker threads (one per core) decode, parse and hash, at most two batches per worker
 * in flight, while this thread hashes the file and runs the checks that need the rows in order.
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
const COLUMNS = ['seq', 'id', 'at', 'type', 'actorId', 'targetId', 'requestId', 'prevHash', 'hash', 'data'] as const;
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
      `"targetId":${orNull(row.targetId)},"requestId":${orNull(row.requestId)},"prevHash":${str(row.prevHash)},"hash":${str(row.hash)},"data":${data}}\n`
    );
  }
  const q = (v: string) => `"${defuseCsvCell(v).replaceAll('"', '""')}"`;
  const qn = (v: string | null) => (v === null ? '' : q(v));
  return [String(row.seq), q(row.id), q(row.at), q(row.type), q(row.actorId), qn(row.targetId), qn(row.requestId), q(row.prevHash), q(row.hash), q(data)].join(',') + '\r\n';
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
  return { seq, id, at, type, actorId, targetId, requestId, prevHash, hash, data: data as Record<string, unknown> };
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
  const [id, at, type, actorId, targetId, requestId, prevHash, hash, data] = rest.map(text);
  let parsedData: unknown = null;
  if (data !== null && data !== undefined) {
    try {
      parsedData = JSON.parse(data);
    } catch {
      throw new RowError('data is not valid JSON');
    }
  }
  return toRow({ seq: Number(seq.value), id, at, type, actorId, targetId, requestId, prevHash, hash, data: parsedData });
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
type RecordOutcome =
  | { kind: 'utf8'; line: number; claimed: number | undefined }
  | { kind: 'crlf' }
  | { kind: 'header'; ok: boolean }
  | { kind: 'unreadable'; message: string; claimed: number | undefined }
  | { kind: 'altered'; seq: number }
  | { kind: 'row'; seq: number; prevHash: string; hash: string; hashOk: boolean }
  | { kind: 'error'; message: string };

/** Records of one format cut from the file: record i is `bytes[ends[i - 1] + 1 .. ends[i]]`, its `\n` excluded. */
interface RecordBatch {
  format: ExportFormat;
  bytes: Uint8Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  /** The batch starts with the CSV header row. */
  startsWithHeader: boolean;
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

function inspectRecord(format: ExportFormat, text: string, isHeader: boolean): RecordOutcome {
  let raw = text;
  let terminator = '\n';
  if (format === 'csv') {
    if (!text.endsWith('\r')) return { kind: 'crlf' };
    if (isHeader) return { kind: 'header', ok: `${text}\n` === CSV_HEADER };
    raw = text.slice(0, -1);
    terminator = '\r\n';
  }
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

function inspectBatch(batch: RecordBatch): RecordOutcome[] {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  // Valid UTF-8 throughout (the usual case) is decoded without a check per record; ASCII (most
  // exports) in one piece, its byte offsets being its character offsets.
  const valid = isUtf8(bytes);
  const ascii = valid && isAscii(bytes) ? bytes.toString('latin1') : null;
  const outcomes: RecordOutcome[] = [];
  let start = 0;
  for (const [i, end] of batch.ends.entries()) {
    const text = ascii === null ? (valid ? bytes.toString('utf8', start, end) : decodeRecord(bytes.subarray(start, end))) : ascii.slice(start, end);
    outcomes.push(typeof text === 'string' ? inspectRecord(batch.format, text, i === 0 && batch.startsWithHeader) : { kind: 'utf8', ...text });
    start = end + 1;
  }
  return outcomes;
}

const INSPECTOR_ROLE = 'tap-broker/audit-verify-inspector';

/**
 * Worker threads running inspectBatch, fed in turn. The worker is this very file (so the verifier
 * stays one file and needs nothing but Node and `tsx`, as `npm run audit:verify` runs it).
 */
class InspectorPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (outcomes: RecordOutcome[]) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(count: number) {
    // Node 20 does not apply `--import tsx`'s hooks to a worker's entry; tsx's CommonJS hook does load it.
    const execArgv = ['--require', createRequire(__filename).resolve('tsx/cjs')];
    for (let i = 0; i < count; i += 1) {
      // A worker holds two batches and their rows at a time; without limits V8 lets each thread's
      // garbage pile up to a heap as large as the main thread's. A row of tens of MB would exceed it.
      const resourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };
      const worker = new Worker(__filename, { workerData: { role: INSPECTOR_ROLE }, execArgv, resourceLimits });
      worker.on('message', ({ id, outcomes }: { id: number; outcomes: RecordOutcome[] }) => {
        this.pending.get(id)?.resolve(outcomes);
        this.pending.delete(id);
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', (code) => this.failAll(new Error(`an audit:verify worker exited with ${code}`)));
      this.workers.push(worker);
    }
  }

  inspect(batch: RecordBatch): Promise<RecordOutcome[]> {
    const id = this.nextId;
    this.nextId += 1;
    const worker = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker?.postMessage({ id, batch }, [batch.bytes.buffer, batch.ends.buffer]);
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
    parentPort?.postMessage({ id, outcomes: inspectBatch(batch) });
  });
}

/**
 * Cuts a byte stream into records and batches them. A record ends at a `\n`; in CSV only at one
 * outside quotes, that is where the count of `"` since the start of the file is even (every
 * complete record holds an even count, so the parity carries over from record to record).
 */
class RecordFramer {
  private inQuotes = false;
  private carry: Buffer[] = [];
  private parts: Uint8Array[] = [];
  private ends: number[] = [];
  private length = 0;
  private headerPending: boolean;

  constructor(
    readonly format: ExportFormat,
    private readonly batchBytes: number,
  ) {
    this.headerPending = format === 'csv';
  }

  /** Takes the next piece of the file; returns the batches that are now full. */
  push(chunk: Buffer): RecordBatch[] {
    const batches: RecordBatch[] = [];
    // The records of this chunk after the one the previous chunk began are copied as one run.
    let runStart = 0;
    let runEnd = 0;
    for (;;) {
      const nl = this.nextRecordEnd(chunk, runEnd);
      if (nl < 0) break;
      if (this.carry.length > 0) {
        const record = Buffer.concat([...this.carry, chunk.subarray(0, nl + 1)]);
        this.carry = [];
        this.append(record, [record.length - 1]);
        runStart = nl + 1;
      } else {
        this.ends.push(this.length + nl - runStart);
      }
      runEnd = nl + 1;
      if (this.length + runEnd - runStart >= this.batchBytes) {
        this.append(chunk.subarray(runStart, runEnd), []);
        runStart = runEnd;
        batches.push(this.take());
      }
    }
    if (runEnd > runStart) this.append(chunk.subarray(runStart, runEnd), []);
    // The caller may reuse its buffer: what waits for the next chunk is copied.
    if (runEnd < chunk.length) this.carry.push(Buffer.from(chunk.subarray(runEnd)));
    return batches;
  }

  /** The batch of what is left, if any records are. */
  flush(): RecordBatch | null {
    return this.ends.length === 0 ? null : this.take();
  }

  /** The bytes after the last complete record: a row the file cuts off. */
  get rest(): Buffer | null {
    return this.carry.length === 0 ? null : Buffer.concat(this.carry);
  }

  private nextRecordEnd(chunk: Buffer, from: number): number {
    if (this.format === 'jsonl') return chunk.indexOf(10, from);
    let inQuotes = this.inQuotes;
    for (let i = from; i < chunk.length; i += 1) {
      const byte = chunk[i];
      if (byte === 0x22) inQuotes = !inQuotes;
      else if (byte === 0x0a && !inQuotes) {
        this.inQuotes = false;
        return i;
      }
    }
    this.inQuotes = inQuotes;
    return -1;
  }

  private append(bytes: Uint8Array, ends: number[]): void {
    for (const end of ends) this.ends.push(this.length + end);
    this.parts.push(bytes);
    this.length += bytes.byteLength;
  }

  private take(): RecordBatch {
    // Its own ArrayBuffer (never Node's shared pool), so it can be moved to a worker.
    const bytes = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    const batch: RecordBatch = { format: this.format, bytes, ends: Uint32Array.from(this.ends), startsWithHeader: this.headerPending };
    this.headerPending = false;
    this.parts = [];
    this.ends = [];
    this.length = 0;
    return batch;
  }
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
        break;
    }
    const row = outcome;
    if (expectedSeq !== null && row.seq !== expectedSeq) {
      fail(`seq ${expectedSeq} expected, found seq ${row.seq} (an event is missing or out of order)`);
      return;
    }
    if (count === 0) {
      const anchor = manifest ? manifest.anchorPrevHash : row.seq === 1 ? GENESIS_PREV_HASH : row.prevHash;
      if (row.prevHash !== anchor) {
        fail(`seq ${row.seq}: prevHash is not the anchor ${anchor ?? '(none)'}`, row.seq);
        return;
      }
    } else if (row.prevHash !== lastHash) {
      fail(`seq ${row.seq}: prevHash is not the hash of seq ${lastSeq}`, row.seq);
      return;
    }
    if (!row.hashOk) {
      fail(`seq ${row.seq}: hash does not match the event's content`, row.seq);
      return;
    }
    count += 1;
    firstSeq ??= row.seq;
    firstHash ??= row.hash;
    lastSeq = row.seq;
    lastHash = row.hash;
    expectedSeq = row.seq + 1;
  };

  const workers = options.workers ?? 0;
  const pool = workers > 0 ? new InspectorPool(workers) : null;
  // Back-pressure: at most two batches per worker are read ahead of the ordered checks.
  const inFlight: Promise<RecordOutcome[]>[] = [];
  const limit = Math.max(1, 2 * workers);
  const submit = async (batch: RecordBatch) => {
    const outcomes = pool ? pool.inspect(batch) : Promise.resolve(inspectBatch(batch));
    // A dead worker fails every batch it holds; the first one awaited reports it, the others must not go unhandled.
    outcomes.catch(() => undefined);
    inFlight.push(outcomes);
    while (inFlight.length >= limit || (inFlight.length > 0 && !pool)) {
      const outcomes = await inFlight.shift();
      for (const outcome of outcomes ?? []) check(outcome);
    }
  };
  const drain = async () => {
    for (let next = inFlight.shift(); next; next = inFlight.shift()) {
      const outcomes = await next;
      for (const outcome of outcomes) check(outcome);
    }
  };

  let framer: RecordFramer | null = null;
  try {
    for await (const chunk of chunks) {
      const bytesOfChunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      fileHash.update(bytesOfChunk);
      bytes += bytesOfChunk.byteLength;
      if (failure || bytesOfChunk.byteLength === 0) continue;
      // Without an option or a manifest saying it, a file whose first line is a JSON object is JSON Lines.
      format ??= bytesOfChunk[0] === 0x7b ? 'jsonl' : 'csv';
      framer ??= new RecordFramer(format, options.chunkBytes ?? 1 << 20);
      for (const batch of framer.push(bytesOfChunk)) await submit(batch);
    }
    const last = framer?.flush();
    if (last && !failure) await submit(last);
    await drain();
  } finally {
    await pool?.close();
  }
  const rest = framer?.rest;
  if (!failure && rest) {
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
  let format: ExportFormat | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--key') keyFile = argv[++i];
    else if (arg.startsWith('--key=')) keyFile = arg.slice(6);
    else if (arg === '--json') asJson = true;
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
  console.error('usage: npm run audit:verify -- <export.csv|export.jsonl> [manifest.json] [--key <public key: PEM, JWK or /api/audit/public-key JSON>] [--json]');
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
