import { BrokerError } from '@/lib/core/errors';
import { defineRoute } from '@/lib/http/route';

/**
 * Catch-all for `/api/*` paths no route handles, any method: a problem+json 404, so an API client
 * never gets Next's HTML page.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Unknown API paths answer problem+json 404 for everyone (rather than Next's HTML page), before
 * any authentication: there is nothing here to protect, and nothing to learn from the answer.
 */
const notFound = defineRoute({ allow: 'anyone' }, async () => {
  throw new BrokerError('not-found', 'No such API route.');
});

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
