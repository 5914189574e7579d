import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * Leak-check support: every pass a test receives is appended (one per line) to the file named by
 * `E2E_ISSUED_PASSES_FILE`, a test artifact in the run's temp dir. After the run, the orchestrator
 * (scripts/test.ts) searches the database, the portal's log and the audit trail for each of them.
 * Without the variable (a run outside `npm test`), nothing is recorded anywhere.
 *
 * Call it as soon as the pass is in hand, before asserting anything else, so that a failing test
 * still gets its pass checked.
 */
export function recordIssuedPass(pass: unknown): void {
  const file = process.env.E2E_ISSUED_PASSES_FILE;
  if (!file || typeof pass !== 'string' || pass.length === 0) return;
  // appendFileSync with one write per line: whole lines even if two workers ever append at once.
  appendFileSync(file, `${pass}\n`, { encoding: 'utf8', mode: 0o600 });
}

/** The passes recorded so far in this run (empty when `E2E_ISSUED_PASSES_FILE` is unset or not written yet). */
export function readIssuedPasses(): string[] {
  const file = process.env.E2E_ISSUED_PASSES_FILE;
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
