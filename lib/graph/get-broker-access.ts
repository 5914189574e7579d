import 'server-only';
import { X509Certificate } from 'node:crypto';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { HealthCheck } from '@/lib/contract/session';
import { BROKER_PERMISSION_NEEDS, MAIL_PERMISSION_NEED, type PermissionNeed } from '@/lib/core/graph-permission-needs';
import { getEnv } from '@/lib/env';
import { checkRegistrations } from '@/lib/graph/check-registrations';
import { getBrokerGraphToken } from '@/lib/graph/client';
import { brokerRegistration, grantPermissionFix } from '@/lib/graph/configuration-fixes';
import type { Logger } from '@/lib/log';

/**
 * What the broker's own app registration may do in Graph, compared with what each feature needs,
 * its credential, and the registrations it reads: the configuration checks behind
 * `GET /api/health/details`, `npm run doctor` and the boot log.
 *
 * Diagnostics only. Nothing here decides who gets a pass: every Graph call still checks its own
 * answer, and a signal the broker cannot read is `cannot-verify` at the call, whatever this says.
 */

export type { HealthCheck } from '@/lib/contract/session';
export type HealthCheckStatus = HealthCheck['status'];

export interface BrokerAccess {
  /** The application permissions in the broker's Graph token (`roles`); empty when none could be read. */
  roles: string[];
  checks: HealthCheck[];
}

export { BROKER_PERMISSION_NEEDS, MAIL_PERMISSION_NEED, type PermissionNeed } from '@/lib/core/graph-permission-needs';

const rolesClaimSchema = z.object({ roles: z.array(z.string()).optional() });

function hasAny(roles: ReadonlySet<string>, accepted: readonly string[]): boolean {
  return accepted.some((permission) => roles.has(permission.toLowerCase()));
}

function checkNeed(need: PermissionNeed, roles: ReadonlySet<string>): HealthCheck {
  if (hasAny(roles, need.accepted)) {
    const held = need.accepted.find((permission) => roles.has(permission.toLowerCase()));
    return { id: need.id, status: 'ok', detail: `${need.feature}: granted (${held ?? need.least}).`, fix: null };
  }
  const note = need.id === 'tenant-tap-policy' && roles.has('policy.read.all') ? ' Policy.Read.All is not enough: Graph refuses it on this endpoint.' : '';
  return {
    id: need.id,
    status: 'fail',
    detail: `Missing ${need.least} (${need.feature}): ${need.without}.${note}`,
    fix: grantPermissionFix(need.least),
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
    fix: `Entra admin center → App registrations → ${brokerRegistration()} → API permissions → Remove permission, for each of them (\`npm run setup:entra\` grants the narrower ones).`,
  };
}

/** Certificates due within this many days are a warning: the broker stops working when one expires. */
const CERTIFICATE_WARN_DAYS = 30;

/**
 * The broker's local certificate (BROKER_CERTIFICATE_PATH, already loaded by lib/env.ts): expired
 * fails (Entra refuses its assertions), due within 30 days warns.
 */
export function checkBrokerCertificate(now: Date = new Date()): HealthCheck {
  const env = getEnv();
  const id = 'broker-certificate';
  const { credential } = env.broker;
  if (credential.kind === 'secret') return { id, status: 'ok', detail: 'The broker signs in with a client secret (BROKER_CLIENT_SECRET); no local certificate to check.', fix: null };
  const leaf = new X509Certificate(credential.certificatePem);
  const notAfter = new Date(leaf.validTo);
  const fix =
    'Run `npm run setup:entra` (it adds a fresh certificate to the broker registration and writes it to BROKER_CERTIFICATE_PATH), ' +
    `or upload a new one in Entra admin center → App registrations → ${brokerRegistration()} → Certificates & secrets → Certificates → Upload certificate.`;
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  if (notAfter.getTime() <= now.getTime()) {
    return { id, status: 'fail', detail: `The broker certificate expired (notAfter ${notAfter.toISOString()}): Entra refuses its sign-in, and nothing that needs Graph works.`, fix };
  }
  if (days < CERTIFICATE_WARN_DAYS) {
    return { id, status: 'warn', detail: `The broker certificate expires in ${days} day${days === 1 ? '' : 's'} (notAfter ${notAfter.toISOString()}).`, fix };
  }
  return { id, status: 'ok', detail: `The broker certificate is valid until ${notAfter.toISOString()}.`, fix: null };
}

function hasApplicationRead(roles: ReadonlySet<string>): boolean {
  const need = BROKER_PERMISSION_NEEDS.find((n) => n.id === 'portal-app-roles');
  return need !== undefined && hasAny(roles, need.accepted);
}

function hasUserRead(roles: ReadonlySet<string>): boolean {
  const need = BROKER_PERMISSION_NEEDS.find((n) => n.id === 'users-and-org-chart');
  return need !== undefined && hasAny(roles, need.accepted);
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
export async function getBrokerAccess(options: { log?: Logger; now?: Date } = {}): Promise<BrokerAccess> {
  const env = getEnv();
  const certificate = checkBrokerCertificate(options.now);
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
          fix:
            'Run `npm run setup:entra` (it registers the broker with a fresh certificate and writes BROKER_CLIENT_ID and BROKER_CERTIFICATE_PATH), ' +
            `or check them against Entra admin center → App registrations → ${brokerRegistration()} → Overview and Certificates & secrets.`,
        },
        certificate,
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
    certificate,
    ...BROKER_PERMISSION_NEEDS.map((need) => checkNeed(need, granted)),
    mailEnabled
      ? checkNeed(MAIL_PERMISSION_NEED, granted)
      : { id: MAIL_PERMISSION_NEED.id, status: 'ok' as const, detail: 'Notification mail is off (MAIL_SENDER unset); Mail.Send is not needed.', fix: null },
    checkExcess(roles, mailEnabled),
    ...(await checkRegistrations({ applications: hasApplicationRead(granted), users: hasUserRead(granted) }, options.log ? { log: options.log } : {})),
  ];
  return { roles: [...roles].sort(), checks };
}
