/**
 * Why a person may not get a Temporary Access Pass (docs/eligibility.md#reasons). Every reason
 * that applies is listed, in this order.
 */
import * as z from 'zod/mini';

export const INELIGIBLE_REASONS = [
  'self',
  'account-disabled',
  'guest',
  'privileged-role',
  'portal-role',
  'protected-account',
  'tap-policy-disabled',
  'outside-tap-policy',
  'cannot-verify',
] as const;

export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

export const ineligibleReasonSchema = z.enum(INELIGIBLE_REASONS);
