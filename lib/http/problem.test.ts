import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BROKER_ERROR_STATUS, BrokerError, type BrokerErrorCode } from '@/lib/core/errors';
import { errorToResponse, PROBLEM_CONTENT_TYPE } from '@/lib/http/problem';
import { createLogger } from '@/lib/log';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { log: createLogger(stream, 'info'), lines };
}

describe('errorToResponse', () => {
  it.each(Object.entries(BROKER_ERROR_STATUS) as [BrokerErrorCode, number][])('maps %s to %i problem+json', async (code, status) => {
    const { log } = capture();
    const response = errorToResponse(new BrokerError(code), log);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: `/problems/${code}`, status, code });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
  });

  it('adds errors, reasons, Retry-After and WWW-Authenticate where they belong', async () => {
    const { log } = capture();
    const invalid = errorToResponse(new BrokerError('validation-failed', undefined, { errors: [{ path: 'a', message: 'bad' }] }), log);
    expect(await invalid.json()).toMatchObject({ errors: [{ path: 'a', message: 'bad' }] });
    const ineligible = errorToResponse(new BrokerError('target-ineligible', undefined, { reasons: ['guest'] }), log);
    expect(await ineligible.json()).toMatchObject({ reasons: ['guest'] });
    const limited = errorToResponse(new BrokerError('rate-limited', undefined, { retryAfterSeconds: 2.2 }), log);
    expect(limited.headers.get('retry-after')).toBe('3');
    const unauthenticated = errorToResponse(new BrokerError('unauthenticated'), log);
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const stepUp = errorToResponse(new BrokerError('step-up-required', undefined, { authContextId: 'c12' }), log);
    expect(stepUp.status).toBe(401);
    expect(await stepUp.json()).toMatchObject({ code: 'step-up-required', title: 'Step-up required', authContextId: 'c12' });
    const claims = Buffer.from('{"access_token":{"acrs":{"essential":true,"value":"c12"}}}').toString('base64url');
    expect(stepUp.headers.get('www-authenticate')).toBe(
      `Bearer realm="", error="insufficient_claims", error_description="A claims challenge is required for this action", claims="${claims}"`,
    );
  });

  it('maps a ZodError to validation-failed without echoing the input', async () => {
    const { log } = capture();
    const result = z.object({ n: z.number() }).safeParse({ n: 'secret-input' });
    if (result.success) throw new Error('expected failure');
    const response = errorToResponse(result.error, log);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'validation-failed', errors: [{ path: 'n' }] });
    expect(text).not.toContain('secret-input');
  });

  it('answers anything else with a bare 500 and logs the cause', async () => {
    const { log, lines } = capture();
    const response = errorToResponse(new Error('db password=hunter2 leaked in message'), log);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      type: '/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side. The error has been logged.',
      code: 'internal-error',
    });
    expect(text).not.toContain('hunter2');
    expect(lines.join('')).toContain('unhandled error');
  });

  // The load campaign's PostgreSQL restart: a read outside a transaction met these and answered 500.
  it.each([
    ['a restarting server ends the connection', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server still starting', new Error('the database system is starting up')],
    ['a pooled connection the restart broke (node-postgres)', new Error('Client has encountered a connection error and is not queryable')],
    ['a refused connection', new Error('connect ECONNREFUSED 127.0.0.1:5432')],
  ])('answers 503 upstream-unavailable when %s', async (_why, error) => {
    const { log, lines } = capture();
    const response = errorToResponse(error, log);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'upstream-unavailable', status: 503 });
    expect(lines.join('')).not.toContain('unhandled error');
  });
});
