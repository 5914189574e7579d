import { expect, type APIRequestContext } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import type { Policy } from '@/lib/contract/policy';
import { editablePolicy, getPolicySettings, savePolicy } from './policy-api';
import type { SeedUser } from './seed';

/** The claims request the API's challenge must carry for `c1`, written out here independently of the portal. */
export const C1_CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';

/** The exact `WWW-Authenticate` value of a step-up refusal asking for `claims`. */
export function expectedChallenge(claims: string): string {
  const encoded = Buffer.from(claims, 'utf8').toString('base64url');
  return `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${encoded}"`;
}

type StepUpFields = Pick<Policy, 'stepUpAuthContextId' | 'stepUpActions'>;

/**
 * Runs `body` with the policy's step-up set to `change` (or as `body` sets it, for null), then
 * saves the policy found before again (a new version), since the specs share one database.
 * `stepUpActions` never holds "policy" here: the admin's ROPC token could not prove the context
 * to restore it.
 */
export async function withStepUp(request: APIRequestContext, change: StepUpFields | null, body: () => Promise<void>): Promise<void> {
  const before = await getPolicySettings(request);
  const editable = editablePolicy(before);
  if (change !== null) {
    expect(change.stepUpActions, 'a ROPC admin could not restore a policy that needs step-up for policy changes').not.toContain('policy');
    const saved = await savePolicy(request, { ...editable, ...change });
    expect({ stepUpAuthContextId: saved.stepUpAuthContextId, stepUpActions: saved.stepUpActions }).toEqual(change);
  }
  try {
    await body();
  } finally {
    const restored = await savePolicy(request, { ...editable, stepUpAuthContextId: before.stepUpAuthContextId, stepUpActions: before.stepUpActions });
    expect(restored.stepUpAuthContextId).toBe(before.stepUpAuthContextId);
  }
}

function totpFor(user: SeedUser): TOTP {
  const secret = user.mfa?.totpSecret;
  if (!secret) throw new Error(`${user.userPrincipalName} has no mfa.totpSecret in the seed`);
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

/** The code `user`'s authenticator app shows now (RFC 6238, from the seed's secret). */
export function currentCode(user: SeedUser): string {
  return totpFor(user).generate();
}

/** A 6-digit code that is not `user`'s for any time step a tenant could accept around now. */
export function wrongCode(user: SeedUser): string {
  const totp = totpFor(user);
  const now = Date.now();
  const near = new Set([-2, -1, 0, 1, 2].map((step) => totp.generate({ timestamp: now + step * 30_000 })));
  for (let n = 0; ; n++) {
    const code = String(n * 111_111 % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}
