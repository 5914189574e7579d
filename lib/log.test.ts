import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, scrubSecrets } from '@/lib/log';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { log: createLogger(stream, 'trace'), lines };
}

describe('logger redaction', () => {
  it('never writes a token, secret, password or pass, under any key or nesting', () => {
    const { log, lines } = capture();
    log.info(
      {
        headers: { authorization: `Bearer ${JWT}`, 'x-request-id': 'abc' },
        temporaryAccessPass: '+drkzqAD',
        result: { temporaryAccessPass: 'Pass-Nested-1', methodId: 'm1' },
        deep: { a: { b: { c: { clientSecret: 'client-secret-value', password: 'pw-value' } } } },
        note: `the caller sent ${JWT} here`,
        list: [{ access_token: 'at-value' }],
      },
      `message with Bearer ${JWT}`,
    );
    const out = lines.join('');
    for (const secret of [JWT, '+drkzqAD', 'Pass-Nested-1', 'client-secret-value', 'pw-value', 'at-value']) {
      expect(out, secret).not.toContain(secret);
    }
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', result: { temporaryAccessPass: REDACTED, methodId: 'm1' }, headers: { 'x-request-id': 'abc' } });
  });

  it('scrubs error messages and causes', () => {
    const { log, lines } = capture();
    const error = new Error(`token was ${JWT}`, { cause: { client_secret: 'cause-secret' } });
    log.error({ err: error }, 'failed');
    const out = lines.join('');
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('cause-secret');
    expect(JSON.parse(out)).toMatchObject({ err: { type: 'Error', message: `token was ${REDACTED}` } });
  });

  it('masks passwords embedded in URLs, such as in a database driver error', () => {
    const { log, lines } = capture();
    log.error({ err: new Error('connect failed: postgres://tap:hunter2@db.internal:5432/tap') }, 'db down');
    const out = lines.join('');
    expect(out).not.toContain('hunter2');
    expect(out).toContain(`postgres://tap:${REDACTED}@db.internal:5432/tap`);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(scrubSecrets(a)).toEqual({ name: 'a', self: '[circular]' });
  });
});
