import { getPortalAuditSigningKey } from '@/lib/audit/signing-key';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/audit/public-key` (extension): the key an outside auditor pins to check export
 * manifests offline.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * The public half of the export-manifest signing key, `{ alg, keyId, jwk, pem }`. Public on
 * purpose (`anyone`): an outside auditor pins it to check manifests offline; it reveals nothing.
 */
export const GET = defineRoute('getAuditPublicKey', async () => {
  const key = getPortalAuditSigningKey();
  return { alg: 'Ed25519', keyId: key.keyId, jwk: key.publicKeyJwk, pem: key.publicKeyPem };
});
