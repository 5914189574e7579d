# syntax=docker/dockerfile:1
# The portal image: Next's standalone server (next.config.js `output: 'standalone'`) completed by
# scripts/prepare-standalone.ts, run as a non-root user. The same image runs the one-off migration
# step of a deploy (`node db-migrate.js`, compose.yaml service `migrate`). `npm run stack:prod`
# starts the same entry command from the same folder (scripts/lib/standalone.ts), and
# scripts/lib/container-files.test.ts holds this file to it.

FROM node:20-slim AS deps
WORKDIR /app
# npm ci runs postinstall (scripts/prisma-generate.mjs), which generates the Prisma client from the schema.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/prisma-generate.mjs
RUN npm ci --no-audit --no-fund

FROM node:20-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/lib/db/generated ./lib/db/generated
COPY . .
# next build, then the static bundles, public, prisma/migrations and db-migrate.js into .next/standalone.
RUN npm run build:standalone

FROM node:20-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    DATA_DIR=/data
# The code stays root-owned and read-only to the server; it writes only DATA_DIR and Next's cache.
COPY --from=build /app/.next/standalone ./
RUN mkdir -p /data .next/cache && chown node:node /data .next/cache
USER node
EXPOSE 3000
# Readiness: slim has no curl, node's fetch asks. Starting, draining or without its database: unhealthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/api/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
