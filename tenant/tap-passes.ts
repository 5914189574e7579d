/**
 * Sign-in with a Temporary Access Pass. The tenant keeps only a salted hash of each pass (next to
 * its TapMethod, in memory); the pass itself exists only in Create's 201 response.
 *
 * The hash is one SHA-256 of salt ‖ pass, not a slow KDF: a slow hash defends low-entropy secrets
 * in a store that can leak, and this store is the emulator's memory, holding passes the emulator
 * drew at random itself. scrypt here (tens of milliseconds of blocking CPU per pass, twice: create and sign-in) made the emulator, not
 * the broker, the bottleneck of every issuance benchmark.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { getTapUsability } from './tap-usability';
import type { Directory, DirectoryUser, TapMethod } from './types';

function saltedHash(pass: string, salt: Buffer): Buffer {
  return createHash('sha256').update(salt).update(pass, 'utf8').digest();
}

/** A salted hash of `pass` for {@link TapMethod.passHash}. */
export function hashPass(pass: string): { salt: string; hash: string } {
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), hash: saltedHash(pass, salt).toString('hex') };
}

function passMatches(method: TapMethod, candidate: string): boolean {
  if (method.passHash.hash === '') return false;
  const expected = Buffer.from(method.passHash.hash, 'hex');
  const actual = saltedHash(candidate, Buffer.from(method.passHash.salt, 'hex'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export type TapSignInResult =
  | { kind: 'no-match' }
  | { kind: 'ok'; method: TapMethod }
  | { kind: 'refused'; code: number; message: string };

/**
 * Checks `candidate` against the user's TAP. A usable pass signs in, and a one-time pass is then
 * used up (`usedDateTime`) unless `consume` is false (the caller is about to refuse the sign-in
 * for another reason, e.g. a disabled account). An expired, used, not-yet-valid or policy-disabled pass is refused.
 *
 * Entra's exact AADSTS codes for these cases are undocumented in our sources; the codes here
 * (1305xx) are our choice, the messages say what happened, like Entra's sign-in page does.
 */
export function signInWithTap(
  dir: Directory,
  user: DirectoryUser,
  candidate: string,
  options: { consume?: boolean; now?: number } = {},
): TapSignInResult {
  const now = options.now ?? Date.now();
  if (candidate === '') return { kind: 'no-match' };
  const method = (dir.tapMethods.get(user.id) ?? []).find((m) => passMatches(m, candidate));
  if (method === undefined) return { kind: 'no-match' };
  const { methodUsabilityReason } = getTapUsability(method, dir.tapPolicy, now);
  switch (methodUsabilityReason) {
    case 'EnabledByPolicy':
      if (method.isUsableOnce && options.consume !== false) method.usedDateTime = new Date(now).toISOString();
      return { kind: 'ok', method };
    case 'Expired':
      return { kind: 'refused', code: 130503, message: 'Your Temporary Access Pass has expired. Contact your administrator for a new one.' };
    case 'OneTimeUsed':
      return { kind: 'refused', code: 130504, message: 'Your Temporary Access Pass has already been used. Contact your administrator for a new one.' };
    case 'NotYetValid':
      return { kind: 'refused', code: 130502, message: 'Your Temporary Access Pass is not valid yet. Try again after its start time.' };
    case 'DisabledByPolicy':
      return { kind: 'refused', code: 130500, message: 'Sign-in with a Temporary Access Pass is disabled by your organization’s policy.' };
  }
}
