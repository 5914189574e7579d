// @ts-check

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // PGlite ships a WASM build of PostgreSQL and reads its own files at run time; bundling breaks
  // those paths, so the server loads it (and its Prisma adapter) from node_modules. pg-copy-streams
  // takes over the socket of a `pg` client, so it is loaded beside the unbundled `pg` it patches into.
  // prom-client keeps its registry per module instance, so every bundle must load the same one;
  // the OpenTelemetry SDK and exporter load Node's http and async_hooks and stay beside the API.
  serverExternalPackages: [
    '@electric-sql/pglite',
    'pglite-prisma-adapter',
    'pino',
    'pg-copy-streams',
    'prom-client',
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/resources',
    '@opentelemetry/context-async-hooks',
  ],
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
