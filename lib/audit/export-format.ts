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
 * prevHash, hash, data` — every field of the event (`at` as `YYYY-MM-DDTHH:mm:ss.sssZ`, `data` in
 * the canonical JSON of lib/audit/canonical.ts, so `hash` can be recomputed from the row alone).
 *
 * - JSON Lines (`application/x-ndjson`): one JSON object per event with the members in the order
 *   above, no whitespace, each line ended by `\n`. No header.
 * - CSV (RFC 4180, `text/csv`): a header row with the column names, then one row per event; rows end
 *   with CRLF; `seq` unquoted; every string field quoted (`"` doubled); `null` is an empty unquoted
 *   field, so an empty string (`""`) and null stay distinguishable; `data` is a quoted JSON string.
 *
 * The formats and their content types are the API's, in lib/contract/audit.ts.
 */
export const AUDIT_EXPORT_COLUMNS = ['seq', 'id', 'at', 'type', 'actorId', 'targetId', 'requestId', 'prevHash', 'hash', 'data'] as const;

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
export function encodeExportRow(format: AuditExportFormat, event: ExportableAuditEvent): string {
  const seq = event.seq.toString();
  const at = formatAuditTimestamp(event.at);
  const data = canonicalJson(event.data);
  if (format === 'jsonl') {
    return (
      `{"seq":${seq},"id":${JSON.stringify(event.id)},"at":${JSON.stringify(at)},"type":${JSON.stringify(event.type)},` +
      `"actorId":${JSON.stringify(event.actorId)},"targetId":${jsonOrNull(event.targetId)},"requestId":${jsonOrNull(event.requestId)},` +
      `"prevHash":${JSON.stringify(event.prevHash)},"hash":${JSON.stringify(event.hash)},"data":${data}}\n`
    );
  }
  return (
    [seq, csv(event.id), csv(at), csv(event.type), csv(event.actorId), csvOrNull(event.targetId), csvOrNull(event.requestId), csv(event.prevHash), csv(event.hash), csv(data)].join(',') +
    '\r\n'
  );
}

function jsonOrNull(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

function csv(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

function csvOrNull(value: string | null): string {
  return value === null ? '' : csv(value);
}
