import 'server-only';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { BROKER_PERMISSION_NEEDS, MAIL_PERMISSION_NEED, type PermissionNeed } from '@/lib/core/graph-permission-needs';
import { getEnv } from '@/lib/env';
import { getBrokerGraphToken, GraphTransportError, sendGraphRaw } from '@/lib/graph/client';
import type { Logger } from '@/lib/log';

/**
 * What the broker's own app registration may do in Graph, compared with what each feature needs:
 * the configuration checks behind `GET /api/health/details` and the boot log.
 *
 * Diagnostics only. Nothing here decides who gets a pass: every Graph call still checks its own
 * answer, and a signal the broker cannot read is `cannot-verify` at the call, whatever this says.
 */

export type HealthCheckStatus = 'ok' | 'warn' | 'fail';

export interface HealthCheck {
  /** Stable, kebab-case: what is checked (`users-and-org-chart`, `api-token-version`…). */
  id: string;
  status: HealthCheckStatus;
  /** What was found, and what breaks when it is not ok. */
  detail: string;
  /** What an administrator does about it; null when nothing needs doing. */
  fix: string | null;
}

export interface BrokerAccess {
  /** The application permissions in the broker's Graph token (`roles`); empty when none could be read. */
  roles: string[];
  checks: HealthCheck[];
}

export { BROKER_PERMISSION_NEEDS, MAIL_PERMISSION_NEED, type PermissionNeed } from '@/lib/core/graph-permission-needs';

const rolesClaimSchema = z.object({ roles: z.array(z.string()).optional() });
const applicationSchema = z.object({ api: z.object({ requestedAccessTokenVersion: z.number().int().nullable().optional() }).nullable().optional() });

function hasAny(roles: ReadonlySet<string>, accepted: readonly string[]): boolean {
  return accepted.some((permission) => roles.has(permission.toLowerCase()));
}

function grantFix(permission: string, brokerClientId: string): string {
  return `Grant the broker app (client id ${brokerClientId}) the Microsoft Graph application permission ${permission}, and grant admin consent.`;
}

function checkNeed(need: PermissionNeed, roles: ReadonlySet<string>, brokerClientId: string, missingStatus: HealthCheckStatus): HealthCheck {
  if (hasAny(roles, need.accepted)) {
    const held = need.accepted.find((permission) => roles.has(permission.toLowerCase()));
    return { id: need.id, status: 'ok', detail: `${need.feature}: granted (${held ?? need.least}).`, fix: null };
  }
  const note = need.id === 'tenant-tap-policy' && roles.has('policy.read.all') ? ' Policy.Read.All is not enough: Graph refuses it on this endpoint.' : '';
  return {
    id: need.id,
    status: missingStatus,
    detail: `Missing ${need.least} (${need.feature}): ${need.without}.${note}`,
    fix: grantFix(need.least, brokerClientId),
  };
}

/** Read-write or directory-wide permissions no feature needs: least privilege says remove them. */
function checkExcess(roles: readonly string[], mailEnabled: boolean): HealthCheck {
  const needed = new Set([...BROKER_PERMISSION_NEEDS, ...(mailEnabled ? [MAIL_PERMISSION_NEED] : [])].map((need) => need.least.toLowerCase()));
  // The TAP write permission the tenant granted instead of the narrower one is still what the
  // feature needs; only its narrower sibling would be less.
  needed.add('userauthenticationmethod.readwrite.all');
  const excess = roles.filter((role) => !needed.has(role.toLowerCase())).sort();
  if (excess.length === 0) return { id: 'least-privilege', status: 'ok', detail: 'The broker holds no Graph permission beyond what its features need.', fix: null };
  return {
    id: 'least-privilege',
    status: 'warn',
    detail: `The broker holds Graph permissions no feature needs, or wider ones than needed: ${excess.join(', ')}.`,
    fix: 'Remove them from the broker app registration (API permissions) once the narrower permission of each feature is granted.',
  };
}

/**
 * Whether the portal API's registration issues v2 access tokens (`api.requestedAccessTokenVersion`
 * 2). With 1 or null, Entra issues v1 tokens, which the portal refuses at every sign-in.
 */
