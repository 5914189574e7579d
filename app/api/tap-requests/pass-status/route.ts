import { z } from 'zod';
import { getPassStatuses } from '@/lib/broker/get-pass-status';
import { defineRoute, readQuery } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const query = z.strictObject({ scope: z.enum(['mine', 'all']).default('mine') });

/** Tracking after issuance (extension): mine: anyone signed in; all: admins — checked in the core. */
export const GET = defineRoute({ allow: 'signed-in' }, async ({ request, actor, context }) => {
  const { scope } = readQuery(request, query);
  return getPassStatuses(actor, { scope }, context);
});
