import { z } from 'zod';
import { previewPolicy } from '@/lib/broker/preview-policy';
import { defineRoute, readJsonBody } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A draft policy → its effect on the admin's own org (extension; no writes). The core validates the body. */
export const POST = defineRoute({ allow: ['admin'] }, async ({ request, actor, context }) => {
  const body = await readJsonBody(request, z.unknown());
  return { ...(await previewPolicy(actor, body, context)) };
});
