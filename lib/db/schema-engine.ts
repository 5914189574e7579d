// Development and test tooling only (devDependencies): never import this from the app.
//
// Prisma's own schema engine, compiled to WebAssembly (@prisma/schema-engine-wasm, the exact build
// the installed CLI was made with), driven through a PGlite driver adapter. It gives us offline
// what `prisma migrate diff` gives online: the SQL that turns one schema state into another. Its
// shadow database is a throwaway in-memory PGlite, so nothing needs a PostgreSQL server.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as engineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { DiffResult, DiffTarget, MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { getDefaultMigrationsDir, readMigrations } from '@/lib/db/migrate';

export type { DiffResult, DiffTarget, SchemaEngine };

let initialised = false;

// The package's entry point imports its .wasm as an ES module, which Node 20 cannot do without a
// flag; we instantiate the same module ourselves and hand it to the generated bindings.
function initialiseWasm(): void {
  if (initialised) return;
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bytes = readFileSync(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
  const wasmModule = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(wasmModule, {
    './schema_engine_bg.js': engineGlue as unknown as WebAssembly.ModuleImports,
  });
  engineGlue.__wbg_set_wasm(instance.exports);
  const start = instance.exports.__wbindgen_start;
  if (typeof start === 'function') start();
  initialised = true;
}

export function getDefaultSchemaPath(): string {
  return path.resolve(process.cwd(), 'prisma', 'schema.prisma');
}

export interface LoadedSchemaEngine {
  engine: SchemaEngine;
  /** The PGlite database the engine's main connection uses. */
  pglite: PGlite;
  close(): Promise<void>;
}

/**
 * Starts a schema engine whose database is `pglite` (a new in-memory one by default). Its log
 * lines are dropped unless `onLog` is given.
 */
export async function loadSchemaEngine(
  options: { pglite?: PGlite; schemaPath?: string; onLog?: (line: string) => void } = {},
): Promise<LoadedSchemaEngine> {
  initialiseWasm();
  const pglite = options.pglite ?? (await PGlite.create('memory://'));
  const schemaPath = options.schemaPath ?? getDefaultSchemaPath();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(pglite));
  const engine = await engineGlue.SchemaEngine.new(
    { datamodels: [[path.basename(schemaPath), readFileSync(schemaPath, 'utf8')]] },
    (line: string) => options.onLog?.(line),
    adapter,
  );
  return {
    engine,
    pglite,
    close: async () => {
      engine.free();
      if (!options.pglite) await pglite.close();
    },
  };
}

/** The migrations folder in the shape the engine reads it. */
export function getMigrationList(migrationsDir: string = getDefaultMigrationsDir()): MigrationList {
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: readFileSync(lockPath, 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: readMigrations(migrationsDir).map((migration) => ({
      path: migration.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: migration.sql } },
    })),
  };
}

export function schemaTarget(schemaPath: string = getDefaultSchemaPath()): DiffTarget {
  return { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: readFileSync(schemaPath, 'utf8') }] };
}

/**
 * The SQL that would bring a database built by the migrations folder to what schema.prisma
 * declares; empty when they agree. This is how new migrations are written offline
 * (`npx tsx scripts/db-diff.ts`).
 */
export async function diffMigrationsToSchema(
  options: { migrationsDir?: string; schemaPath?: string } = {},
): Promise<{ agree: boolean; sql: string }> {
  const { engine, close } = await loadSchemaEngine({ schemaPath: options.schemaPath });
  try {
    const result = await engine.diff({
      from: { tag: 'migrations', ...getMigrationList(options.migrationsDir) },
      to: schemaTarget(options.schemaPath),
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    // With exitCode set, the engine answers 2 for "there is a difference", 0 for none.
    return { agree: result.exitCode === 0, sql: result.stdout ?? '' };
  } finally {
    await close();
  }
}
