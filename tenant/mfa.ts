/**
 * The local tenant's second factor: RFC 6238 time-based one-time codes (SHA-1, 6 digits, 30 s
 * steps, the parameters every authenticator app assumes), computed by the maintained `otpauth`
 * package rather than by hand.
 *
 * Secrets are base32 as authenticator apps take them. The seed validates and normalises them
 * with {@link normalizeTotpSecret}; `npm start` prints them and `npm run totp -- <upn>` prints
 * the current code ({@link currentTotpCode}).
 */
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes one step early or late are accepted, for clocks that drift (RFC 6238, section 5.2). */
export const TOTP_WINDOW = 1;
/** 80 bits: below this a secret is guessable; RFC 4226 recommends 160 (32 characters). */
const MIN_SECRET_CHARS = 16;

function totpOf(secret: string, label = 'user'): TOTP {
  return new TOTP({
    issuer: 'TAP Broker local tenant',
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/**
 * Normalises a base32 secret as typed in a seed (spaces, lower case and `=` padding allowed).
 * @returns the secret in upper case without spaces or padding, or null when it is not base32
 *   or too short to be safe
 */
export function normalizeTotpSecret(raw: string): string | null {
  const s = raw.replace(/\s+/g, '').replace(/=+$/, '').toUpperCase();
  if (s.length < MIN_SECRET_CHARS || !/^[A-Z2-7]+$/.test(s)) return null;
  try {
    Secret.fromBase32(s);
  } catch {
    return null;
  }
  return s;
}

/** The TOTP time step (counter) at `atMs`. */
export function totpCounterAt(atMs: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: atMs });
}

/**
 * The code an authenticator app shows for `secret` at `atMs` (default now).
 * @param secret a normalised base32 secret (see {@link normalizeTotpSecret})
 */
export function currentTotpCode(secret: string, atMs: number = Date.now()): string {
  return totpOf(secret).generate({ timestamp: atMs });
}

/**
 * Which time step a typed code belongs to, looking one step either side of `atMs`.
 * @returns the step's counter, or null when the code matches none of them
 */
export function matchTotpCode(secret: string, code: string, atMs: number = Date.now()): number | null {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return null;
  const delta = totpOf(secret).validate({ token: code, timestamp: atMs, window: TOTP_WINDOW });
  return delta === null ? null : totpCounterAt(atMs) + delta;
}

/** The `otpauth://totp/…` key URI authenticator apps import (usually as a QR code). */
export function totpKeyUri(userPrincipalName: string, secret: string): string {
  return totpOf(secret, userPrincipalName).toString();
}
