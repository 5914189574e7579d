import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { getDefaultMigrationsDir } from '@/lib/db/migrate';
import { diffMigrationsToSchema, getDefaultSchemaPath } from '@/lib/db/schema-engine';

// The schema engine builds a database from prisma/migrations in a shadow PGlite, then diffs it
// against schema.prisma: tables, columns, types, nullability, defaults, enums, indexes, foreign keys.
describe('prisma/schema.prisma and prisma/migrations', () => {
  const tempDirs: string[] = [];
  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('agree: applying every migration yields exactly the declared schema', async () => {
    const { agree, sql } = await diffMigrationsToSchema();
    expect(agree, `they differ; a new migration needs (npx tsx scripts/db-diff.ts):\n${sql}`).toBe(true);
    expect(sql).not.toMatch(/CREATE|ALTER|DROP/);
  });

  test('a drift is caught: a migration missing one index disagrees, naming that index', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-migrations-'));
    tempDirs.push(dir);
    cpSync(getDefaultMigrationsDir(), dir, { recursive: true });
    const file = path.join(dir, '0001_init', 'migration.sql');
    const original = readFileSync(file, 'utf8');
    const withoutIndex = original.replace(/CREATE INDEX "audit_event_type_at_idx"[^;]*;/, '');
    expect(withoutIndex).not.toBe(original);
    writeFileSync(file, withoutIndex);

    const { agree, sql } = await diffMigrationsToSchema({ migrationsDir: dir });
    expect(agree).toBe(false);
    expect(sql).toContain('CREATE INDEX "audit_event_type_at_idx"');
  });

  test('the generated client was generated from the current schema.prisma', () => {
    // Prisma embeds the schema it generated from; a mismatch means `npm run postinstall` is due.
    const generated = readFileSync(path.resolve('lib/db/generated/internal/class.ts'), 'utf8');
    const match = /"inlineSchema": ("(?:[^"\\]|\\.)*")/.exec(generated);
    expect(match?.[1]).toBeDefined();
    const inlineSchema: unknown = JSON.parse(match?.[1] ?? '""');
    expect(inlineSchema).toBe(readFileSync(getDefaultSchemaPath(), 'utf8'));
  });
});
