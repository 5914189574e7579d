import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PrismaClient } from '@/lib/db/generated/client';

/**
 * `COPY (…) TO STDOUT (FORMAT binary)` read in Node as tuples of raw field bytes, for bulk reads
 * that must run at the database's own speed (the audit export): the rows are never decoded into
 * strings or objects, so the process makes little garbage however many rows pass through.
 *
 * Prisma cannot run COPY, so the read uses a `pg` client of its own, opened from the connection URL
 * the Prisma client of {@link createPostgresPrismaClient} was built with — the same URL (with its
 * SSL parameters) the app's PrismaPg adapter connects with, so no setting of its own.
 */

/** The connection URL behind each PostgreSQL Prisma client this module built; PGlite clients have none. */
const POSTGRES_URLS = new WeakMap<object, string>();

/** A Prisma client on the PostgreSQL database at `url`, which {@link getPostgresUrlOf} can open COPY reads beside. */
export function createPostgresPrismaClient(url: string): PrismaClient {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  POSTGRES_URLS.set(prisma, url);
  return prisma;
}

/**
 * The connection URL of a Prisma client made by {@link createPostgresPrismaClient}; `undefined` for
 * any other client (PGlite, a transaction client), which then has no COPY read.
 */
export function getPostgresUrlOf(db: object): string | undefined {
  return POSTGRES_URLS.get(db);
}

/** One tuple: each field's bytes (a view into the received data), or null for SQL NULL. */
export type BinaryCopyTuple = (Buffer | null)[];

export interface BinaryCopyOut {
  /**
   * The next tuples, in order (at least one), or null once the COPY has ended. Nothing is read from
   * the server between calls, so a slow consumer holds the server back (TCP backpressure) instead
   * of piling tuples up here.
   */
  next(): Promise<BinaryCopyTuple[] | null>;
  /** Ends the connection; mid-COPY it drops it, and the server stops the statement. Idempotent. */
  close(): Promise<void>;
}

/**
 * `sql` must be a `COPY (…) TO STDOUT (FORMAT binary)` statement; it runs on a new connection to
 * `url`, after `settings` (planner settings such as `enable_sort`) are set for that connection only.
 */
export async function openBinaryCopyOut(url: string, sql: string, settings: Readonly<Record<string, string>> = {}): Promise<BinaryCopyOut> {
  const client = new pg.Client({ connectionString: url });
  let failure: Error | undefined;
  // A dropped connection is reported by the next call to next(), never as an unhandled 'error'.
  client.on('error', (error) => {
    failure ??= error;
  });
  await client.connect();
  try {
    for (const [name, value] of Object.entries(settings)) await client.query('SELECT set_config($1, $2, false)', [name, value]);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  // Emitted once the server is ready for the next statement after the COPY, so that ending then
  // says goodbye instead of dropping a connection with a statement still in flight.
  const settled = new Promise<void>((resolve) => {
    client.once('drain', resolve).once('end', resolve).once('error', () => resolve());
  });
  const copy = client.query(copyTo(sql, { highWaterMark: READ_AHEAD_BYTES }));
  copy.on('error', (error) => {
    failure ??= error;
  });
  const parser = new BinaryCopyParser();
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= client.end().catch(() => undefined));

  const whenReadable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        copy.off('readable', done).off('end', done).off('error', done).off('close', done);
        resolve();
      };
      copy.on('readable', done).on('end', done).on('error', done).on('close', done);
    });

  return {
    async next() {
      for (;;) {
        if (failure) throw failure;
        if (closing) throw new Error('The COPY read was closed.');
        const chunk = copy.read() as Buffer | null;
        if (chunk !== null) {
          const tuples = parser.push(chunk);
          if (tuples.length > 0) return tuples;
        } else if (copy.readableEnded || copy.destroyed) {
          if (!parser.isDone()) throw failure ?? new Error('The binary COPY output ended before its trailer.');
          await settled;
          if (failure) throw failure;
          return null;
        } else {
          await whenReadable();
        }
      }
    },
    close,
  };
}

/**
 * How much of the COPY output is read from the socket ahead of the consumer: enough that the
 * server keeps producing while the consumer writes a chunk out (a small buffer makes the two take
 * turns), bounded so that a stalled download holds at most this much here.
 */
const READ_AHEAD_BYTES = 512 * 1024;

/** `PGCOPY\n\377\r\n\0`, which opens every binary COPY output. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** The signature, the flags field and the header extension's length. */
const HEADER_BYTES = SIGNATURE.length + 8;

/**
 * Splits PostgreSQL's binary COPY format (the header, then per tuple an int16 field count and per
 * field an int32 length — -1 for NULL — and the bytes, then the int16 -1 trailer) out of chunks cut
 * anywhere. A tuple cut by a chunk's end waits, as a view, until the chunks after it complete it.
 */
export class BinaryCopyParser {
  private stash: Buffer[] = [];
  private stashBytes = 0;
  /** Bytes the stash needs before parsing it again can make progress. */
  private needed = 0;
  private state: 'header' | 'tuples' | 'done' = 'header';

  isDone(): boolean {
    return this.state === 'done';
  }

  /** The tuples that `chunk` completes, in order. */
  push(chunk: Buffer): BinaryCopyTuple[] {
    const tuples: BinaryCopyTuple[] = [];
    let data = chunk;
    if (this.stashBytes > 0) {
      this.stash.push(chunk);
      this.stashBytes += chunk.length;
      if (this.stashBytes < this.needed) return tuples;
      data = Buffer.concat(this.stash, this.stashBytes);
      this.stash = [];
      this.stashBytes = 0;
    }
    let at = 0;
    if (this.state === 'header') {
      const signature = data.subarray(0, SIGNATURE.length);
      if (!signature.equals(SIGNATURE.subarray(0, signature.length))) throw new Error('Not a binary COPY output.');
      const extension = data.length >= HEADER_BYTES ? data.readInt32BE(HEADER_BYTES - 4) : 0;
      if (data.length < HEADER_BYTES + extension) {
        this.keep(data, 0, HEADER_BYTES + extension);
        return tuples;
      }
      at = HEADER_BYTES + extension;
      this.state = 'tuples';
    }
    while (this.state === 'tuples') {
      const start = at;
      if (data.length - at < 2) {
        this.keep(data, start, 2);
        return tuples;
      }
      const count = data.readInt16BE(at);
      at += 2;
      if (count === -1) {
        this.state = 'done';
        break;
      }
      const tuple: BinaryCopyTuple = new Array<Buffer | null>(count);
      for (let field = 0; field < count; field += 1) {
        if (data.length - at < 4) {
          this.keep(data, start, at + 4 - start);
          return tuples;
        }
        const length = data.readInt32BE(at);
        at += 4;
        if (length === -1) {
          tuple[field] = null;
          continue;
        }
        if (data.length - at < length) {
          this.keep(data, start, at + length - start);
          return tuples;
        }
        tuple[field] = data.subarray(at, at + length);
        at += length;
      }
      tuples.push(tuple);
    }
    return tuples;
  }

  /** Stashes `data` from `from` on, which needs at least `needed` bytes to parse. */
  private keep(data: Buffer, from: number, needed: number): void {
    const rest = data.subarray(from);
    this.stash = [rest];
    this.stashBytes = rest.length;
    this.needed = needed;
    // An empty stash would not be joined with the next chunk; a header or tuple cut right at a
    // chunk's end then simply starts in the next one.
    if (rest.length === 0) this.stash = [];
  }
}
