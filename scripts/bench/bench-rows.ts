/**
 * The benchmarks' common table: each section's measured process reports its figures as rows
 * (what, measured, reference, ratio, goal, met) into the JSON-lines file scripts/bench.ts names in
 * BENCH_ROWS_FILE, and scripts/bench.ts prints them as one table with the machine and the load
 * average, and writes it to docs/bench.md. A figure is only read beside a reference taken in the
 * same run on the same machine, because the machine is shared and its speed varies.
 */
import { appendFileSync } from 'node:fs';
import os from 'node:os';

export interface BenchRow {
  /** The section that measured it (reportees, mirror, export, verify, issue). */
  section: string;
  /** What is measured, with its unit and conditions. */
  what: string;
  measured: string;
  /** The same-run reference it is read against, or '—'. */
  reference: string;
  /** measured / reference where both are numbers, or '—'. */
  ratio: string;
  goal: string;
  /** 'yes', 'no', or '—' when the figure has no goal. */
  met: string;
}

/** Appends rows to BENCH_ROWS_FILE (a no-op when the section runs on its own, outside scripts/bench.ts). */
export function reportBenchRows(rows: BenchRow[]): void {
  const file = process.env.BENCH_ROWS_FILE;
  if (file === undefined || file === '') return;
  appendFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}

/** 'yes' / 'no' for a goal, '—' when there is none. */
export function metGoal(ok: boolean | null): string {
  return ok === null ? '—' : ok ? 'yes' : 'no';
}

/** A ratio with two decimals, or '—' when the reference is missing or zero. */
export function formatRatio(measured: number, reference: number | null): string {
  return reference === null || reference === 0 ? '—' : (measured / reference).toFixed(2);
}

/** The p-th percentile (0..100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The machine a table was measured on, and when. */
export function describeMachine(): string {
  const cpus = os.cpus();
  return `${os.availableParallelism()} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The rows as a Markdown table. */
export function renderBenchTable(rows: readonly BenchRow[]): string {
  const lines = ['| section | what | measured | reference | ratio | goal | met |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.section, r.what, r.measured, r.reference, r.ratio, r.goal, r.met].map(cell).join(' | ')} |`);
  return lines.join('\n');
}