async function checkApiTokenVersion(roles: ReadonlySet<string>, log: Logger | undefined): Promise<HealthCheck> {
  const env = getEnv();
  const id = 'api-token-version';
  const manual = `In the API app registration (client id ${env.api.clientId}) manifest, set "requestedAccessTokenVersion": 2 (accessTokenAcceptedVersion in older manifests).`;
  const portalAppRoles = BROKER_PERMISSION_NEEDS.find((need) => need.id === 'portal-app-roles');
  if (portalAppRoles === undefined || !hasAny(roles, portalAppRoles.accepted)) {
    return { id, status: 'warn', detail: 'Unknown: reading the API registration needs Application.Read.All, which the broker lacks.', fix: manual };
  }
  let answer: Awaited<ReturnType<typeof sendGraphRaw>>;
  try {
    answer = await sendGraphRaw({ method: 'GET', url: `/applications(appId='${env.api.clientId}')?$select=api` });
  } catch (error) {
    if (!(error instanceof GraphTransportError)) throw error;
    log?.warn({ err: error }, 'could not read the API registration from Graph');
    return { id, status: 'warn', detail: 'Unknown: Graph could not be reached to read the API registration.', fix: manual };
  }
  if (answer.status !== 200) {
    return {
      id,
      status: 'warn',
      detail: `Unknown: Graph answered ${answer.status} when the broker read the API registration (${answer.status === 404 ? 'no application with the API client id in this tenant' : 'not allowed or not available'}).`,
      fix: manual,
    };
  }
  const parsed = applicationSchema.safeParse(answer.body);
  if (!parsed.success) return { id, status: 'warn', detail: 'Unknown: Graph answered the API registration with an unexpected shape.', fix: manual };
  const version = parsed.data.api?.requestedAccessTokenVersion ?? null;
  if (version === 2) return { id, status: 'ok', detail: 'The API registration issues v2 access tokens (requestedAccessTokenVersion 2).', fix: null };
  return {
    id,
    status: 'fail',
    detail: `The API registration issues v1 access tokens (requestedAccessTokenVersion ${version ?? 'null'}): the portal refuses every sign-in with a 401 saying so.`,
    fix: manual,
  };
}

/**
 * The broker's Graph permissions, checked feature by feature.
 *
 * Obtains the broker's app token exactly as the Graph client does (same msal-node client, a fresh
 * token so recent grants show) and decodes — without verifying — its `roles` claim: the token
 * comes straight from the token endpoint over TLS and is read for diagnostics only. Then, when
 * it may, reads the API registration's `requestedAccessTokenVersion` (one Graph call).
 *
 * Never throws for a configuration problem: a token that cannot be obtained is one failing
 * `broker-credential` check (the msal error code only: never the secret or the token).
 */
export async function getBrokerAccess(options: { log?: Logger } = {}): Promise<BrokerAccess> {
  const env = getEnv();
  let token: string;
  try {
    token = await getBrokerGraphToken({ fresh: true });
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'errorCode' in error && typeof error.errorCode === 'string' ? error.errorCode : null;
    options.log?.warn({ errorCode: code }, 'the broker could not obtain its Graph token');
    return {
      roles: [],
      checks: [
        {
          id: 'broker-credential',
          status: 'fail',
          detail: `The broker could not obtain its Graph token${code === null ? '' : ` (${code})`}: nothing that needs Graph works.`,
          fix: 'Check BROKER_CLIENT_ID and the broker credential (BROKER_CLIENT_SECRET or BROKER_CERTIFICATE_PATH) against the broker app registration, and that the authority is reachable.',
        },
      ],
    };
  }
  let roles: string[] = [];
  try {
    const parsed = rolesClaimSchema.safeParse(decodeJwt(token));
    roles = parsed.success ? (parsed.data.roles ?? []) : [];
  } catch {
    // An opaque (non-JWT) token: nothing to read; every permission check then says so.
  }
  const granted = new Set(roles.map((role) => role.toLowerCase()));
  const mailEnabled = env.mail.sender !== null;
  const checks: HealthCheck[] = [
    { id: 'broker-credential', status: 'ok', detail: 'The broker obtained its Graph token.', fix: null },
    ...BROKER_PERMISSION_NEEDS.map((need) => checkNeed(need, granted, env.broker.clientId, 'fail')),
    mailEnabled
      ? checkNeed(MAIL_PERMISSION_NEED, granted, env.broker.clientId, 'warn')
      : { id: MAIL_PERMISSION_NEED.id, status: 'ok' as const, detail: 'Notification mail is off (MAIL_SENDER unset); Mail.Send is not needed.', fix: null },
    checkExcess(roles, mailEnabled),
    await checkApiTokenVersion(granted, options.log),
  ];
  return { roles: [...roles].sort(), checks };
}
