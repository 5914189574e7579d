import { getEnv } from '@/lib/env';
import { defineRoute } from '@/lib/http/route';

/**
 * `GET /api/config`: the public settings the browser configures MSAL with, before anyone signs in.
 */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * What the browser needs to configure MSAL, served at run time so one build serves any tenant.
 * All of it is public (client ids, authority); no secret is in the env fields read here.
 */
export const GET = defineRoute('getConfig', async () => {
  const env = getEnv();
  return {
    authority: env.entra.authority,
    clientId: env.portal.clientId,
    scopes: [env.api.scope],
    knownAuthorities: env.entra.knownAuthorities,
  };
});
