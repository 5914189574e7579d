import 'server-only';
import { z } from 'zod';
import type { HealthCheck } from '@/lib/contract/session';
import { getEnv } from '@/lib/env';

/**
 * The first link of the configuration checks: the tenant's OpenID metadata answers at the
 * configured authority, and its issuer names ENTRA_TENANT_ID (what every access token the portal
 * accepts must carry as `iss`).
 */

const METADATA_TIMEOUT_MS = 10_000;
const metadataSchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string() });

/** Fetches `<ENTRA_AUTHORITY_HOST>/<tenant>/v2.0/.well-known/openid-configuration` once. Never throws. */
export async function checkAuthorityMetadata(): Promise<HealthCheck> {
  const env = getEnv();
  const id = 'authority-metadata';
  const url = `${env.entra.issuer}/.well-known/openid-configuration`;
  const fix =
    'Check ENTRA_AUTHORITY_HOST (https://login.microsoftonline.com for the public cloud) and ENTRA_TENANT_ID ' +
    '(Entra admin center → Overview → Tenant ID; `npm run setup:entra` writes both), and that this machine reaches the host (proxy, firewall).';
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return { id, status: 'fail', detail: `The authority metadata at ${url} could not be fetched (${reason}): nobody can sign in.`, fix };
  }
  if (!response.ok) return { id, status: 'fail', detail: `The authority answered ${response.status} for ${url}: nobody can sign in.`, fix };
  const parsed = metadataSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) return { id, status: 'fail', detail: `The authority answered ${url} with something that is not OpenID metadata.`, fix };
  if (parsed.data.issuer !== env.entra.issuer) {
    return { id, status: 'fail', detail: `The authority's issuer is ${parsed.data.issuer}, not ${env.entra.issuer}: every access token would be refused.`, fix };
  }
  return { id, status: 'ok', detail: `The authority metadata answers at ${url}, issuer ${parsed.data.issuer}.`, fix: null };
}
