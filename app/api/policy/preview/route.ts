import { previewPolicy } from '@/lib/broker/preview-policy';
import { defineRoute } from '@/lib/http/route';

/**
 * `POST /api/policy/preview` (extension): what a draft policy would change for the admin's own org,
 * before it is saved.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * A draft policy → its effect on the admin's own org (extension; no writes). The core validates
 * the body, after the admin check, so anyone else is refused whatever they send.
 */
export const POST = defineRoute({ operation: 'previewPolicy', body: 'unparsed' }, async ({ actor, body, context }) => ({
  ...(await previewPolicy(actor, body, context)),
}));
