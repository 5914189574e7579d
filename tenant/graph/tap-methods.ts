/**
 * `temporaryAccessPassMethods` (docs/graph-behaviours.md#tap-methods). Security invariant: the
 * pass value exists only in the 201 response of Create. It is never stored (`TapMethod` has no field for it), never
 * logged, and GET/List report `temporaryAccessPass: null`.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { endTapMethodLogEntry, getTransitiveGroupIds, logTapMethodCreated } from '../directory';
import { hashPass } from '../tap-passes';
import type { DirectoryUser, TapMethod, TapPolicy, TenantContext } from '../types';
import { getTapUsability } from '../tap-usability';
import {
  GraphHttpError,
  graphRoot,
  isJsonContentType,
  isPlainObject,
  jsonResponse,
  noContent,
  notFoundResource,
  parseJsonBody,
  type GraphEnv,
  type GraphResponse,
} from './http';
import { TAP_READ, TAP_WRITE, requireAuthMethods } from './permissions';
import { getUserOrThrow } from './users';

const TAP_TYPE = '#microsoft.graph.temporaryAccessPassAuthenticationMethod';
const LIFETIME_FLOOR = 10;
const LIFETIME_CEILING = 43200;

/** Graph prints whole-second times without fractions (`2022-06-05T00:00:00Z`). */
function graphTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function methodView(env: GraphEnv, m: TapMethod, pass: string | null): Record<string, unknown> {
  return {
    '@odata.type': TAP_TYPE,
    id: m.id,
    temporaryAccessPass: pass,
    createdDateTime: m.createdDateTime,
    startDateTime: m.startDateTime,
    lifetimeInMinutes: m.lifetimeInMinutes,
    isUsableOnce: m.isUsableOnce,
    ...getTapUsability(m, env.ctx.directory.tapPolicy),
  };
}

/*
 * The character set of Entra's passes is undocumented; its sample ("+drkzqAD") mixes cases and a
 * symbol. Ours: letters and digits without look-alikes (0/O, 1/l/I), plus a few symbols that need
 * no escaping in JSON, HTML text or a shell's single quotes.
 */
const PASS_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-=!@#%*?';

/** A pass of `length` characters from a CSPRNG (`crypto.randomInt` is unbiased). */
export function generateTemporaryAccessPass(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASS_ALPHABET[randomInt(PASS_ALPHABET.length)];
  return out;
}

function tapBadRequest(message: string): GraphHttpError {
  return new GraphHttpError(400, 'badRequest', message);
}

function isTargeted(ctx: TenantContext, policy: TapPolicy, user: DirectoryUser): boolean {
  // Targets are groups (or `all_users`); exclusions win, as in Entra. A target naming the user's
  // own id is honoured too (the target-type enum also has `user`).
  const mine = new Set([user.id, ...getTransitiveGroupIds(ctx.directory, user.id)].map((id) => id.toLowerCase()));
  const hits = (t: { id: string }): boolean => t.id.toLowerCase() === 'all_users' || mine.has(t.id.toLowerCase());
  return policy.includeTargets.some(hits) && !policy.excludeTargets.some(hits);
}

function countEvent(ctx: TenantContext, name: string): void {
  ctx.stats.events[name] = (ctx.stats.events[name] ?? 0) + 1;
}

function serviceUnavailable(): GraphHttpError {
  return new GraphHttpError(503, 'serviceNotAvailable', 'Service unavailable. Please try again later.');
}

function methodsOf(env: GraphEnv, userId: string): TapMethod[] {
  return env.ctx.directory.tapMethods.get(userId) ?? [];
}

