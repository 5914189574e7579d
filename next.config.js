// @ts-check
// This file is CommonJS (Next and scripts/lib/standalone.ts load it with require).
/* eslint-disable @typescript-eslint/no-require-imports */
const fs = require('node:fs');
const path = require('node:path');

/**
 * The folder Turbopack compiles from and the standalone output traces from: the nearest one that
 * holds both these sources and the packages they load. In a plain checkout (and the image) that is
 * this folder; in a git worktree whose node_modules is a symlink to another checkout's it is their
 * common parent, because Turbopack refuses packages outside its root and the trace would drop them.
 * The standalone server then sits at `.next/standalone/<path of this folder below the root>/`.
 */
function getWorkspaceRoot() {
  const modules = fs.realpathSync(path.join(__dirname, 'node_modules'));
  let root = __dirname;
  while (!(modules + path.sep).startsWith(root + path.sep) && path.dirname(root) !== root) root = path.dirname(root);
  return root;
}
const workspaceRoot = getWorkspaceRoot();

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `node server.js` in `.next/standalone` with only the files the server loads traced in: what the
  // image runs (Dockerfile) and what `npm run stack:prod` starts N of (scripts/lib/standalone.ts).
  output: 'standalone',
  outputFileTracingRoot: workspaceRoot,
  turbopack: { root: workspaceRoot },
  // PGlite ships a WASM build of PostgreSQL and reads its own files at run time; bundling breaks
  // those paths, so the server loads it (and its Prisma adapter) from node_modules. pg-copy-streams
  // takes over the socket of a `pg` client, so it is loaded beside the unbundled `pg` it patches into.
  serverExternalPackages: ['@electric-sql/pglite', 'pglite-prisma-adapter', 'pino', 'pg-copy-streams'],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'no-referrer' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // The portal needs none of these browser features; a script that got in could not use them either.
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), interest-cohort=()' },
          // A page another site opened cannot reach this window (MSAL signs in by redirect, not popup).
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Resource-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

module.exports = nextConfig;
