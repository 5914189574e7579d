/**
 * `npm run setup:entra -- [options]` (`--help` lists them): creates or updates, idempotently and
 * through Microsoft Graph, the three app registrations the portal needs, then writes the `.env`.
 * The work is in scripts/lib/setup-entra/ (run-setup.ts is the outline); this file only binds it
 * to the process.
 */
import { runSetup } from '@/scripts/lib/setup-entra/run-setup';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

runSetup(process.argv.slice(2), {
  print: (line) => process.stdout.write(`${line}\n`),
  printError: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  readStdin,
  now: () => new Date(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`setup:entra failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
