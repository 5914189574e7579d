/**
 * Conditional Access authentication contexts, as the local tenant enforces them.
 *
 * A client asks for a context with the OIDC `claims` request parameter, the way MSAL passes on
 * an API's claims challenge: `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}` (or
 * `values: [...]`; MSAL may merge other members such as `xms_cc`, which are ignored). The
 * sign-in then has to satisfy what the context's policy demands — here a second factor when
 * `requireMfa`, within `signInFrequencyMinutes` when set — before a token may list the context in
 * `acrs`. What a sign-in proved travels with its code and refresh tokens, with the time it was
 * proved, so a refresh can carry it on but never invent it.
 *
 * A context whose sign-in frequency is "every time" is proved only by what the user did in the
 * authorize flow at hand (the code just accepted, or the password just entered): the session's
 * earlier sign-in does not count, and only that flow's authorization code carries the proof,
 * never a refresh token. A stolen or left-open session therefore cannot satisfy it.
 */
import { matchTotpCode } from '../mfa';
import type { AuthContextDefinition, Directory, DirectoryUser } from '../types';
import { entraError, type EntraError } from './errors';
import type { OidcState, ProvenAuthContext } from './state';
import { GRAPH_APP_ID } from './tokens';

/** Wrong codes allowed in one sign-in before it ends with `access_denied`. */
export const MAX_SECOND_FACTOR_FAILURES = 5;

export type ClaimsRequest = { ok: true; authContexts: string[] } | { ok: false; error: EntraError };

function invalidClaims(detail: string): ClaimsRequest {
  return { ok: false, error: entraError('invalid_request', 90100, `claims parameter is empty or not valid. ${detail}`) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the authentication contexts a `claims` request parameter names in `access_token.acrs`
 * (`value` or `values`; `essential` is not required: a named context is always enforced).
 * @param raw the parameter, already URL-decoded; null or empty when absent
 * @returns the named context ids (each defined in the directory), or an `invalid_request` error
 */
export function parseClaimsRequest(raw: string | null, dir: Directory): ClaimsRequest {
  if (raw === null || raw.trim() === '') return { ok: true, authContexts: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    return invalidClaims('It must be a JSON object.');
  }
  if (!isObject(parsed)) return invalidClaims('It must be a JSON object.');
  const accessToken = parsed.access_token;
  if (accessToken === undefined || accessToken === null) return { ok: true, authContexts: [] };
  if (!isObject(accessToken)) return invalidClaims("'access_token' must be an object.");
  const acrs = accessToken.acrs;
  if (acrs === undefined || acrs === null) return { ok: true, authContexts: [] };
  if (!isObject(acrs)) return invalidClaims("'access_token.acrs' must be an object.");
  const ids: string[] = [];
  if (acrs.value !== undefined) {
    if (typeof acrs.value !== 'string') return invalidClaims("'acrs.value' must be a string.");
    ids.push(acrs.value);
  }
  if (acrs.values !== undefined) {
    if (!Array.isArray(acrs.values) || !acrs.values.every((v): v is string => typeof v === 'string')) {
      return invalidClaims("'acrs.values' must be an array of strings.");
    }
    ids.push(...acrs.values);
  }
  const unique = [...new Set(ids)];
  const unknown = unique.find((id) => !dir.authContexts.has(id));
  if (unknown !== undefined) {
    return invalidClaims(`The authentication context '${unknown}' is not defined in this tenant.`);
  }
  return { ok: true, authContexts: unique };
}

function isFresh(def: AuthContextDefinition, provenAt: number, nowSeconds: number): boolean {
  return def.signInFrequencyMinutes === null || nowSeconds - provenAt <= def.signInFrequencyMinutes * 60;
}

export interface SessionProofs {
  proven: ProvenAuthContext[];
  /** Named contexts that need a second factor this session has not (recently) passed. */
  needSecondFactor: AuthContextDefinition[];
  /** Named contexts whose sign-in frequency the session's password sign-in is too old for. */
  needFreshSignIn: AuthContextDefinition[];
}

/** What the user did in the authorize flow being answered, as opposed to earlier in the session. */
export interface JustProved {
  /** The password (or a Temporary Access Pass) was entered in this flow. */
  password: boolean;
  /** A second factor was accepted in this flow. */
  secondFactor: boolean;
}

/**
 * What a sign-in session proves of the named contexts: a context with `requireMfa` by the
 * session's last second factor, any other by the sign-in itself; each within its sign-in
 * frequency. A context asked for "every time" counts only what `justProved` says this flow did.
 */
export function proveWithSession(
  dir: Directory,
  requested: readonly string[],
  session: { authTime: number; mfaTime: number | null },
  nowSeconds: number,
  justProved: JustProved,
): SessionProofs {
  const out: SessionProofs = { proven: [], needSecondFactor: [], needFreshSignIn: [] };
  for (const id of requested) {
    const def = dir.authContexts.get(id);
    if (!def) continue;
    if (def.requireMfa) {
      const passed = def.everyTime ? justProved.secondFactor : session.mfaTime !== null && isFresh(def, session.mfaTime, nowSeconds);
      if (passed && session.mfaTime !== null) out.proven.push({ id, provenAt: session.mfaTime });
      else out.needSecondFactor.push(def);
    } else if (def.everyTime ? justProved.password : isFresh(def, session.authTime, nowSeconds)) {
      out.proven.push({ id, provenAt: session.authTime });
    } else {
      out.needFreshSignIn.push(def);
    }
  }
  return out;
}

/**
 * The proofs that still hold: contexts the directory still defines, within their sign-in
 * frequency. A refresh grant never carries an "every time" proof on: only the authorization code
 * of the sign-in that made it does.
 */
export function freshProofs(
  dir: Directory,
  proofs: readonly ProvenAuthContext[],
  nowSeconds: number,
  grant: 'authorization_code' | 'refresh_token',
): ProvenAuthContext[] {
  return proofs.filter((p) => {
    const def = dir.authContexts.get(p.id);
    if (def === undefined) return false;
    if (def.everyTime && grant === 'refresh_token') return false;
    return isFresh(def, p.provenAt, nowSeconds);
  });
}

/** The `acrs` claim value for proofs: their ids in a stable order, or undefined for none (no claim at all). */
export function acrsOf(proofs: readonly ProvenAuthContext[]): string[] | undefined {
  if (proofs.length === 0) return undefined;
  return [...new Set(proofs.map((p) => p.id))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/**
 * Checks a typed code against the user's authenticator secret. A code is good for one use: once
 * accepted, it and any code of an earlier time step are refused for that user.
 */
export function acceptSecondFactor(state: OidcState, user: DirectoryUser, typed: string, atMs: number = Date.now()): boolean {
  if (user.totpSecret === null) return false;
  const counter = matchTotpCode(user.totpSecret, typed.replace(/\s+/g, ''), atMs);
  if (counter === null) return false;
  const last = state.lastTotpCounters.get(user.id);
  if (last !== undefined && counter <= last) return false;
  state.lastTotpCounters.set(user.id, counter);
  return true;
}

/** Entra's answer when Conditional Access wants a second factor the request cannot give (AADSTS50076). */
export function mfaRequiredError(resourceAppId: string | null): EntraError {
  const resourceId = resourceAppId ?? GRAPH_APP_ID;
  return {
    ...entraError(
      'interaction_required',
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resourceId}'.`,
    ),
    suberror: 'basic_action',
  };
}
