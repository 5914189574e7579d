import { z } from 'zod';
import { listTapRequests } from '@/lib/broker/list-tap-requests';
import { requestTap } from '@/lib/broker/request-tap';
import { defineRoute, json, readJsonBody, readQuery } from '@/lib/http/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const createBody = z.strictObject({
  targetUserId: z.string().trim().min(1).max(320),
  // Length and "a sentence" are checked by the core on the trimmed text; this only bounds the input.
  justification: z.string().max(4000),
  lifetimeInMinutes: z.number().int().optional(),
  isUsableOnce: z.boolean().optional(),
  startDateTime: z.iso.datetime({ offset: true }).optional(),
});

const listQuery = z.object({ scope: z.enum(['mine', 'pending', 'all']).default('mine') });

/** Any signed-in user may ask; the core checks the org chart and eligibility in Graph. */
export const POST = defineRoute({ allow: 'signed-in' }, async ({ request, actor, context }) => {
  const body = await readJsonBody(request, createBody);
  return json(await requestTap(actor, body, context), { status: 201 });
});

/** mine: anyone signed in; pending: approvers; all: approvers and auditors — checked in the core. */
export const GET = defineRoute({ allow: 'signed-in' }, async ({ request, actor }) => {
  const { scope } = readQuery(request, listQuery);
  return listTapRequests(actor, { scope });
});
