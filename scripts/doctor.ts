/**
 * `npm run doctor [-- --user <upn|object id>] [-- --json]`: proves the configuration in `.env`
 * (and the environment) against the tenant with the real calls, prints each check with its fix,
 * and exits 1 when any fails (scripts/lib/doctor.ts). Nothing is written and no pass is created.
 */
import { existsSync } from 'node:fs';
import { formatDoctorJson, formatDoctorReport, getDoctorExitCode, runDoctorChecks } from './lib/doctor';

interface DoctorArgs {
  json: boolean;
  user: string | undefined;
}

function parseArgs(argv: readonly string[]): DoctorArgs {
  const args: DoctorArgs = { json: false, user: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--json') args.json = true;
    else if (arg === '--user') args.user = argv[++i];
    else if (arg.startsWith('--user=')) args.user = arg.slice('--user='.length);
    else throw new Error(`unknown argument ${arg} (usage: npm run doctor -- [--user <upn or object id>] [--json])`);
  }
  if (args.user === '') throw new Error('--user needs a user principal name or object id');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Variables already set in the environment win over .env (Node's loadEnvFile never overrides).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const checks = await runDoctorChecks(args.user === undefined ? {} : { user: args.user });
  console.log(args.json ? formatDoctorJson(checks) : formatDoctorReport(checks));
  process.exitCode = getDoctorExitCode(checks);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
