/**
 * The benchmark table's arithmetic and rendering: the percentile the request → pass figures are
 * read at, the ratio beside a missing reference, and a Markdown table that a `|` in a figure
 * cannot break.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRatio, metGoal, percentile, renderBenchTable, reportBenchRows, type BenchRow } from './bench-rows';

const row: BenchRow = { section: 'issue', what: 'a | b', measured: '5 ms', reference: '—', ratio: '—', goal: '< 10 ms', met: 'yes' };

describe('percentile', () => {
  it('takes the nearest rank of the sorted values', () => {
    const values = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(100);
    expect(percentile(values, 0)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('formatRatio and metGoal', () => {
  it('gives two decimals, and a dash without a usable reference or goal', () => {
    expect(formatRatio(467, 300)).toBe('1.56');
    expect(formatRatio(1, 0)).toBe('—');
    expect(formatRatio(1, null)).toBe('—');
    expect([metGoal(true), metGoal(false), metGoal(null)]).toEqual(['yes', 'no', '—']);
  });
});

describe('renderBenchTable', () => {
  it('writes one line per row under the header, escaping pipes inside cells', () => {
    const lines = renderBenchTable([row, { ...row, what: 'second' }]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| issue | a \\| b | 5 ms | — | — | < 10 ms | yes |');
    expect(lines[3]).toContain('| second |');
  });
});

describe('reportBenchRows', () => {
  const saved = process.env.BENCH_ROWS_FILE;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_ROWS_FILE;
    else process.env.BENCH_ROWS_FILE = saved;
  });

  it('appends the rows as JSON lines to BENCH_ROWS_FILE, across calls', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-rows-'));
    try {
      process.env.BENCH_ROWS_FILE = path.join(dir, 'rows.jsonl');
      reportBenchRows([row]);
      reportBenchRows([{ ...row, section: 'verify' }]);
      const lines = (await readFile(process.env.BENCH_ROWS_FILE, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as BenchRow);
      expect(lines.map((l) => l.section)).toEqual(['issue', 'verify']);
      expect(lines[0]).toEqual(row);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
