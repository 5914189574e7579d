/**
 * `npm run build:standalone` runs this after `next build`: completes `.next/standalone` with the
 * files Next leaves out (scripts/lib/standalone.ts) and prints where `server.js` is. The
 * Dockerfile's build stage runs the same.
 */
import { prepareStandalone } from './lib/standalone';

prepareStandalone().then(
  (dir) => console.log(`standalone portal ready: ${dir}`),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
