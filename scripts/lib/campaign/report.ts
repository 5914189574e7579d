/**
 * The campaign's table: one row per check (pass/fail and its figures) and the informational rows
 * (latency, per-fault failures), rendered as Markdown for the terminal and for
 * docs/campaign-summary.md, which only a full run writes.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';

export interface CampaignRow {
  check: string;
  /** null for a row that only reports figures. */
  ok: boolean | null;
  figures: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(rows: readonly CampaignRow[]): string {
  const lines = ['| check | result | figures |', '| --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${cell(r.check)} | ${r.ok === null ? '—' : r.ok ? 'pass' : '**FAIL**'} | ${cell(r.figures)} |`);
  return lines.join('\n');
}

/** `N passed, M failed` over the rows that are checks. */
export function tally(rows: readonly CampaignRow[]): { passed: number; failed: number; line: string } {
  const passed = rows.filter((r) => r.ok === true).length;
  const failed = rows.filter((r) => r.ok === false).length;
  return { passed, failed, line: `${passed} passed, ${failed} failed` };
}

export function describeCampaignMachine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** docs/campaign-summary.md: what ran, on what, when, for how long, and the table. */
export async function writeSummary(file: string, opts: { startedAt: Date; durationSeconds: number; options: Record<string, unknown>; faults: readonly string[]; rows: readonly CampaignRow[] }): Promise<void> {
  const text = [
    '# Load and fault campaign',
    '',
    'Written by `npm run campaign` (a full run; `--short` writes nothing). The production topology on',
    'loopback — PostgreSQL, the local tenant, the portal instances behind HAProxy — under concurrent',
    'managers while the faults below happen one at a time; then the checks. See scripts/campaign.ts.',
    '',
    `- Date: ${opts.startedAt.toISOString()}`,
    `- Machine: ${describeCampaignMachine()}`,
    `- Duration: ${opts.durationSeconds.toFixed(0)} s (whole run, start-up and checks included)`,
    `- Options: ${Object.entries(opts.options).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`,
    `- Faults, in order: ${opts.faults.join(', ')}`,
    '',
    renderTable(opts.rows),
    '',
    tally(opts.rows).line,
    '',
  ].join('\n');
  await writeFile(file, text);
}
