import 'server-only';
import { canonicalJson, formatAuditTimestamp } from '@/lib/audit/canonical';
import type { AuditExportFormat } from '@/lib/contract/audit';

/**
 * The byte format of audit exports. scripts/audit-verify.ts re-implements it without the portal and
 * checks that every row is exactly what this encoder writes for the values it holds, so a row is
 * deterministic: the same events always export to the same bytes (the manifest's SHA-256 relies
 * on it), and no byte can change without the verifier noticing.
 *
 * Columns, in this order, for both formats: `seq, id, at, type, actorId, targetId, requestId,
 * actorDisplayName, actorUserPrincipalName, targetDisplayName, targetUserPrincipalName, prevHash,
 * hash, data` — every field of the event (`at` as `YYYY-MM-DDTHH:mm:ss.sssZ`, `data` in the
 * canonical JSON of lib/audit/canonical.ts, so `hash` can be recomputed from the row alone), and
 * beside the ids the people's names as recorded at the time (table `recorded_name`, migration
 * 0017: the newest version recorded at or before the event's `at`, else the oldest; null when
 * none was recorded). Names are readability, not evidence: they are in no hash, and the verifier
 * checks only that they are well-formed.
 *
 * - JSON Lines (`application/x-ndjson`): one JSON object per event with the members in the order
 *   above, no whitespace, each line ended by `\n`. No header.
 * - CSV (RFC 4180, `text/csv`): a header row with the column names, then one row per event; rows end
 *   with CRLF; `seq` unquoted; every string field defused (below), then quoted (`"` doubled); `null`
 *   is an empty unquoted field, so an empty string (`""`) and null stay distinguishable; `data` is a
 *   quoted JSON string.
 *
 * Defusing (CSV only — JSON Lines is no spreadsheet format and is written as is): a spreadsheet
 * evaluates a cell that begins with `=`, `+`, `-`, `@`, TAB or CR as a formula, and quoting does not
 * stop it, so such a value is written with one leading `'` (the OWASP rule), which spreadsheets
 * show as text. So that the prefix can always be told from the value, a value made of one or more
 * `'` followed by one of those characters gets one `'` more as well (`'=x` is written `''=x`). The
 * rule reverses exactly: a cell of one or more `'` followed by one of those characters loses one
 * `'`; any other cell is its value. Hashes are over the values, never the defused text, so the
 * verifier undoes the prefix before it recomputes them, and the manifest's file SHA-256 is over the
 * bytes as written (prefixes included).
 *
 * The formats and their content types are the API's, in lib/contract/audit.ts.
 *
 * {@link exportRowSql} writes the same bytes in SQL, so exports stream at database speed; it is
 * pinned to {@link encodeExportRow} by export-format-sql.test.ts on PGlite and PostgreSQL.
 */
export const AUDIT_EXPORT_COLUMNS = [
  'seq',
  'id',
  'at',
  'type',
  'actorId',
  'targetId',
  'requestId',
  'actorDisplayName',
  'actorUserPrincipalName',
  'targetDisplayName',
  'targetUserPrincipalName',
  'prevHash',
  'hash',
  'data',
] as const;

/** The names an export row shows beside the ids (null when none was recorded). */
export interface ExportRowNames {
  actorDisplayName?: string | null;
  actorUserPrincipalName?: string | null;
  targetDisplayName?: string | null;
  targetUserPrincipalName?: string | null;
}

/** An audit_event row as Prisma returns it. */
export interface ExportableAuditEvent {
  seq: bigint;
  id: string;
  at: Date;
  type: string;
  actorId: string;
  targetId: string | null;
  requestId: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
}

/** The CSV header row (with its CRLF); JSON Lines has none. */
export function encodeExportHeader(format: AuditExportFormat): string {
  return format === 'csv' ? `${AUDIT_EXPORT_COLUMNS.join(',')}\r\n` : '';
}

/** One event as a row of `format`, including its line ending. */
export function encodeExportRow(format: AuditExportFormat, event: ExportableAuditEvent & ExportRowNames): string {
  const seq = event.seq.toString();
  const at = formatAuditTimestamp(event.at);
  const data = canonicalJson(event.data);
  const names = [event.actorDisplayName, event.actorUserPrincipalName, event.targetDisplayName, event.targetUserPrincipalName].map((name) => name ?? null);
  if (format === 'jsonl') {
    return (
      `{"seq":${seq},"id":${JSON.stringify(event.id)},"at":${JSON.stringify(at)},"type":${JSON.stringify(event.type)},` +
      `"actorId":${JSON.stringify(event.actorId)},"targetId":${jsonOrNull(event.targetId)},"requestId":${jsonOrNull(event.requestId)},` +
      NAME_COLUMNS.map((column, i) => `"${column}":${jsonOrNull(names[i] ?? null)},`).join('') +
      `"prevHash":${JSON.stringify(event.prevHash)},"hash":${JSON.stringify(event.hash)},"data":${data}}\n`
    );
  }
  return (
    [
      seq,
      csv(event.id),
      csv(at),
      csv(event.type),
      csv(event.actorId),
      csvOrNull(event.targetId),
      csvOrNull(event.requestId),
      ...names.map(csvOrNull),
      csv(event.prevHash),
      csv(event.hash),
      csv(data),
    ].join(',') + '\r\n'
  );
}

const NAME_COLUMNS = ['actorDisplayName', 'actorUserPrincipalName', 'targetDisplayName', 'targetUserPrincipalName'] as const;

/** The SQL columns {@link exportSourceSql} adds, in the order of {@link NAME_COLUMNS}. */
const NAME_SQL_COLUMNS = ['actor_display_name', 'actor_user_principal_name', 'target_display_name', 'target_user_principal_name'] as const;

