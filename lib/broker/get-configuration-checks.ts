import 'server-only';
import { checkAuthorityMetadata } from '@/lib/auth/check-authority-metadata';
import type { HealthCheck } from '@/lib/contract/session';
import { getPolicyTenantViolations, type BrokerPolicy } from '@/lib/broker/policy';
import { getStepUpRequiredFor } from '@/lib/broker/step-up';
import { checkGraphCalls } from '@/lib/graph/check-graph-calls';
import { grantPermissionFix, TAP_POLICY_BLADE } from '@/lib/graph/configuration-fixes';
import { getBrokerAccess } from '@/lib/graph/get-broker-access';
import type { TenantTapPolicy } from '@/lib/graph/get-target-facts';
import type { Logger } from '@/lib/log';

/**
 * Every configuration check, in the order a reader fixes them (`getConfigurationChecks`): the
 * authority, the broker's credential and permissions, the registrations, each Graph read of the
 * broker made once, the tenant TAP policy against the broker policy, and step-up. Behind
 * `npm run doctor` and `GET /api/health/details`.
 */

const NO_POLICY_FIX = "Run the doctor where the portal's database is (DATABASE_URL, or DATA_DIR for the embedded one), after `npm start` or `npm run db:migrate` created it.";

/** The broker policy in force, or why it could not be read (the doctor may run without a database). */
export type PolicySource = { policy: BrokerPolicy } | { unavailable: string };

export interface ConfigurationCheckOptions {
  log: Logger;
  /** The test user of the Graph reads (UPN or object id); DOCTOR_TEST_USER, else the first user Graph lists, when absent. */
  user?: string | null;
  /** The clock the certificate's validity is judged by. */
  now?: Date;
}

/**
 * Runs every check once, making the real calls: nothing is kept, nothing is written, and no
 * pass is created. The authority, the broker's token and its reads go out together; with no
 * token, the Graph reads are left out (the `broker-credential` failure says why).
 */
export async function getConfigurationChecks(source: PolicySource, options: ConfigurationCheckOptions): Promise<HealthCheck[]> {
  const { log } = options;
  const [authority, access, calls] = await Promise.all([
    checkAuthorityMetadata(),
    getBrokerAccess({ log, ...(options.now === undefined ? {} : { now: options.now }) }),
    checkGraphCalls({ log, ...(options.user === undefined ? {} : { user: options.user }) }),
  ]);
  const hasToken = access.checks.some((check) => check.id === 'broker-credential' && check.status === 'ok');
  if (!hasToken) return [authority, ...access.checks, getStepUpCheck(source)];
  return [authority, ...access.checks, ...calls.checks, getTapPolicyStateCheck(calls.tapPolicy), getLifetimesCheck(source, calls.tapPolicy), getStepUpCheck(source)];
}

function getTapPolicyStateCheck(tenant: TenantTapPolicy | null): HealthCheck {
  const id = 'tap-policy-enabled';
  if (tenant === null) {
    return { id, status: 'warn', detail: "Unknown: the tenant's TAP policy could not be read (see graph-tap-policy-read).", fix: grantPermissionFix('Policy.Read.AuthenticationMethod') };
  }
  if (tenant.state === 'disabled') {
    return {
      id,
      status: 'fail',
      detail: "The tenant's Temporary Access Pass policy is disabled: Graph refuses every pass, so every target is refused.",
      fix: `${TAP_POLICY_BLADE} → Enable, and target All users (or the groups of the people who may get a pass) → Save. setup:entra does not change tenant policies.`,
    };
  }
  return { id, status: 'ok', detail: "The tenant's Temporary Access Pass policy is enabled.", fix: null };
}

/** The broker's lifetimes must lie within the tenant's bounds, or Graph refuses the passes it asks for. */
function getLifetimesCheck(source: PolicySource, tenant: TenantTapPolicy | null): HealthCheck {
  const id = 'tap-policy-lifetimes';
  if ('unavailable' in source) return { id, status: 'warn', detail: `Not checked: the broker policy could not be read (${source.unavailable}).`, fix: NO_POLICY_FIX };
  if (tenant === null) return { id, status: 'warn', detail: "Not checked: the tenant's TAP policy could not be read (see graph-tap-policy-read).", fix: grantPermissionFix('Policy.Read.AuthenticationMethod') };
  const { policy } = source;
  const range = `${tenant.minimumLifetimeInMinutes}–${tenant.maximumLifetimeInMinutes} minutes`;
  const issues = getPolicyTenantViolations(policy, tenant);
  if (issues.length === 0) {
    return { id, status: 'ok', detail: `The broker policy's lifetimes (default ${policy.defaultLifetimeInMinutes}, max ${policy.maxLifetimeInMinutes} minutes) fit the tenant's ${range}.`, fix: null };
  }
  return {
    id,
    status: 'fail',
    detail: `The broker policy (version ${policy.version}) does not fit the tenant's TAP policy (${range}${tenant.isUsableOnce ? ', one-time only' : ''}): ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}. Passes it asks for are refused.`,
    fix: `Change the broker policy in the portal's Policy page (as TapBroker.Admin) to fit, or widen the tenant's bounds in ${TAP_POLICY_BLADE} → Configure (minimum and maximum lifetime, one-time).`,
  };
}

/**
 * Step-up off is a warning, not a failure: everything works, but a manager's stolen or left-open
 * session can then reveal a pass for every reportee with no second factor.
 */
function getStepUpCheck(source: PolicySource): HealthCheck {
  if ('unavailable' in source) return { id: 'step-up', status: 'warn', detail: `Not checked: the broker policy could not be read (${source.unavailable}).`, fix: NO_POLICY_FIX };
  const { policy } = source;
  if (policy.stepUpAuthContextId === null) {
    return {
      id: 'step-up',
      status: 'warn',
      detail:
        'Step-up is off: a signed-in session is enough to reveal a pass, so a stolen or left-open manager session can get passes for every reportee.',
      fix:
        'Create a Conditional Access authentication context (c1…c99) and a Conditional Access policy for it requiring MFA with sign-in frequency "Every time", ' +
        'then set stepUpAuthContextId in the policy console (README: "Step-up (Conditional Access authentication context)").',
    };
  }
  return {
    id: 'step-up',
    status: 'ok',
    detail: `Authentication context ${policy.stepUpAuthContextId} is required for: ${getStepUpRequiredFor(policy).join(', ')}.`,
    fix: null,
  };
}
