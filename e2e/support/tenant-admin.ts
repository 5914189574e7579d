import { portalUrl, tenantUrl } from './env';
import type { Seed } from './seed';

/**
 * Replaces the local tenant's whole directory (a local-tenant-only admin route), registering the
 * portal's origin as a redirect URI the way `npm start` does.
 */
export async function replaceDirectory(seed: Seed): Promise<void> {
  const body: Seed = {
    ...seed,
    portal: { ...seed.portal, redirectUris: [...new Set([...seed.portal.redirectUris, portalUrl])] },
  };
  const res = await fetch(`${tenantUrl}/_tenant/seed`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`replacing the tenant's directory failed: ${res.status} ${await res.text()}`);
}

/** Graph round trips the local tenant has served, by endpoint template. */
export async function graphStats(): Promise<{ graph: Record<string, number>; batched: Record<string, number> }> {
  const res = await fetch(`${tenantUrl}/_tenant/stats`);
  if (!res.ok) throw new Error(`reading the tenant's stats failed: ${res.status}`);
  return (await res.json()) as { graph: Record<string, number>; batched: Record<string, number> };
}

export async function resetGraphStats(): Promise<void> {
  const res = await fetch(`${tenantUrl}/_tenant/stats/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`resetting the tenant's stats failed: ${res.status}`);
}

export function totalGraphRoundTrips(stats: { graph: Record<string, number> }): number {
  return Object.values(stats.graph).reduce((a, b) => a + b, 0);
}