/** `POST /users/{id|upn}/authentication/temporaryAccessPassMethods` → 201 with the pass. */
export function createTap(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireAuthMethods(env, TAP_WRITE);
  const faults = env.ctx.faults;
  if (faults.tapCreateFailNext > 0) {
    faults.tapCreateFailNext -= 1;
    throw serviceUnavailable();
  }
  if (!isJsonContentType(env.req)) {
    // Graph requires Content-Type application/json; its exact answer without it is undocumented.
    throw new GraphHttpError(415, 'UnsupportedMediaType', "A supported MIME type could not be found that matches the content type of the response. Content-Type must be 'application/json'.");
  }
  const user = getUserOrThrow(env, idOrUpn);
  const raw = parseJsonBody(env.req) ?? {};
  if (!isPlainObject(raw)) throw tapBadRequest('Invalid request body.');
  const { lifetimeInMinutes, startDateTime, isUsableOnce } = raw;
  for (const key of Object.keys(raw)) {
    if (!['@odata.type', 'lifetimeInMinutes', 'startDateTime', 'isUsableOnce'].includes(key)) {
      throw tapBadRequest(`Invalid property '${key}' specified.`);
    }
  }
  if (lifetimeInMinutes !== undefined && lifetimeInMinutes !== null && !(typeof lifetimeInMinutes === 'number' && Number.isInteger(lifetimeInMinutes))) {
    throw tapBadRequest('Invalid LifetimeInMinutes specified.');
  }
  if (isUsableOnce !== undefined && isUsableOnce !== null && typeof isUsableOnce !== 'boolean') {
    throw tapBadRequest('Invalid IsUsableOnce specified.');
  }
  let startMs = Date.now();
  if (startDateTime !== undefined && startDateTime !== null) {
    if (typeof startDateTime !== 'string' || Number.isNaN(Date.parse(startDateTime))) throw tapBadRequest('Invalid StartDateTime specified.');
    startMs = Date.parse(startDateTime);
  }

  const policy = env.ctx.directory.tapPolicy;
  if (policy.state !== 'enabled' || !isTargeted(env.ctx, policy, user)) {
    // Graph's observed message; the status is undocumented. We answer 400 badRequest, the
    // most conservative reading: the request is refused and nothing is created.
    throw tapBadRequest('Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].');
  }
  if (user.userType === 'Guest' && user.userPrincipalName.includes('#EXT#')) {
    throw tapBadRequest('Temporary Access Pass cannot be added to an external guest user.');
  }
  const lifetime = typeof lifetimeInMinutes === 'number' ? lifetimeInMinutes : policy.defaultLifetimeInMinutes;
  if (lifetime < Math.max(policy.minimumLifetimeInMinutes, LIFETIME_FLOOR) || lifetime > Math.min(policy.maximumLifetimeInMinutes, LIFETIME_CEILING)) {
    throw tapBadRequest(`Invalid LifetimeInMinutes specified. The valid range between ${policy.minimumLifetimeInMinutes} and ${policy.maximumLifetimeInMinutes}.`);
  }
  const once = typeof isUsableOnce === 'boolean' ? isUsableOnce : policy.isUsableOnce;
  if (policy.isUsableOnce && !once) {
    // Docs say only that a multi-use pass needs the policy's consent; the real error is undocumented.
    throw tapBadRequest('The authentication method policy allows only one-time Temporary Access Passes. IsUsableOnce must be true.');
  }

  const pass = generateTemporaryAccessPass(policy.defaultLength);
  const method: TapMethod = {
    id: randomUUID(),
    userId: user.id,
    createdDateTime: new Date().toISOString(),
    startDateTime: graphTimestamp(startMs),
    lifetimeInMinutes: lifetime,
    isUsableOnce: once,
    usedDateTime: null,
    passHash: hashPass(pass),
  };
  // A user has at most one pass: Create replaces the previous one (current v1.0 docs).
  for (const previous of methodsOf(env, user.id)) endTapMethodLogEntry(env.ctx.directory, previous.id, 'replaced');
  env.ctx.directory.tapMethods.set(user.id, [method]);
  logTapMethodCreated(env.ctx.directory, method);
  countEvent(env.ctx, 'tapMethod.created');
  // Crash-test faults: the pass exists now, but the caller will not learn of it.
  if (faults.tapCreateHangNext > 0) {
    faults.tapCreateHangNext -= 1;
    return { status: 0, headers: {}, body: undefined, hang: true };
  }
  if (faults.tapCreateFailAfterNext > 0) {
    faults.tapCreateFailAfterNext -= 1;
    throw serviceUnavailable();
  }
  return jsonResponse(
    env.req,
    201,
    {
      '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#users('${user.id}')/authentication/temporaryAccessPassMethods/$entity`,
      ...methodView(env, method, pass),
    },
    { 'Cache-Control': 'no-store', Location: `${graphRoot(env.ctx, env.req.version)}/users/${user.id}/authentication/temporaryAccessPassMethods/${method.id}` },
  );
}

/** `GET …/temporaryAccessPassMethods` — at most one item, pass always null. */
export function listTaps(env: GraphEnv, idOrUpn: string): GraphResponse {
  requireAuthMethods(env, TAP_READ);
  const user = getUserOrThrow(env, idOrUpn);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#users('${user.id}')/authentication/temporaryAccessPassMethods`,
    value: methodsOf(env, user.id).map((m) => methodView(env, m, null)),
  });
}

function getMethodOrThrow(env: GraphEnv, userId: string, methodId: string): TapMethod {
  const m = methodsOf(env, userId).find((x) => x.id.toLowerCase() === methodId.toLowerCase());
  // Graph's error code for auth-method lookups is unverified; we use the directory's 404.
  if (m === undefined) throw notFoundResource(methodId);
  return m;
}

/** `GET …/temporaryAccessPassMethods/{id}` — pass always null. */
export function getTap(env: GraphEnv, idOrUpn: string, methodId: string): GraphResponse {
  requireAuthMethods(env, TAP_READ);
  const user = getUserOrThrow(env, idOrUpn);
  const m = getMethodOrThrow(env, user.id, methodId);
  return jsonResponse(env.req, 200, {
    '@odata.context': `${graphRoot(env.ctx, env.req.version)}/$metadata#users('${user.id}')/authentication/temporaryAccessPassMethods/$entity`,
    ...methodView(env, m, null),
  });
}

/** `DELETE …/temporaryAccessPassMethods/{id}` → 204. */
export function deleteTap(env: GraphEnv, idOrUpn: string, methodId: string): GraphResponse {
  requireAuthMethods(env, TAP_WRITE);
  const user = getUserOrThrow(env, idOrUpn);
  const m = getMethodOrThrow(env, user.id, methodId);
  const rest = methodsOf(env, user.id).filter((x) => x !== m);
  if (rest.length === 0) env.ctx.directory.tapMethods.delete(user.id);
  else env.ctx.directory.tapMethods.set(user.id, rest);
  endTapMethodLogEntry(env.ctx.directory, m.id, 'deleted');
  countEvent(env.ctx, 'tapMethod.deleted');
  return noContent(env.req);
}
