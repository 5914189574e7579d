/**
 * Offline `prisma migrate diff`: prints the SQL that brings a database built from
 * prisma/migrations to what prisma/schema.prisma declares, using Prisma's schema engine compiled to
 * WebAssembly and an in-memory PGlite as shadow database. To add a migration after editing the
 * schema: `npx tsx scripts/db-diff.ts > prisma/migrations/0002_<name>/migration.sql`, then review it.
 * Exit code 0 when they already agree, 2 when there is a difference.
 */
import { diffMigrationsToSchema } from '../lib/db/schema-engine';

diffMigrationsToSchema().then(
  ({ agree, sql }) => {
    if (agree) {
      console.error('prisma/schema.prisma and prisma/migrations agree; nothing to add');
      process.exit(0);
    }
    process.stdout.write(sql);
    process.exit(2);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
