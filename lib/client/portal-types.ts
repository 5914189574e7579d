/**
 * The portal API's answers (docs/api-contract.md#routes) as the browser uses them, checked
 * against the contract's schemas: the UI renders only what it has checked, so a changed server
 * fails loudly here instead of rendering `undefined`.
 */
import type * as z from 'zod/mini';
import { policyLimitsSchema, policySettingsSchema, STEP_UP_ACTIONS } from '@/lib/contract/policy';
import { reporteeListSchema, type Reportee, type ReporteeList } from '@/lib/contract/reportees';
import { meSchema, type Me } from '@/lib/contract/session';
import {
  issuedTapSchema,
  pendingEvaluationsSchema,
  tapRequestListSchema,
  tapRequestSchema,
  type IssuedTap,
  type TapRequest,
  type TapRequestStatus,
} from '@/lib/contract/tap-requests';
import { parseAnswer } from '@/lib/client/parse-answer';

export type { Me, Reportee, ReporteeList, TapRequest, TapRequestStatus };

/** `account`: only the account's own state was judged; the rest is checked when a request is made. */
export type EligibilityScope = ReporteeList['eligibilityScope'];

export function parseMe(value: unknown): Me {
  return parseAnswer(meSchema, value, 'profile');
}

/** The team list with its source and freshness. */
export function parseReportees(value: unknown): ReporteeList {
  return parseAnswer(reporteeListSchema, value, 'team list');
}

export function parseTapRequest(value: unknown): TapRequest {
  return parseAnswer(tapRequestSchema, value, 'request');
}

export function parseTapRequestList(value: unknown): TapRequest[] {
  return parseAnswer(tapRequestListSchema, value, 'request list').requests;
}

/**
 * The answer of `POST /api/tap-requests/{id}/issue`. The pass lives in this object only while
 * the reveal dialog shows it; error messages name fields, never values.
 */
export type IssuedPass = IssuedTap;

export function parseIssuedPass(value: unknown): IssuedPass {
  return parseAnswer(issuedTapSchema, value, 'pass');
}

type StepUpAction = (typeof STEP_UP_ACTIONS)[number];

/** What the request form needs to know about the policy in force. */
export interface RequestLimits {
  defaultLifetimeInMinutes: number;
  maxLifetimeInMinutes: number;
  /** The tenant's minimum. */
  minLifetimeInMinutes: number;
  /** True when policy or tenant force one-time passes. */
  isUsableOnceForced: boolean;
  requireApproval: z.infer<typeof policyLimitsSchema>['requireApproval'];
  /** The actions that ask for a second factor first; empty without step-up. */
  stepUpRequiredFor: StepUpAction[];
}

/** `GET /api/policy/limits` (for any signed-in user). */
export function parseRequestLimits(value: unknown): RequestLimits {
  const limits = parseAnswer(policyLimitsSchema, value, 'limits');
  return {
    defaultLifetimeInMinutes: limits.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: limits.maxLifetimeInMinutes,
    minLifetimeInMinutes: limits.minLifetimeInMinutes,
    isUsableOnceForced: limits.isUsableOnce,
    requireApproval: limits.requireApproval,
    stepUpRequiredFor: limits.stepUpRequiredFor,
  };
}

/**
 * `GET /api/policy` (approvers, auditors, admins): the same limits from the policy object and the
 * tenant's bounds beside it. Issuing always needs step-up when a context is set; `approve` covers
 * both decisions.
 */
export function parsePolicyAsLimits(value: unknown): RequestLimits {
  const policy = parseAnswer(policySettingsSchema, value, 'policy');
  const tenant = policy.tenantTapPolicy;
  const stepUpRequiredFor: StepUpAction[] =
    policy.stepUpAuthContextId === null
      ? []
      : [
          'issue',
          ...(policy.stepUpActions.includes('approve') ? (['approve', 'deny'] as const) : []),
          ...(policy.stepUpActions.includes('policy') ? (['policy'] as const) : []),
        ];
  return {
    defaultLifetimeInMinutes: policy.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: Math.min(policy.maxLifetimeInMinutes, tenant.maximumLifetimeInMinutes),
    minLifetimeInMinutes: tenant.minimumLifetimeInMinutes,
    isUsableOnceForced: policy.isUsableOnce || tenant.isUsableOnce,
    requireApproval: policy.requireApproval,
    stepUpRequiredFor,
  };
}

/** One pending request re-judged against the directory now (`GET /api/tap-requests/evaluation`). */
export type PendingEvaluation = z.infer<typeof pendingEvaluationsSchema>['evaluations'][number];

export function parsePendingEvaluations(value: unknown): Map<string, PendingEvaluation> {
  const { evaluations } = parseAnswer(pendingEvaluationsSchema, value, 'evaluation');
  return new Map(evaluations.map((evaluation) => [evaluation.requestId, evaluation]));
}
