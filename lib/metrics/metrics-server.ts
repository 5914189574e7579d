/**
 * The Prometheus endpoint: a plain node:http server of its own (METRICS_PORT, on METRICS_HOST,
 * loopback by default), never a route of the public port, serving `GET /metrics` in the text
 * format. At each scrape it also reads the gauges that live in the database through the readers
 * the boot code hands it (this layer does not reach the database itself): each reading bounded by
 * a timeout, and one that fails or times out leaves its gauges out of that scrape and sets
 * `tap_broker_scrape_error` to 1, so a stale or invented value is never reported.
 */
import 'server-only';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { logger } from '@/lib/log';
import { METRIC_PREFIX, getMetricsRegistry } from '@/lib/metrics/registry';

/** A database reading slower than this is dropped from the scrape. */
export const SCRAPE_READ_TIMEOUT_MS = 2_000;

/** The database readings of a scrape (lib/db/operational-gauges.ts). */
export interface DatabaseGaugeReaders {
  reconcilerBacklog(): Promise<{ issuing: number; oldestAgeSeconds: number }>;
  notificationBacklog(): Promise<{ pending: number; sending: number }>;
  auditHeadSeq(): Promise<number>;
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  readers: DatabaseGaugeReaders;
  readTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type GaugeSpec = { name: string; help: string; labelNames?: string[] };

/** One reading and the gauges it sets; `read` resolves to `[labels, value]` pairs per gauge name. */
interface Reading {
  gauges: GaugeSpec[];
  read(): Promise<Record<string, [Record<string, string>, number][]>>;
}

function readingsOf(readers: DatabaseGaugeReaders): Reading[] {
  const backlog = `${METRIC_PREFIX}reconciler_backlog_requests`;
  const backlogAge = `${METRIC_PREFIX}reconciler_backlog_oldest_age_seconds`;
  const outbox = `${METRIC_PREFIX}notification_outbox_backlog`;
  const head = `${METRIC_PREFIX}audit_chain_head_seq`;
  return [
    {
      gauges: [
        { name: backlog, help: 'TAP requests left `issuing`, waiting for the reconciler.' },
        { name: backlogAge, help: 'How long the oldest `issuing` request has waited, in seconds (0 when none).' },
      ],
      read: async () => {
        const { issuing, oldestAgeSeconds } = await readers.reconcilerBacklog();
        return { [backlog]: [[{}, issuing]], [backlogAge]: [[{}, oldestAgeSeconds]] };
      },
    },
    {
      gauges: [{ name: outbox, help: 'Notifications not yet sent, by status: pending (waiting) and sending (claimed by a dispatcher).', labelNames: ['status'] }],
      read: async () => {
        const { pending, sending } = await readers.notificationBacklog();
        return { [outbox]: [[{ status: 'pending' }, pending], [{ status: 'sending' }, sending]] };
      },
    },
    {
      gauges: [{ name: head, help: 'The seq of the newest audit event (the head of the hash chain).' }],
      read: async () => ({ [head]: [[{}, await readers.auditHeadSeq()]] }),
    },
  ];
}

/**
 * The whole scrape in the Prometheus text format: the process's registry, then the database
 * gauges of this scrape (in a registry of their own, built per scrape, so a failed reading leaves
 * no old value behind).
 */
export async function renderMetrics(readers: DatabaseGaugeReaders, readTimeoutMs = SCRAPE_READ_TIMEOUT_MS): Promise<string> {
  const scrape = new Registry();
  const results = await Promise.allSettled(readingsOf(readers).map(async (reading) => ({ reading, values: await withTimeout(reading.read(), readTimeoutMs) })));
  let failed = 0;
  for (const result of results) {
    if (result.status === 'rejected') {
      failed += 1;
      logger.warn({ component: 'metrics', err: result.reason }, 'a database gauge could not be read for this scrape');
      continue;
    }
    for (const spec of result.value.reading.gauges) {
      const gauge = new Gauge({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [scrape] });
      for (const [labels, value] of result.value.values[spec.name] ?? []) gauge.set(labels, value);
    }
  }
  new Gauge({ name: `${METRIC_PREFIX}scrape_error`, help: '1 when a database gauge could not be read for this scrape (it is then absent), else 0.', registers: [scrape] }).set(failed > 0 ? 1 : 0);
  return `${await getMetricsRegistry().metrics()}\n${await scrape.metrics()}`;
}

interface ServerState {
  server: Server;
  port: number;
}

// On globalThis: one server per process however often Next evaluates this module.
const SERVER_KEY = Symbol.for('tap-broker.metrics-server');
type Store = typeof globalThis & { [SERVER_KEY]?: Promise<ServerState> };

/**
 * Starts the metrics server once per process; a second call returns the first's port. Resolves
 * once it listens (rejects when the port is taken, and a later call may try again).
 */
export function startMetricsServer(options: MetricsServerOptions): Promise<{ port: number }> {
  const store = globalThis as Store;
  store[SERVER_KEY] ??= listen(options).catch((error: unknown) => {
    delete store[SERVER_KEY];
    throw error;
  });
  return store[SERVER_KEY].then(({ port }) => ({ port }));
}

function listen(options: MetricsServerOptions): Promise<ServerState> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(request.method === 'GET' ? 404 : 405, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here.\n');
      return;
    }
    renderMetrics(options.readers, options.readTimeoutMs).then(
      (text) => response.writeHead(200, { 'Content-Type': getMetricsRegistry().contentType, 'Cache-Control': 'no-store' }).end(text),
      (error: unknown) => {
        logger.error({ component: 'metrics', err: error }, 'the metrics could not be rendered');
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The metrics could not be rendered.\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      logger.info({ component: 'metrics', host: options.host, port }, 'metrics server listening');
      resolve({ server, port });
    });
  });
}

/** Closes the metrics server if this process started one (for graceful shutdown); resolves when it is closed. */
export async function stopMetricsServer(): Promise<void> {
  const store = globalThis as Store;
  const state = store[SERVER_KEY];
  if (state === undefined) return;
  delete store[SERVER_KEY];
  const { server } = await state.catch(() => ({ server: undefined }));
  if (server === undefined) return;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    // A scraper's keep-alive connection would otherwise hold the close open.
    server.closeIdleConnections();
  });
}
