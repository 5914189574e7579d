/**
 * In-memory state of the local authorization server. Nothing here survives a restart except
 * the signing key (persisted by `tenant/cert.ts`): codes, refresh tokens and sign-in sessions
 * are deliberately volatile, so a restart behaves like a revocation of every session.
 */
import type { SigningKey } from '../cert';

/** An authentication context a sign-in satisfied, and when (epoch seconds); tokens list the ids in `acrs`. */
export interface ProvenAuthContext {
  id: string;
  provenAt: number;
}

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  /** The scope string as requested at /authorize (resolved again at redemption). */
  scope: string;
  codeChallenge: string;
  nonce: string | null;
  authTime: number;
  sessionId: string;
  /** The authentication contexts this sign-in satisfied (those the `claims` request named). */
  authContexts: ProvenAuthContext[];
  /** Epoch ms. */
  expiresAt: number;
  /** Issued to a SPA redirect URI: redemption must be cross-origin (carry `Origin`). */
  spa: boolean;
  /** Set on the first redemption attempt; kept until expiry so a replay gets Entra's "already redeemed". */
  redeemed: boolean;
}

export interface RefreshTokenRecord {
  clientId: string;
  userId: string;
  /** Scopes granted with the original sign-in; a refresh may ask for any resource among them. */
  scope: string;
  authTime: number;
  sessionId: string;
  /**
   * What the original sign-in proved, carried down the chain as Entra does: a refresh may yield
   * `acrs` for these while they are within the context's sign-in frequency (never for a context
   * asked for "every time"), never for others.
   */
  authContexts: ProvenAuthContext[];
  /** Epoch ms. SPA refresh tokens are capped at 24 h, like Entra's. */
  expiresAt: number;
  spa: boolean;
}

export interface SignInSession {
  userId: string;
  authTime: number;
  /** When the user last passed the second factor in this session (epoch s); null: password only. */
  mfaTime: number | null;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * A sign-in waiting for its second factor. The key is the single-use token the code form
 * carries; a re-shown form gets a new key with the failures carried over.
 */
export interface PendingSecondFactor {
  userId: string;
  /** The session the password created or reused: only that browser may complete the step. */
  sessionId: string;
  /** Wrong codes so far in this flow. */
  failures: number;
  /**
   * The flow began with the password form: once the code is accepted, the password counts as
   * entered in this flow too (for a context asked for "every time"), so the user is not sent
   * back to the password form they just filled in.
   */
  passwordJustEntered: boolean;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * A device authorization (RFC 8628) between `POST /devicecode` and the token grant that redeems
 * it. The key is the `device_code`; the user types `userCode` on the verification page.
 */
export interface DeviceAuthorization {
  clientId: string;
  /** The scope string as requested (resolved again at redemption). */
  scope: string;
  userCode: string;
  /** Epoch ms; past it the grant answers `expired_token`. */
  expiresAt: number;
  /** Seconds a client must wait between polls (`slow_down` when it does not). */
  interval: number;
  /** Epoch ms of the last poll, for `slow_down`. */
  lastPollAt: number | null;
  /** `approved` once the user signed in on the verification page; `declined` when they refused. */
  status: 'pending' | 'approved' | 'declined';
  /** The user who approved, and their sign-in (set with `approved`). */
  userId: string | null;
  authTime: number | null;
  sessionId: string | null;
}

export interface OidcState {
  signingKey: SigningKey;
  codes: Map<string, AuthorizationCode>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  /** Session cookie value → session (the stand-in for Entra's ESTSAUTH cookie). */
  sessions: Map<string, SignInSession>;
  /** Code-form token → the sign-in waiting for its second factor. */
  pendingSecondFactors: Map<string, PendingSecondFactor>;
  /**
   * User id → the TOTP time step of the last code accepted, so that a code (seen over a shoulder,
   * or replayed) cannot be used twice: only a later step is accepted.
   */
  lastTotpCounters: Map<string, number>;
  /** `device_code` → its device authorization (the device code grant). */
  deviceAuthorizations: Map<string, DeviceAuthorization>;
}

export function createOidcState(signingKey: SigningKey): OidcState {
  return {
    signingKey,
    codes: new Map(),
    refreshTokens: new Map(),
    sessions: new Map(),
    pendingSecondFactors: new Map(),
    lastTotpCounters: new Map(),
    deviceAuthorizations: new Map(),
  };
}

/** Drops expired entries; called opportunistically when new ones are added. */
export function sweepExpired(state: OidcState, now = Date.now()): void {
  for (const [k, v] of state.codes) if (v.expiresAt <= now) state.codes.delete(k);
  for (const [k, v] of state.refreshTokens) if (v.expiresAt <= now) state.refreshTokens.delete(k);
  for (const [k, v] of state.sessions) if (v.expiresAt <= now) state.sessions.delete(k);
  for (const [k, v] of state.pendingSecondFactors) if (v.expiresAt <= now) state.pendingSecondFactors.delete(k);
  // Kept a while past expiry, so that a late poll still hears `expired_token` rather than `invalid_grant`.
  for (const [k, v] of state.deviceAuthorizations) if (v.expiresAt + DEVICE_CODE_GRACE_MS <= now) state.deviceAuthorizations.delete(k);
}

const DEVICE_CODE_GRACE_MS = 15 * 60 * 1000;