function jsonOrNull(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** A cell a spreadsheet would evaluate, or one that already looks defused: `'`* then a formula character. */
const NEEDS_DEFUSING = /^'*[=+\-@\t\r]/;

/** The text of a CSV cell for `value`: `value` with one more leading `'` where it needs defusing (see above). */
export function defuseCsvCell(value: string): string {
  return NEEDS_DEFUSING.test(value) ? `'${value}` : value;
}

function csv(value: string): string {
  return `"${defuseCsvCell(value).replaceAll('"', '""')}"`;
}

function csvOrNull(value: string | null): string {
  return value === null ? '' : csv(value);
}

/**
 * The SQL expression (over audit_event's columns) of each event's row, byte for byte what
 * {@link encodeExportRow} writes — or NULL for an event without `data_canonical` (written before
 * migration 0012), which the exporter encodes in JavaScript instead.
 *
 * Why these are the same bytes:
 * - `to_json(text)::text` escapes a string exactly as `JSON.stringify`: `"` and `\`, `\b \t \n \f
 *   \r`, other code points below U+0020 as lowercase `\u00xx`, everything else literal; the two
 *   differ only on NUL and lone surrogates, which PostgreSQL text cannot hold.
 * - `id` and `request_id` are `uuid`s: their text is lowercase hex and dashes, never escaped,
 *   defused or doubled. `seq` is a bigint; `at` is `timestamptz(3)`, so its milliseconds are exact.
 * - `data_canonical` is `canonicalJson(data)` as hashed (the online verification checks it).
 * - Defusing looks at the first character, and strips leading `'`s only when that is one (so the
 *   common case copies nothing): the same cells as `NEEDS_DEFUSING`.
 *
 * It reads the names' columns, so its FROM is {@link exportSourceSql}.
 */
export function exportRowSql(format: AuditExportFormat): string {
  const at = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  if (format === 'jsonl') {
    return (
      `CASE WHEN data_canonical IS NOT NULL THEN ` +
      `'{"seq":' || seq::text || ',"id":"' || id::text || '","at":"' || ${at} || '","type":' || to_json(type)::text || ` +
      `',"actorId":' || to_json(actor_id)::text || ',"targetId":' || coalesce(to_json(target_id)::text, 'null') || ` +
      `',"requestId":' || coalesce('"' || request_id::text || '"', 'null') || ` +
      NAME_COLUMNS.map((column, i) => `',"${column}":' || coalesce(to_json(${NAME_SQL_COLUMNS[i]})::text, 'null') || `).join('') +
      `',"prevHash":' || to_json(prev_hash)::text || ` +
      `',"hash":' || to_json(hash)::text || ',"data":' || data_canonical || '}' || chr(10) END`
    );
  }
  return (
    `CASE WHEN data_canonical IS NOT NULL THEN ` +
    `seq::text || ',"' || id::text || '","' || ${at} || '",' || ${csvSql('type')} || ',' || ${csvSql('actor_id')} || ',' || ` +
    `coalesce(${csvSql('target_id')}, '') || ',' || coalesce('"' || request_id::text || '"', '') || ',' || ` +
    NAME_SQL_COLUMNS.map((column) => `coalesce(${csvSql(column)}, '') || ',' || `).join('') +
    `${csvSql('prev_hash')} || ',' || ` +
    `${csvSql('hash')} || ',' || ${csvSql('data_canonical')} || chr(13) || chr(10) END`
  );
}

/**
 * The FROM of an export's SELECT: `audit_event` with the names of its actor and target as recorded
 * at the time — per event, the newest version recorded at or before the event's `at`, else the
 * oldest — among the versions recorded up to `asOf` (the export's own moment, so that a name
 * recorded later cannot change the bytes of an export already made, which its manifest re-hashes).
 * Each side is one probe of the `(id, recorded_at)` index: a person has a handful of versions at
 * most, ordered in place — those recorded at or before `at` first, newest first, then the later
 * ones, oldest first (two probes per side, the second only on a miss, measured slower: 0.54 against
 * 0.58 × COPY for CSV at a million events naming nobody recorded). Ties go to the smaller
 * (displayName, userPrincipalName), so the choice is deterministic. `asOf` becomes an ISO literal (digits and punctuation only).
 */
export function exportSourceSql(asOf: Date | null): string {
  const bound = asOf === null ? '' : ` AND r.recorded_at <= '${asOf.toISOString()}'::timestamptz`;
  const side = (column: string) =>
    `SELECT r.display_name, r.user_principal_name FROM recorded_name r WHERE r.id = audit_event.${column}${bound} ` +
    `ORDER BY r.recorded_at <= audit_event.at DESC, CASE WHEN r.recorded_at <= audit_event.at THEN r.recorded_at END DESC, ` +
    `r.recorded_at, r.display_name, r.user_principal_name LIMIT 1`;
  return (
    `audit_event LEFT JOIN LATERAL (${side('actor_id')}) AS actor_name(actor_display_name, actor_user_principal_name) ON true ` +
    `LEFT JOIN LATERAL (${side('target_id')}) AS target_name(target_display_name, target_user_principal_name) ON true`
  );
}

const SQL_FORMULA_CHARACTERS = `('=', '+', '-', '@', chr(9), chr(13))`;

/** `csv(column)` in SQL: defused, `"` doubled, quoted; NULL stays NULL. */
function csvSql(column: string): string {
  const defused =
    `CASE WHEN left(${column}, 1) IN ${SQL_FORMULA_CHARACTERS} ` +
    `OR (left(${column}, 1) = '''' AND left(ltrim(${column}, ''''), 1) IN ${SQL_FORMULA_CHARACTERS}) ` +
    `THEN '''' || ${column} ELSE ${column} END`;
  return `'"' || replace(${defused}, '"', '""') || '"'`;
}
