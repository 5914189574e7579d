import 'server-only';
import { z } from 'zod';
import { APP_ROLES } from '@/lib/contract/roles';
import { BrokerError } from '@/lib/core/errors';
import { getEnv } from '@/lib/env';
import { graphBatch, type GraphBatchRequest, type GraphBatchResponse } from '@/lib/graph/batch';
import { GraphRequestError } from '@/lib/graph/client';
import { apiRegistration, grantPermissionFix, portalRegistration, registrationFix } from '@/lib/graph/configuration-fixes';
import type { HealthCheck } from '@/lib/graph/get-broker-access';
import type { Logger } from '@/lib/log';

/**
 * The configuration checks of the app registrations, read by the broker through Graph in one
 * `$batch`: the API's token version, scope and app roles, the SPA's redirect URI, and the mail
 * sender's mailbox. Diagnostics only (see get-broker-access.ts).
 */

const apiApplicationSchema = z.object({
  identifierUris: z.array(z.string()).nullish(),
  api: z
    .object({
      requestedAccessTokenVersion: z.number().int().nullish(),
      oauth2PermissionScopes: z.array(z.looseObject({ value: z.string().nullish(), isEnabled: z.boolean().nullish() })).nullish(),
    })
    .nullish(),
  appRoles: z.array(z.looseObject({ value: z.string().nullish(), isEnabled: z.boolean().nullish(), allowedMemberTypes: z.array(z.string()).nullish() })).nullish(),
});
type ApiApplication = z.infer<typeof apiApplicationSchema>;

const spaApplicationSchema = z.object({ spa: z.object({ redirectUris: z.array(z.string()).nullish() }).nullish() });
const mailboxSchema = z.object({ id: z.string().min(1), mail: z.string().nullish() });

export interface RegistrationReadAccess {
  /** Application.Read.All (or wider): the registrations may be read. */
  applications: boolean;
  /** User.Read.All (or wider): the sender's mailbox may be looked up. */
  users: boolean;
}

/** One registration read's answer; 'unreachable' when the `$batch` got none. */
type Answer = GraphBatchResponse | 'unreachable';

/** The 200 answer, or the check that says why there is none (404: the object is not in this tenant). */
function answered(id: string, answer: Answer, what: string, fix: string): GraphBatchResponse | HealthCheck {
  if (answer === 'unreachable') return { id, status: 'warn', detail: `Unknown: Graph could not be reached to read ${what}.`, fix };
  if (answer.status === 200) return answer;
  if (answer.status === 404) return { id, status: 'fail', detail: `Graph found no ${what} in this tenant (404).`, fix };
  return { id, status: 'warn', detail: `Unknown: Graph answered ${answer.status} when the broker read ${what}.`, fix };
}

function isCheck(value: GraphBatchResponse | HealthCheck): value is HealthCheck {
  return 'id' in value;
}

const NO_APPLICATION_READ = 'Unknown: reading the app registrations needs Application.Read.All, which the broker lacks.';

function checkTokenVersion(app: ApiApplication): HealthCheck {
  const version = app.api?.requestedAccessTokenVersion ?? null;
  if (version === 2) return { id: 'api-token-version', status: 'ok', detail: 'The API registration issues v2 access tokens (requestedAccessTokenVersion 2).', fix: null };
  return {
    id: 'api-token-version',
    status: 'fail',
    detail: `The API registration issues v1 access tokens (requestedAccessTokenVersion ${version ?? 'null'}): the portal refuses every sign-in with a 401 saying so.`,
    fix: registrationFix('', `${apiRegistration()} → Manifest → set "requestedAccessTokenVersion": 2 (accessTokenAcceptedVersion in older manifests) → Save`),
  };
}

