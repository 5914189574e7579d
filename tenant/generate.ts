/**
 * `npm run tenant:generate -- --users 100000 [--out file] [--depth 6] [--span 8] [--seed 1]`
 *
 * Writes a large, valid seed file for benchmarks: a balanced-ish org tree (each manager has up
 * to `span` direct reports; the span is raised if `depth` levels could not otherwise hold every
 * user), with the demo org's tenant and app registrations (so `npm start` can use it as is),
 * and a sprinkling of disabled accounts, guests, new hires, privileged and non-admin directory
 * roles, and portal app roles. Deterministic for a given `--seed`. Streams its output, so
 * memory stays flat whatever the size.
 *
 * Every user's password is the demo password, so a benchmark can sign in as anyone.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import demoOrg from './demo-org.json';
import { prng } from './prng';

interface Options {
  users: number;
  out: string;
  depth: number;
  span: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { users: 1000, out: '', depth: 6, span: 8, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const num = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a positive integer`);
      i++;
      return n;
    };
    switch (arg) {
      case '--users':
        opts.users = num();
        break;
      case '--depth':
        opts.depth = num();
        break;
      case '--span':
        opts.span = num();
        break;
      case '--seed':
        opts.seed = num();
        break;
      case '--out':
        if (!value) throw new Error('--out needs a file name');
        opts.out = value;
        i++;
        break;
      case '--help':
      case '-h':
        console.log('usage: npm run tenant:generate -- --users N [--out file] [--depth 6] [--span 8] [--seed 1]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg ?? ''}`);
    }
  }
  if (opts.out === '') opts.out = path.join('data', `org-${opts.users}.json`);
  return opts;
}

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Nils', 'Olga', 'Pavel', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wei', 'Xenia', 'Yusuf', 'Zoe'];
const LAST = ['Abbott', 'Bauer', 'Chen', 'Diaz', 'Eriksen', 'Fontaine', 'Garcia', 'Haddad', 'Ivanova', 'Jensen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quist', 'Rossi', 'Singh', 'Tanaka', 'Ueda', 'Vargas', 'Weber', 'Xu', 'Yilmaz', 'Zhou'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Operations', 'Finance', 'Marketing', 'Support', 'Legal', 'Human Resources'];
const ADMIN_ROLES = ['User Administrator', 'Helpdesk Administrator', 'Global Administrator', 'Privileged Authentication Administrator', 'Security Administrator', 'Exchange Administrator'];
const NON_ADMIN_ROLES = ['Password Administrator', 'Directory Readers', 'Reports Reader', 'Message Center Reader'];

/** Levels 0..depth of a tree with this span hold this many nodes. */
function capacity(span: number, depth: number): number {
  let total = 0;
  let level = 1;
  for (let d = 0; d <= depth; d++) {
    total += level;
    if (total > Number.MAX_SAFE_INTEGER / span) return Number.MAX_SAFE_INTEGER;
    level *= span;
  }
  return total;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  let span = opts.span;
  while (capacity(span, opts.depth) < opts.users) span++;
  if (span !== opts.span) console.error(`note: raised --span to ${span} so that ${opts.users} users fit in ${opts.depth} levels`);

  const random = prng(opts.seed);
  const domain = 'contoso.test';
  const password = demoOrg.demoAccounts.password;
  const now = Date.now();
  const upns: string[] = new Array<string>(opts.users);
  const depths = new Uint8Array(opts.users);
  const hasReports = new Uint8Array(opts.users);
  for (let i = 1; i < opts.users; i++) hasReports[Math.floor((i - 1) / span)] = 1;

  await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  const out = createWriteStream(opts.out, { encoding: 'utf8' });
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };

  const header = {
    generated: { users: opts.users, depth: opts.depth, span, seed: opts.seed, note: 'written by npm run tenant:generate; all users share the demo password' },
    tenantId: demoOrg.tenantId,
    portal: demoOrg.portal,
    broker: demoOrg.broker,
    automation: demoOrg.automation,
    tapPolicy: demoOrg.tapPolicy,
  };
  const headerJson = JSON.stringify(header, null, 2);
  await write(`${headerJson.slice(0, -2)},\n  "users": [\n`);

  const counts = { disabled: 0, guests: 0, newHires: 0, admins: 0, nonAdminRoles: 0 };
  for (let i = 0; i < opts.users; i++) {
    const first = FIRST[i % FIRST.length] ?? 'Ada';
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'Abbott';
    const manager = i === 0 ? null : Math.floor((i - 1) / span);
    depths[i] = manager === null ? 0 : (depths[manager] ?? 0) + 1;
    const isLeaf = hasReports[i] !== 1;
    const r = random();
    // Guests and new hires only as leaves: nobody reports to a contractor or to someone not yet started.
    const guest = isLeaf && i > 0 && r < 0.005;
    const upn = guest ? `${first.toLowerCase()}.${last.toLowerCase()}.${i}_fabrikam.test#EXT#@${domain}` : `${first.toLowerCase()}.${last.toLowerCase()}.${i}@${domain}`;
    upns[i] = upn;
    const newHire = !guest && isLeaf && i > 0 && r >= 0.005 && r < 0.015;
    const disabled = i > 0 && r >= 0.015 && r < 0.025;
    const roleRoll = random();
    const directoryRoles: string[] = [];
    if (i > 0 && roleRoll < 0.002) directoryRoles.push(ADMIN_ROLES[Math.floor(random() * ADMIN_ROLES.length)] ?? 'User Administrator');
    else if (i > 0 && roleRoll < 0.005) directoryRoles.push(NON_ADMIN_ROLES[Math.floor(random() * NON_ADMIN_ROLES.length)] ?? 'Directory Readers');
    const appRoles = i === 1 ? ['TapBroker.Approver'] : i === 2 ? ['TapBroker.Auditor'] : i === 3 ? ['TapBroker.Admin'] : [];
    const hireMs = newHire ? now + (14 + Math.floor(random() * 60)) * 86_400_000 : now - (30 + Math.floor(random() * 3650)) * 86_400_000;
    const depth = depths[i] ?? 0;
    const user = {
      userPrincipalName: upn,
      displayName: guest ? `${first} ${last} (Fabrikam)` : `${first} ${last} ${i}`,
      givenName: first,
      surname: last,
      password,
      manager: manager === null ? null : upns[manager],
      jobTitle: i === 0 ? 'Chief Executive Officer' : isLeaf ? (guest ? 'Contractor' : 'Specialist') : depth === 1 ? 'Vice President' : depth === 2 ? 'Director' : 'Manager',
      department: DEPARTMENTS[i === 0 ? 0 : (manager === 0 ? i : Math.floor(i / 97)) % DEPARTMENTS.length],
      accountEnabled: !disabled,
      userType: guest ? 'Guest' : 'Member',
      employeeHireDate: guest ? null : `${new Date(hireMs).toISOString().slice(0, 10)}T08:00:00Z`,
      directoryRoles,
      appRoles,
    };
    if (guest) counts.guests++;
    if (newHire) counts.newHires++;
    if (disabled) counts.disabled++;
    if (directoryRoles.length > 0 && ADMIN_ROLES.includes(directoryRoles[0] ?? '')) counts.admins++;
    else if (directoryRoles.length > 0) counts.nonAdminRoles++;
    await write(`    ${JSON.stringify(user)}${i === opts.users - 1 ? '' : ','}\n`);
  }
  await write('  ]\n}\n');
  out.end();
  await once(out, 'finish');
  const maxDepth = depths.reduce((m, d) => Math.max(m, d), 0);
  console.error(
    `wrote ${opts.users} users to ${opts.out} (depth ${maxDepth}, span ${span}; ${counts.disabled} disabled, ${counts.guests} guests, ${counts.newHires} new hires, ${counts.admins} admins, ${counts.nonAdminRoles} non-admin roles)`,
  );
  console.error(`sign in as ${upns[0] ?? ''} (top of the org) with the demo password; use it with TENANT_SEED=${opts.out}`);
}

main().catch((err: unknown) => {
  console.error(`tenant:generate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
