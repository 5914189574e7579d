import { buildAuditExportManifest } from '@/lib/audit/manifest';
import { getPortalAuditSigningKey } from '@/lib/audit/signing-key';
import { getDb } from '@/lib/db/client';
import { defineRoute, json } from '@/lib/http/route';

/**
 * `GET /api/audit/export/{exportId}/manifest` (extension): an export's signed manifest, so an
 * auditor can check the exported file offline.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The Ed25519-signed manifest of export `exportId` (the `X-Export-Id` of the export response), as a JSON attachment. */
export const GET = defineRoute('getAuditExportManifest', async ({ params }) => {
  const manifest = await buildAuditExportManifest(await getDb(), params.exportId, getPortalAuditSigningKey());
  return json(manifest, {
    headers: { 'Content-Disposition': `attachment; filename="${manifest.file.name}.manifest.json"` },
  });
});
