import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@/': root,
      // `server-only` throws outside the react-server condition; tests run core modules directly.
      'server-only': fileURLToPath(new URL('./node_modules/server-only/empty.js', import.meta.url)),
    },
  },
  test: {
    // Child processes, not threads: the global setup's NODE_EXTRA_CA_CERTS must be in place when each
    // worker's Node starts, which only a freshly started process honours.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'tenant/**/*.test.ts', 'scripts/**/*.test.ts', 'components/**/*.test.ts'],
          // Prepares the local tenant's data folder and certificate trust when not given.
          globalSetup: ['lib/testing/vitest-global-setup.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
