/**
 * `npm run totp -- <upn> [--seed file]`: prints the current authenticator code of a seeded user,
 * for signing in to the local tenant when it asks for a second factor.
 *
 * The seed is `--seed`, else TENANT_SEED, else the bundled demo org (the tenant's own default).
 * Prints the 6-digit code alone on stdout (so scripts can use it) and how long it stays valid on
 * stderr. Exits 1 with a message for an unknown user, a user without `mfa.totpSecret` or a bad seed.
 */
import path from 'node:path';
import { findUserBySignInName } from './directory';
import { currentTotpCode, TOTP_PERIOD_SECONDS } from './mfa';
import { loadSeed, SeedError } from './seed';

const USAGE = 'usage: npm run totp -- <userPrincipalName> [--seed file]';

function parseArgs(argv: string[]): { upn: string; seed: string } {
  let upn: string | null = null;
  let seed: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--seed') {
      const value = argv[i + 1];
      if (value === undefined || value === '') throw new Error(`--seed needs a file name\n${USAGE}`);
      seed = value;
      i++;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('-') || upn !== null) {
      throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    } else {
      upn = arg;
    }
  }
  if (upn === null) throw new Error(USAGE);
  const envSeed = process.env.TENANT_SEED && process.env.TENANT_SEED.trim() !== '' ? process.env.TENANT_SEED : null;
  return { upn, seed: seed ?? envSeed ?? path.join(__dirname, 'demo-org.json') };
}

async function main(): Promise<void> {
  const { upn, seed } = parseArgs(process.argv.slice(2));
  const dir = await loadSeed(seed);
  const user = findUserBySignInName(dir, upn);
  if (!user) throw new Error(`no user "${upn}" in ${seed}`);
  if (user.totpSecret === null) throw new Error(`${user.userPrincipalName} has no authenticator app (no mfa.totpSecret in ${seed})`);
  const now = Date.now();
  process.stdout.write(`${currentTotpCode(user.totpSecret, now)}\n`);
  const left = TOTP_PERIOD_SECONDS - (Math.floor(now / 1000) % TOTP_PERIOD_SECONDS);
  // The tenant also takes a code one step late (clock drift), but only once per user.
  console.error(`${user.userPrincipalName}: shown for ${left} more second${left === 1 ? '' : 's'}; each code signs in once`);
}

main().catch((err: unknown) => {
  console.error(`totp: ${err instanceof SeedError || err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
