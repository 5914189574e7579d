/**
 * Tests only: the child process of the spawn test in lib/jobs/graceful-shutdown.test.ts — a
 * portal process without `next build`. It serves the real route modules of the issue and
 * readiness operations over HTTP, and installs a SIGTERM handler that does what Next's
 * `startServer` does (node_modules/next/dist/server/lib/start-server.js: `server.close()`, which
 * waits for the requests in flight, then `process.exit(143)`), before `register()`'s work: the
 * background jobs and our graceful shutdown, as instrumentation.ts starts them. So the test sees
 * our drain hold Next's exit until the jobs released their leases.
 *
 * Run as `node --conditions=react-server --import tsx lib/testing/graceful-shutdown-child.ts`;
 * prints `listening <port>` once it serves.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GET as getReadiness } from '@/app/api/health/ready/route';
import { POST as issueTap } from '@/app/api/tap-requests/[id]/issue/route';
import { startBackgroundJobs } from '@/lib/jobs/background-jobs';
import { installGracefulShutdown } from '@/lib/jobs/graceful-shutdown';

const ISSUE_PATH = /^\/api\/tap-requests\/([^/]+)\/issue$/;

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const issue = ISSUE_PATH.exec(url.pathname);
    const handler = url.pathname === '/api/health/ready' ? getReadiness : issue !== null ? issueTap : null;
    if (handler === null) {
      res.writeHead(404).end();
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const response = await handler(new Request(url, { method: req.method, headers }), { params: Promise.resolve(issue === null ? {} : { id: issue[1] ?? '' }) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  })();
});

// Next's handler, installed before register() runs.
process.on('SIGTERM', () => {
  server.close(() => process.exit(143));
});

server.listen(0, '127.0.0.1', () => {
  startBackgroundJobs();
  installGracefulShutdown();
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
