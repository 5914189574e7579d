/**
 * The stored policy as the specs read and change it through the portal API, parsed with the
 * contract's schemas. The specs share one database, so a spec that saves a policy saves the one it
 * found again afterwards, and `editablePolicy` is what it sends back.
 */
import { expect, type APIRequestContext } from '@playwright/test';
import type * as z from 'zod/mini';
import { policySchema, policySettingsSchema, type Policy, type PolicyInput } from '@/lib/contract/policy';
import { asUser, parseAnswer } from './portal-api';

/** The admin whose ROPC token changes the policy in these specs (it proves no authentication context). */
export const POLICY_ADMIN = 'cameron.white@contoso.test';

export type PolicySettings = z.infer<typeof policySettingsSchema>;

/**
 * The settings a spec changes and puts back. A PUT without the lists and step-up fields keeps what
 * is in force for them, so restoring these never needs a step-up the admin's token cannot prove.
 */
export type EditablePolicy = Pick<
  Policy,
  | 'maxDepth'
  | 'requireApproval'
  | 'defaultLifetimeInMinutes'
  | 'maxLifetimeInMinutes'
  | 'isUsableOnce'
  | 'approvalValidityMinutes'
  | 'maxIssuancesPerManagerPerDay'
  | 'maxPendingRequestsPerRequester'
>;

export function editablePolicy(policy: Policy): EditablePolicy {
  const { maxDepth, requireApproval, defaultLifetimeInMinutes, maxLifetimeInMinutes, isUsableOnce, approvalValidityMinutes, maxIssuancesPerManagerPerDay, maxPendingRequestsPerRequester } =
    policy;
  return { maxDepth, requireApproval, defaultLifetimeInMinutes, maxLifetimeInMinutes, isUsableOnce, approvalValidityMinutes, maxIssuancesPerManagerPerDay, maxPendingRequestsPerRequester };
}

/** `GET /api/policy` as `upn`; asserts 200 and returns the policy with the tenant's TAP policy beside it. */
export async function getPolicySettings(request: APIRequestContext, upn = POLICY_ADMIN): Promise<PolicySettings> {
  const res = await asUser(request, upn).get('/api/policy');
  expect(res.status(), await res.text()).toBe(200);
  return parseAnswer(res, policySettingsSchema);
}

/** `PUT /api/policy` as `upn`; asserts 200 and returns the saved version. */
export async function savePolicy(request: APIRequestContext, body: PolicyInput, upn = POLICY_ADMIN): Promise<Policy> {
  const res = await asUser(request, upn).put('/api/policy', body);
  expect(res.status(), await res.text()).toBe(200);
  return parseAnswer(res, policySchema);
}
