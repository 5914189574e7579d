import { defineConfig } from 'prisma/config';

// Read by the Prisma CLI only. `prisma generate` runs offline through scripts/prisma-generate.mjs;
// the CLI's migrate commands need Prisma's native schema engine (downloaded on first use, so only
// where the internet is reachable) — offline, `npm run db:migrate` (lib/db/migrate.ts) applies the
// same migrations and records them in `_prisma_migrations` exactly as `prisma migrate deploy` does.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : {},
});
