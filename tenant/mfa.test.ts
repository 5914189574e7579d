import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import demoOrg from './demo-org.json';
import { findUser } from './directory';
import { currentTotpCode, matchTotpCode, normalizeTotpSecret, totpCounterAt, totpKeyUri } from './mfa';
import { parseSeed, SeedError } from './seed';

const run = promisify(execFile);

/** RFC 6238 appendix B's SHA-1 key, "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

function baseSeed(extra: Record<string, unknown>, users: Record<string, unknown>[]): Record<string, unknown> {
  return {
    tenantId: '00000000-0000-4000-8000-0000000000aa',
    portal: {
      clientId: '10000000-0000-4000-8000-000000000001',
      apiClientId: '10000000-0000-4000-8000-000000000002',
      redirectUris: ['http://localhost:3000'],
    },
    broker: { clientId: '10000000-0000-4000-8000-000000000003', clientSecret: 's3cret' },
    tapPolicy: { state: 'enabled' },
    users,
    ...extra,
  };
}

function seedError(raw: unknown): string {
  try {
    parseSeed(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    return (err as Error).message;
  }
  throw new Error('expected the seed to be refused');
}

describe('TOTP codes (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  it('computes the RFC 6238 test vectors (their last six digits)', () => {
    expect(currentTotpCode(RFC_SECRET, 59_000)).toBe('287082');
    expect(currentTotpCode(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(currentTotpCode(RFC_SECRET, 1_234_567_890_000)).toBe('005924');
    expect(currentTotpCode(RFC_SECRET, 2_000_000_000_000)).toBe('279037');
  });

  it('matches a code one step either side of now, and no further', () => {
    const now = 1_700_000_000_000;
    const counter = totpCounterAt(now);
    expect(matchTotpCode(RFC_SECRET, currentTotpCode(RFC_SECRET, now), now)).toBe(counter);
    expect(matchTotpCode(RFC_SECRET, currentTotpCode(RFC_SECRET, now - 30_000), now)).toBe(counter - 1);
    expect(matchTotpCode(RFC_SECRET, currentTotpCode(RFC_SECRET, now + 30_000), now)).toBe(counter + 1);
    expect(matchTotpCode(RFC_SECRET, currentTotpCode(RFC_SECRET, now - 60_000), now)).toBeNull();
    expect(matchTotpCode(RFC_SECRET, currentTotpCode(RFC_SECRET, now + 60_000), now)).toBeNull();
    expect(matchTotpCode(RFC_SECRET, ' 287082', 59_000)).toBeNull();
    expect(matchTotpCode(RFC_SECRET, '28708', 59_000)).toBeNull();
  });

  it('normalises secrets as typed and refuses what is not base32 or too short', () => {
    expect(normalizeTotpSecret('jbsw y3dp ehpk 3pxp====')).toBe('JBSWY3DPEHPK3PXP');
    expect(normalizeTotpSecret('JBSWY3DPEHPK3PX1')).toBeNull();
    expect(normalizeTotpSecret('JBSWY3DP')).toBeNull();
    expect(totpKeyUri('ann@contoso.test', RFC_SECRET)).toBe(
      'otpauth://totp/TAP%20Broker%20local%20tenant:ann%40contoso.test?issuer=TAP%20Broker%20local%20tenant&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('seed: authentication contexts and authenticator secrets', () => {
  const ann = { userPrincipalName: 'ann@contoso.test', displayName: 'Ann', password: 'pw' };

  it('loads contexts and normalised secrets; users without one have null', () => {
    const dir = parseSeed(
      baseSeed(
        {
          authContexts: [
            { id: 'c1', displayName: 'Step-up', requireMfa: true },
            { id: 'c42', requireMfa: false, signInFrequencyMinutes: 15 },
            { id: 'c99', requireMfa: true, signInFrequency: 'everyTime' },
          ],
        },
        [
        { ...ann, mfa: { totpSecret: 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq' } },
        { userPrincipalName: 'bob@contoso.test', displayName: 'Bob', password: 'pw' },
        ],
      ),
    );
    expect([...dir.authContexts.values()]).toEqual([
      { id: 'c1', displayName: 'Step-up', requireMfa: true, signInFrequencyMinutes: null, everyTime: false },
      { id: 'c42', displayName: null, requireMfa: false, signInFrequencyMinutes: 15, everyTime: false },
      { id: 'c99', displayName: null, requireMfa: true, signInFrequencyMinutes: null, everyTime: true },
    ]);
    expect(findUser(dir, 'ann@contoso.test')?.totpSecret).toBe(RFC_SECRET);
    expect(findUser(dir, 'bob@contoso.test')?.totpSecret).toBeNull();
    expect(parseSeed(baseSeed({}, [ann])).authContexts.size).toBe(0);
  });

  it('names the bad context: an id outside c1…c99, a duplicate id, a missing requireMfa', () => {
    const msg = seedError(
      baseSeed({ authContexts: [{ id: 'c100', requireMfa: true }, { id: 'c1', requireMfa: true }, { id: 'c1', requireMfa: false }, { id: 'c2' }, { id: 'c0', requireMfa: true }] }, [ann]),
    );
    expect(msg).toContain('authContexts[0] (c100): id: must be an authentication context id, c1 … c99');
    expect(msg).toContain('authContexts[2] (c1): duplicate id c1');
    expect(msg).toContain('authContexts[3] (c2): requireMfa: must be true or false');
    expect(msg).toContain('authContexts[4] (c0): id: must be an authentication context id');
    expect(msg).not.toContain('authContexts[1]');
  });

  it('refuses a sign-in frequency given both as "everyTime" and in minutes, or as another word', () => {
    const msg = seedError(
      baseSeed(
        {
          authContexts: [
            { id: 'c1', requireMfa: true, signInFrequency: 'everyTime', signInFrequencyMinutes: 60 },
            { id: 'c2', requireMfa: true, signInFrequency: 'always' },
            { id: 'c3', requireMfa: false, signInFrequency: 'everyTime' },
          ],
        },
        [ann],
      ),
    );
    expect(msg).toContain(
      'authContexts[0] (c1): signInFrequency: cannot be combined with signInFrequencyMinutes: a sign-in frequency is "everyTime" or a number of minutes, not both',
    );
    expect(msg).toContain('authContexts[1] (c2): signInFrequency: must be "everyTime" (for a number of minutes, use signInFrequencyMinutes)');
    expect(msg).not.toContain('authContexts[2]');
  });

  it('names the user whose secret is not base32 or too short', () => {
    const msg = seedError(
      baseSeed({}, [
        { ...ann, mfa: { totpSecret: 'not-base32-at-all-0189' } },
        { userPrincipalName: 'bob@contoso.test', displayName: 'Bob', mfa: { totpSecret: 'JBSWY3DP' } },
      ]),
    );
    expect(msg).toContain('users[0] (ann@contoso.test): mfa.totpSecret: must be a base32 secret');
    expect(msg).toContain('users[1] (bob@contoso.test): mfa.totpSecret: must be a base32 secret');
  });

  it('gives every demo account, and every enabled member of the demo org, its own secret; c1 asks for MFA every time', () => {
    const dir = parseSeed(demoOrg);
    // A pass is revealed only after a second factor passed for that very request.
    expect(dir.authContexts.get('c1')).toMatchObject({ requireMfa: true, signInFrequencyMinutes: null, everyTime: true });
    for (const { user } of demoOrg.demoAccounts.signInAs) expect(findUser(dir, user)?.totpSecret, user).toMatch(/^[A-Z2-7]{32}$/);
    const members = [...dir.users.values()].filter((u) => u.accountEnabled && u.userType === 'Member');
    const secrets = members.map((u) => u.totpSecret);
    expect(secrets.every((s) => s !== null)).toBe(true);
    expect(new Set(secrets).size).toBe(members.length);
  });
});

describe('npm run totp', () => {
  const tsx = path.join(process.cwd(), 'node_modules', '.bin', 'tsx');

  it('prints the current code of a demo account, the one otpauth computes from its secret', async () => {
    const secret = findUser(parseSeed(demoOrg), 'bianca.pisani@contoso.test')?.totpSecret ?? '';
    const before = currentTotpCode(secret);
    const { stdout } = await run(tsx, ['tenant/totp.ts', 'Bianca.Pisani@contoso.test']);
    const after = currentTotpCode(secret);
    // The step may turn over while the process starts: the code is the one of either moment.
    expect([before, after]).toContain(stdout.trim());
  });

  it('reads --seed, and fails with a message for a user without a secret', async () => {
    const dirPath = await mkdtemp(path.join(os.tmpdir(), 'totp-seed-'));
    const file = path.join(dirPath, 'seed.json');
    await writeFile(
      file,
      JSON.stringify(
        baseSeed({}, [
          { userPrincipalName: 'ann@contoso.test', displayName: 'Ann', mfa: { totpSecret: RFC_SECRET } },
          { userPrincipalName: 'bob@contoso.test', displayName: 'Bob' },
        ]),
      ),
    );
    const before = currentTotpCode(RFC_SECRET);
    const { stdout } = await run(tsx, ['tenant/totp.ts', 'ann@contoso.test', '--seed', file]);
    expect([before, currentTotpCode(RFC_SECRET)]).toContain(stdout.trim());

    const refused = await run(tsx, ['tenant/totp.ts', 'bob@contoso.test', '--seed', file]).then(
      () => null,
      (err: unknown) => err as { code: number; stdout: string; stderr: string },
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stdout).toBe('');
    expect(refused?.stderr).toContain('bob@contoso.test has no authenticator app');
  });
});