function checkScope(app: ApiApplication): HealthCheck {
  const { scope, scopeName, applicationIdUri } = getEnv().api;
  const fix = registrationFix('', `${apiRegistration()} → Expose an API → Application ID URI ${applicationIdUri}, and Add a scope "${scopeName}" (Admins and users, enabled)`);
  const uris = app.identifierUris ?? [];
  if (!uris.includes(applicationIdUri)) {
    return { id: 'api-scope', status: 'fail', detail: `API_SCOPE names ${applicationIdUri}, but the API registration's Application ID URIs are: ${uris.join(', ') || 'none'}. No token for ${scope} can be issued.`, fix };
  }
  const exposed = (app.api?.oauth2PermissionScopes ?? []).find((s) => s.value === scopeName);
  if (exposed === undefined || exposed.isEnabled === false) {
    return { id: 'api-scope', status: 'fail', detail: `The API registration does not expose an enabled scope "${scopeName}" (API_SCOPE): nobody can sign in to the portal.`, fix };
  }
  return { id: 'api-scope', status: 'ok', detail: `The API registration exposes ${scope}.`, fix: null };
}

function checkAppRoles(app: ApiApplication): HealthCheck {
  const roles = app.appRoles ?? [];
  const problems = Object.values(APP_ROLES).flatMap((value) => {
    const role = roles.find((r) => r.value === value);
    if (role === undefined) return [`${value} is missing`];
    if (role.isEnabled === false) return [`${value} is disabled`];
    if (!(role.allowedMemberTypes ?? []).includes('User')) return [`${value} cannot be assigned to users and groups`];
    return [];
  });
  if (problems.length === 0) return { id: 'api-app-roles', status: 'ok', detail: `The API registration defines ${Object.values(APP_ROLES).join(', ')} for users and groups.`, fix: null };
  return {
    id: 'api-app-roles',
    status: 'fail',
    detail: `The API registration's app roles are incomplete (${problems.join('; ')}): nobody holding them can approve, audit or administer.`,
    fix: registrationFix('', `${apiRegistration()} → App roles → Create app role: value ${Object.values(APP_ROLES).join(' / ')}, allowed member types Users/Groups, enabled`),
  };
}

function checkRedirectUri(answer: Answer | null): HealthCheck {
  const id = 'portal-redirect-uri';
  const portalUrl = getEnv().portalUrl;
  if (portalUrl === null) {
    return {
      id,
      status: 'warn',
      detail: 'Not checked: PORTAL_URL is unset, so the portal redirect URI to look for is unknown.',
      fix: 'Set PORTAL_URL to where people open the portal (README: Configuration); `npm run setup:entra -- --portal-url <URL>` registers it and writes it.',
    };
  }
  // The SPA signs in with its bare origin as redirect URI (lib/client/msal.ts), whatever path PORTAL_URL has.
  const redirectUri = new URL(portalUrl).origin;
  const fix = registrationFix(`--portal-url ${portalUrl}`, `${portalRegistration()} → Authentication → Single-page application → Add URI ${redirectUri}`);
  if (answer === null) return { id, status: 'warn', detail: NO_APPLICATION_READ, fix };
  const response = answered(id, answer, 'the portal (SPA) registration', fix);
  if (isCheck(response)) return response;
  const parsed = spaApplicationSchema.safeParse(response.body);
  if (!parsed.success) return { id, status: 'warn', detail: 'Unknown: Graph answered the portal registration with an unexpected shape.', fix };
  const uris = parsed.data.spa?.redirectUris ?? [];
  if (uris.includes(redirectUri)) return { id, status: 'ok', detail: `The portal registration lists ${redirectUri} as a single-page application redirect URI.`, fix: null };
  return {
    id,
    status: 'fail',
    detail: `The portal registration's single-page application redirect URIs (${uris.join(', ') || 'none'}) do not include ${redirectUri} (PORTAL_URL's origin): sign-in fails with AADSTS50011.`,
    fix,
  };
}

