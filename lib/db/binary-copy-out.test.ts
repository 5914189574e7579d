/**
 * The binary COPY reader against real PostgreSQL output: the parser must give the same tuples
 * however the bytes are cut into chunks (the socket cuts them anywhere), NULL must stay apart from
 * an empty value, and openBinaryCopyOut must read a whole COPY and close its connection.
 */
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BinaryCopyParser, openBinaryCopyOut, type BinaryCopyTuple } from '@/lib/db/binary-copy-out';
import { getTestPostgresServer, type TestPostgresServer } from '@/lib/testing/postgres-server';

// Text with NULLs, empty strings, multi-byte characters, and one value far bigger than a socket read.
const SQL =
  `COPY (SELECT n::bigint, CASE WHEN n % 3 = 0 THEN NULL WHEN n % 5 = 0 THEN '' ELSE 'é漢😀 ' || n END, ` +
  `CASE WHEN n = 7 THEN repeat('y', 300000) END FROM generate_series(1, 40) AS n ORDER BY n) TO STDOUT (FORMAT binary)`;

function expectedTuples(): [bigint, string | null, string | null][] {
  return Array.from({ length: 40 }, (_, i) => {
    const n = i + 1;
    return [BigInt(n), n % 3 === 0 ? null : n % 5 === 0 ? '' : `é漢😀 ${n}`, n === 7 ? 'y'.repeat(300_000) : null];
  });
}

const decode = (tuples: BinaryCopyTuple[]) =>
  tuples.map(([n, text, big]) => [n?.readBigInt64BE(0), text === null ? null : text?.toString('utf8'), big === null ? null : big?.toString('utf8')]);

describe('binary COPY out on PostgreSQL', () => {
  let server: TestPostgresServer;
  let raw: Buffer;
  beforeAll(async () => {
    server = await getTestPostgresServer();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const parts: Buffer[] = [];
      const copy = client.query(copyTo(SQL));
      for await (const chunk of copy) parts.push(chunk as Buffer);
      raw = Buffer.concat(parts);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  test.each([1, 2, 3, 7, 19, 4096, 65536, Number.MAX_SAFE_INTEGER])('parses the output cut into chunks of %i bytes', (size) => {
    const parser = new BinaryCopyParser();
    const tuples: BinaryCopyTuple[] = [];
    for (let at = 0; at < raw.length; at += size) {
      expect(parser.isDone()).toBe(false);
      tuples.push(...parser.push(raw.subarray(at, Math.min(at + size, raw.length))));
    }
    expect(parser.isDone()).toBe(true);
    expect(decode(tuples)).toEqual(expectedTuples());
  });

  test('refuses bytes that are not a binary COPY output', () => {
    expect(() => new BinaryCopyParser().push(Buffer.from('seq,id,at,type,actorId,targetId\r\n'))).toThrow(/binary COPY/);
  });

  test('openBinaryCopyOut reads every tuple, then ends its connection', async () => {
    const copy = await openBinaryCopyOut(server.url, SQL);
    const tuples: BinaryCopyTuple[] = [];
    for (let more = await copy.next(); more !== null; more = await copy.next()) tuples.push(...more);
    expect(decode(tuples)).toEqual(expectedTuples());
    await copy.close();
    await expect(copy.next()).rejects.toThrow(/closed/);
  });

  test('a failing statement is an error of next(), not an unhandled one', async () => {
    const copy = await openBinaryCopyOut(server.url, 'COPY (SELECT 1 / 0) TO STDOUT (FORMAT binary)');
    try {
      await expect(copy.next()).rejects.toThrow(/division by zero/);
    } finally {
      await copy.close();
    }
  });
});
