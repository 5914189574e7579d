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
 * usage errors. Memory stays constant: the file is read as a stream.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';

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

function computeHash(row: ExportRow): string {
  const encoded = canonicalJson({
    seq: row.seq,
    id: row.id,
    at: row.at,
    type: row.type,
    actorId: row.actorId,
    targetId: row.targetId,
    requestId: row.requestId,
    data: row.data,
  });
  return createHash('sha256').update(row.prevHash + encoded, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// The export format (lib/audit/export-format.ts).

function encodeRow(format: ExportFormat, row: ExportRow): string {
  const data = canonicalJson(row.data);
  const str = JSON.stringify;
  if (format === 'jsonl') {
    const orNull = (v: string | null) => (v === null ? 'null' : str(v));
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
  if (typeof at !== 'string' || !ISO_MS.test(at) || Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at) {
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

function parseJsonlRow(line: string): ExportRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RowError('not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RowError('not a JSON object');
  return toRow(value as Record<(typeof COLUMNS)[number], unknown>);
}

/** RFC 4180 fields of one record (without its CRLF); `quoted` tells `""` from an empty (null) field. */
function splitCsvRecord(record: string): { value: string; quoted: boolean }[] {
  const fields: { value: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const end = record.indexOf('"', i);
        if (end < 0) throw new RowError('unterminated quoted field');
        value += record.slice(i, end);
        if (record[end + 1] === '"') {
          value += '"';
          i = end + 2;
        } else {
          i = end + 1;
          break;
        }
      }
      fields.push({ value, quoted: true });
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

export interface VerifyExportOptions {
  format?: ExportFormat;
  manifest?: unknown;
  /** The pinned public key; without it the manifest's own key is used (integrity, not origin). */
  publicKey?: KeyObject;
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
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let format: ExportFormat | null = options.format ?? manifest?.format ?? null;
  let bytes = 0;
  let headerSeen = false;
  let pendingRecord: string | null = null;
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

  const checkRow = (raw: string, terminator: string) => {
    if (format === null) return;
    let row: ExportRow;
    try {
      row = format === 'jsonl' ? parseJsonlRow(raw) : parseCsvRow(raw);
    } catch (error) {
      fail(`unreadable row after seq ${lastSeq ?? '(start)'}: ${error instanceof Error ? error.message : String(error)}`, expectedSeq ?? claimedSeq(raw));
      return;
    }
    if (encodeRow(format, row) !== raw + terminator) {
      fail(`seq ${row.seq}: the row is not in the export's exact encoding (altered bytes)`, expectedSeq ?? row.seq);
      return;
    }
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
    if (computeHash(row) !== row.hash) {
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

  const onLine = (line: string) => {
    if (failure) return;
    if (format === null) format = line.startsWith('{') ? 'jsonl' : 'csv';
    if (format === 'jsonl') {
      checkRow(line, '\n');
      return;
    }
    // CSV: a quoted field may hold a line break, so a record ends at a newline outside quotes.
    const record: string = pendingRecord === null ? line : `${pendingRecord}\n${line}`;
    if ((record.split('"').length - 1) % 2 === 1) {
      pendingRecord = record;
      return;
    }
    pendingRecord = null;
    if (!record.endsWith('\r')) {
      fail('a CSV row does not end with CRLF');
      return;
    }
    if (!headerSeen) {
      headerSeen = true;
      if (record + '\n' !== CSV_HEADER) fail('the CSV header row is not the export header', undefined);
      return;
    }
    checkRow(record.slice(0, -1), '\r\n');
  };

  // Lines are cut on the byte 0x0A (it never occurs inside a multi-byte UTF-8 sequence) and decoded
  // one by one, so invalid UTF-8 is charged to the row that holds it.
  let partial: Buffer[] = [];
  const onLineBytes = (bytesOfLine: Buffer) => {
    if (failure) return;
    let line: string;
    try {
      line = decoder.decode(bytesOfLine);
    } catch {
      if (format === 'csv' && pendingRecord !== null) pendingRecord = null;
      fail(`invalid UTF-8 in the row after seq ${lastSeq ?? '(start)'}`, expectedSeq ?? claimedSeq(bytesOfLine.toString('latin1')));
      return;
    }
    onLine(line);
  };

  for await (const chunk of chunks) {
    const bytesOfChunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    fileHash.update(bytesOfChunk);
    bytes += bytesOfChunk.byteLength;
    if (failure) continue;
    let start = 0;
    for (;;) {
      const nl = bytesOfChunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = bytesOfChunk.subarray(start, nl);
      onLineBytes(partial.length === 0 ? piece : Buffer.concat([...partial, piece]));
      partial = [];
      start = nl + 1;
    }
    if (start < bytesOfChunk.length) partial.push(Buffer.from(bytesOfChunk.subarray(start)));
  }
  if (!failure && (partial.length > 0 || pendingRecord !== null)) fail('the file does not end with a complete row');
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
if (/(?:^|[\\/])audit-verify\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