function checkMailbox(answer: Answer | null): HealthCheck {
  const id = 'mail-sender';
  const sender = getEnv().mail.sender;
  if (sender === null) return { id, status: 'ok', detail: 'Notification mail is off (MAIL_SENDER unset): no mailbox to check.', fix: null };
  const fix = `Set MAIL_SENDER to the user principal name of an existing mailbox (a user or shared mailbox with Exchange Online), e.g. one made in Microsoft 365 admin center → Teams & groups → Shared mailboxes; then run \`npm run setup:entra -- --mail-sender <that mailbox>\`.`;
  if (answer === null) return { id, status: 'warn', detail: `Unknown: looking up the mailbox ${sender} needs User.Read.All, which the broker lacks.`, fix: grantPermissionFix('User.Read.All') };
  const response = answered(id, answer, `the mailbox MAIL_SENDER ${sender}`, fix);
  if (isCheck(response)) return response;
  const parsed = mailboxSchema.safeParse(response.body);
  if (!parsed.success) return { id, status: 'warn', detail: 'Unknown: Graph answered the mailbox look-up with an unexpected shape.', fix };
  if (parsed.data.mail === null || parsed.data.mail === undefined) {
    return { id, status: 'fail', detail: `MAIL_SENDER ${sender} is a user without a mailbox (no mail address): sendMail fails.`, fix };
  }
  return { id, status: 'ok', detail: `MAIL_SENDER ${sender} is a mailbox (${parsed.data.mail}).`, fix: null };
}

function checkApi(answer: Answer | null): HealthCheck[] {
  const ids = ['api-token-version', 'api-scope', 'api-app-roles'];
  const fix = registrationFix('', `${apiRegistration()} (Overview → Application (client) ID must equal API_CLIENT_ID)`);
  if (answer === null) return ids.map((id) => ({ id, status: 'warn', detail: NO_APPLICATION_READ, fix: registrationFix('', `${apiRegistration()} → Manifest`) }));
  const response = answered('api', answer, `the API registration (API_CLIENT_ID ${getEnv().api.clientId})`, fix);
  if (isCheck(response)) return ids.map((id) => ({ ...response, id }));
  const parsed = apiApplicationSchema.safeParse(response.body);
  if (!parsed.success) return ids.map((id) => ({ id, status: 'warn', detail: 'Unknown: Graph answered the API registration with an unexpected shape.', fix }));
  return [checkTokenVersion(parsed.data), checkScope(parsed.data), checkAppRoles(parsed.data)];
}

/**
 * The registration checks, in one `$batch` (the reads the broker may make: registrations with
 * Application.Read.All, the sender's mailbox with User.Read.All; none at all when it may make
 * neither). Never throws for Graph being unreachable: those checks are then `warn`.
 */
export async function checkRegistrations(access: RegistrationReadAccess, options: { log?: Logger } = {}): Promise<HealthCheck[]> {
  const env = getEnv();
  const requests: Record<'api' | 'spa' | 'mailbox', GraphBatchRequest | null> = {
    api: access.applications ? { method: 'GET', url: `/applications(appId='${env.api.clientId}')?$select=identifierUris,api,appRoles` } : null,
    spa: access.applications && env.portalUrl !== null ? { method: 'GET', url: `/applications(appId='${env.portal.clientId}')?$select=spa` } : null,
    mailbox: access.users && env.mail.sender !== null ? { method: 'GET', url: `/users/${encodeURIComponent(env.mail.sender)}?$select=id,mail` } : null,
  };
  const keys = (Object.keys(requests) as (keyof typeof requests)[]).filter((key) => requests[key] !== null);
  const answers: Record<string, Answer | null> = { api: null, spa: null, mailbox: null };
  try {
    const responses = keys.length === 0 ? [] : await graphBatch(keys.map((key) => requests[key] as GraphBatchRequest), options.log ? { log: options.log } : {});
    keys.forEach((key, index) => (answers[key] = responses[index] ?? 'unreachable'));
  } catch (error) {
    if (!(error instanceof BrokerError || error instanceof GraphRequestError)) throw error;
    options.log?.warn({ err: error }, 'could not read the app registrations from Graph');
    for (const key of keys) answers[key] = 'unreachable';
  }
  return [
    ...checkApi(answers.api ?? null),
    checkRedirectUri(answers.spa ?? null),
    checkMailbox(answers.mailbox ?? null),
  ];
}
