import { createAuditExportStream, getAuditExportFileName, startAuditExport } from '@/lib/audit/export-audit-events';
import { AUDIT_EXPORT_CONTENT_TYPES } from '@/lib/contract/audit';
import { getDb } from '@/lib/db/client';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit/export`: the compliance export, every audit event in a range as a streamed CSV or
 * JSON Lines file (auditors, admins).
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * `?format=csv|jsonl&from&to`: the events in the range as a streamed attachment. The export is
 * audited (`audit.exported`) before the first byte; its signed manifest is at the URL in
 * `X-Export-Manifest-Url` (also a `Link: rel="describedby"`).
 */
export const GET = defineRoute('exportAuditEvents', async ({ actor, query, context }) => {
  const db = await getDb();
  const record = await startAuditExport(db, actor, query, context);
  const manifestUrl = `/api/audit/export/${record.exportId}/manifest`;
  return new Response(createAuditExportStream(db, record), {
    status: 200,
    headers: {
      'Content-Type': AUDIT_EXPORT_CONTENT_TYPES[record.format],
      'Content-Disposition': `attachment; filename="${getAuditExportFileName(record)}"`,
      'X-Content-Type-Options': 'nosniff',
      'X-Export-Id': record.exportId,
      'X-Export-Count': String(record.count),
      'X-Export-Manifest-Url': manifestUrl,
      Link: `<${manifestUrl}>; rel="describedby"; type="application/json"`,
    },
  });
});
