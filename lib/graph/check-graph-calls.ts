import 'server-only';
import { z } from 'zod';
import { BrokerError } from '@/lib/core/errors';
import { getEnv } from '@/lib/env';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse } from '@/lib/graph/batch';
import { GraphRequestError, readGraphErrorBody } from '@/lib/graph/client';
import { grantPermissionFix } from '@/lib/graph/configuration-fixes';
import {
  getRoleReadRequests,
  getTapMethodsRequest,
  getUserWithChainRequest,
  parseTenantTapPolicy,
  TAP_POLICY_REQUEST,
  type TenantTapPolicy,
} from '@/lib/graph/get-target-facts';
import type { HealthCheck } from '@/lib/graph/get-broker-access';
import { getRoleScheduleInstancesRequest } from '@/lib/graph/tenant-eligibility-reads';
import type { Logger } from '@/lib/log';

/**
 * Proves each Graph read the broker makes by making it once, against one test user, exactly as
 * the broker sends it (the request builders are the broker's own): the chain read, the role
 * reads, the tenant TAP policy and the user's TAP methods. Reads only: no pass is ever created.
 * Two round trips — the test user's object id, then every read in one `$batch`.
 */

interface GraphCallCheck {
  id: string;
  what: string;
  /** What the broker needs to be granted for it (the least privileged permission). */
  permission: string;
  request: GraphBatchRequest;
  /** A read of the tenant, not of the test user. */
  tenantWide?: true;
}

export interface GraphCallChecks {
  checks: HealthCheck[];
  /** The tenant TAP policy as read (null when the read failed), for the policy checks. */
  tapPolicy: TenantTapPolicy | null;
}

const TEST_USER_FIX = 'Set DOCTOR_TEST_USER (or `npm run doctor -- --user <upn or object id>`) to an existing member user of this tenant.';
const userSchema = z.looseObject({ id: z.string().min(1), userPrincipalName: z.string().nullish() });
const firstUserSchema = z.object({ value: z.array(userSchema) });

function getCalls(userId: string): GraphCallCheck[] {
  const roles = getRoleReadRequests(userId);
  return [
    { id: 'graph-chain-read', what: 'the manager chain read ($expand=manager($levels=max))', permission: 'User.Read.All', request: getUserWithChainRequest(userId) },
    { id: 'graph-role-assignments', what: 'the role assignments read', permission: 'RoleManagement.Read.Directory', request: roles.assignments },
    { id: 'graph-role-eligibilities', what: 'the PIM role eligibilities read', permission: 'RoleManagement.Read.Directory', request: roles.eligibilities },
    {
      id: 'graph-active-role-instances',
      what: 'the active role assignment instances read',
      permission: 'RoleManagement.Read.Directory',
      request: getRoleScheduleInstancesRequest('roleAssignmentScheduleInstances'),
      tenantWide: true,
    },
    { id: 'graph-tap-policy-read', what: "the tenant's TAP policy read", permission: 'Policy.Read.AuthenticationMethod', request: TAP_POLICY_REQUEST, tenantWide: true },
    { id: 'graph-tap-methods-read', what: "the test user's TAP methods read", permission: 'UserAuthMethod-TAP.ReadWrite.All', request: getTapMethodsRequest(userId) },
  ];
}

function toCheck(call: GraphCallCheck, response: GraphBatchResponse, user: string): HealthCheck {
  const subject = call.tenantWide === true ? '' : ` for ${user}`;
  // The TAP policy answers 404 while the tenant has never configured it: a read that worked.
  if (response.status === 200 || (call.id === 'graph-tap-policy-read' && response.status === 404)) {
    return { id: call.id, status: 'ok', detail: `Graph answered ${call.what}${subject}.`, fix: null };
  }
  const code = readGraphErrorBody(response.body).code;
  if (response.status === 403) {
    return { id: call.id, status: 'fail', detail: `Graph refused ${call.what} (403${code === null ? '' : ` ${code}`}): the broker needs ${call.permission}.`, fix: grantPermissionFix(call.permission) };
  }
  return {
    id: call.id,
    status: 'fail',
    detail: `Graph answered ${response.status}${code === null ? '' : ` ${code}`} to ${call.what}${subject}.`,
    fix: response.status === 404 ? TEST_USER_FIX : `Check GRAPH_BASE_URL (${getEnv().graph.baseUrl}) and Graph's status; run the check again.`,
  };
}

/** The test user's object id: the one named, else the first user Graph lists; or the check that says why there is none. */
async function resolveTestUser(ref: string | null, log: Logger | undefined): Promise<{ id: string; label: string } | HealthCheck> {
  const request: GraphBatchRequest =
    ref === null ? { method: 'GET', url: '/users?$top=1&$select=id,userPrincipalName' } : { method: 'GET', url: `/users/${encodeURIComponent(ref)}?$select=id,userPrincipalName` };
  const [response] = await graphBatch([request], log ? { log } : {});
  const what = ref === null ? 'the first user of the tenant' : `the test user ${ref}`;
  if (response === undefined || response.status !== 200) {
    const status = response?.status ?? 0;
    return {
      id: 'graph-test-user',
      status: 'fail',
      detail: `Graph answered ${status} when the broker read ${what}${status === 403 ? ': the broker needs User.Read.All' : ''}.`,
      fix: status === 403 ? grantPermissionFix('User.Read.All') : TEST_USER_FIX,
    };
  }
  const user = ref === null ? firstUserSchema.safeParse(response.body).data?.value[0] : userSchema.safeParse(response.body).data;
  if (user === undefined) return { id: 'graph-test-user', status: 'fail', detail: `Graph listed no user to test the broker's reads with (${what}).`, fix: TEST_USER_FIX };
  return { id: user.id, label: user.userPrincipalName ?? user.id };
}

function parsePolicy(response: GraphBatchResponse | undefined): TenantTapPolicy | null {
  if (response === undefined || (response.status !== 200 && response.status !== 404)) return null;
  try {
    return parseTenantTapPolicy(response);
  } catch {
    return null;
  }
}

/**
 * Makes each of the broker's Graph reads once against the test user (`user`, else
 * DOCTOR_TEST_USER, else the first user Graph lists), one check each: a 403 names the permission
 * to grant, any other failure its status. Graph unreachable is one failing check.
 */
export async function checkGraphCalls(options: { user?: string | null; log?: Logger } = {}): Promise<GraphCallChecks> {
  const ref = options.user ?? getEnv().doctorTestUser;
  try {
    const user = await resolveTestUser(ref, options.log);
    if ('status' in user) return { checks: [user], tapPolicy: null };
    const calls = getCalls(user.id);
    const responses = await graphBatch(
      calls.map((call) => call.request),
      options.log ? { log: options.log } : {},
    );
    const checks = calls.map((call, index) => toCheck(call, responses[index] as GraphBatchResponse, user.label));
    return { checks, tapPolicy: parsePolicy(responses[calls.findIndex((call) => call.id === 'graph-tap-policy-read')]) };
  } catch (error) {
    // Unreachable, throttled past the retry budget, or an envelope Graph should never send.
    if (!(error instanceof BrokerError || error instanceof GraphRequestError)) throw error;
    options.log?.warn({ err: error }, "could not make the broker's Graph reads");
    return {
      checks: [{ id: 'graph-reachable', status: 'fail', detail: `Graph at ${getEnv().graph.baseUrl} did not answer the broker's reads: ${error.message}`, fix: 'Check GRAPH_BASE_URL and that this machine reaches it (proxy, firewall).' }],
      tapPolicy: null,
    };
  }
}
