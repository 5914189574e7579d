/**
 * In-memory state of the local authorization server. Nothing here survives a restart except
 * the signing key (persisted by `tenant/cert.ts`): codes, refresh tokens and sign-in sessions
 * are deliberately volatile, so a restart behaves like a revocation of every session.
 */
import type { SigningKey } from '../cert';

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
  /** Epoch ms. SPA refresh tokens are capped at 24 h, like Entra's. */
  expiresAt: number;
  spa: boolean;
}

export interface SignInSession {
  userId: string;
  authTime: number;
  /** Epoch ms. */
  expiresAt: number;
}

export interface OidcState {
  signingKey: SigningKey;
  codes: Map<string, AuthorizationCode>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  /** Session cookie value → session (the stand-in for Entra's ESTSAUTH cookie). */
  sessions: Map<string, SignInSession>;
}

export function createOidcState(signingKey: SigningKey): OidcState {
  return { signingKey, codes: new Map(), refreshTokens: new Map(), sessions: new Map() };
}

/** Drops expired entries; called opportunistically when new ones are added. */
export function sweepExpired(state: OidcState, now = Date.now()): void {
  for (const [k, v] of state.codes) if (v.expiresAt <= now) state.codes.delete(k);
  for (const [k, v] of state.refreshTokens) if (v.expiresAt <= now) state.refreshTokens.delete(k);
  for (const [k, v] of state.sessions) if (v.expiresAt <= now) state.sessions.delete(k);
}
