import 'server-only';
import { BrokerError, isBrokerError } from '@/lib/core/errors';
import { GraphRequestError } from '@/lib/graph/client';
import { getTenantTapPolicy, type TenantTapPolicy } from '@/lib/graph/get-target-facts';
import type { Logger } from '@/lib/log';

/**
 * The tenant's TAP policy from Graph (one round trip), for the policy use cases. Any failure to
 * read it — Graph down, throttled past the retry budget, an unexpected answer, a missing
 * permission — is `upstream-unavailable`: the broker policy is never validated or shown against
 * guessed bounds.
 */
export async function readTenantTapPolicy(log: Logger): Promise<TenantTapPolicy> {
  try {
    return await getTenantTapPolicy({ log });
  } catch (error) {
    if (isBrokerError(error)) throw error;
    const detail =
      error instanceof GraphRequestError && error.status === 403
        ? "The tenant's Temporary Access Pass policy could not be read: the broker's app registration needs the Graph application permission Policy.Read.AuthenticationMethod (Policy.Read.All is not enough for it)."
        : "The tenant's Temporary Access Pass policy could not be read from Graph.";
    throw new BrokerError('upstream-unavailable', detail, { cause: error });
  }
}
