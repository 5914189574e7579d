import 'server-only';
import { z } from 'zod';

/**
 * The broker policy (CONTRACT.md §2). Until the stored, versioned policy lands (issue 3), the
 * broker runs on this constant default; `version: 0` marks it as "never stored".
 *
 * `maxDepth` defaults to null (unlimited): the foundation's promise is "everyone below the
 * caller". A stored policy may narrow it.
 */
export const brokerPolicySchema = z.object({
  maxDepth: z.number().int().min(1).nullable(),
  requireApproval: z.enum(['always', 'never', 'indirect-only']),
  defaultLifetimeInMinutes: z.number().int().min(10).max(43200),
  maxLifetimeInMinutes: z.number().int().min(10).max(43200),
  isUsableOnce: z.boolean(),
  approvalValidityMinutes: z.number().int().min(1),
  maxIssuancesPerManagerPerDay: z.number().int().min(0),
  version: z.number().int().min(0),
});

export type BrokerPolicy = z.infer<typeof brokerPolicySchema>;

const DEFAULT_POLICY: BrokerPolicy = Object.freeze({
  maxDepth: null,
  requireApproval: 'indirect-only',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 24 * 60,
  maxIssuancesPerManagerPerDay: 20,
  version: 0,
});

/** The built-in policy, used until an admin stores one. */
export function getDefaultPolicy(): BrokerPolicy {
  return { ...DEFAULT_POLICY };
}
