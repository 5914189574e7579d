import { describe, expect, it } from 'vitest';
import { BrokerError } from '@/lib/core/errors';
import { MAX_JSON_BODY_BYTES, readBodyText } from '@/lib/http/route';

/** A body of `total` bytes, produced lazily in 16 KB chunks, that counts what the reader pulled. */
function countingBody(total: number) {
  const chunk = new Uint8Array(16 * 1024).fill(0x61);
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      state.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request('http://localhost:3000/api/tap-requests', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<BrokerError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}

describe('readBodyText', () => {
  it('reads a body within the cap', async () => {
    expect(await readBodyText(post('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(await readBodyText(post(null))).toBe('');
  });

  it('refuses a declared Content-Length over the cap before reading a byte', async () => {
    const { stream, state } = countingBody(200 * 1024 * 1024);
    const error = await refusal(readBodyText(post(stream, { 'content-length': String(200 * 1024 * 1024) })));
    expect(error).toMatchObject({ code: 'validation-failed', status: 400 });
    expect(error.detail).toContain(String(MAX_JSON_BODY_BYTES));
    // The stream may be primed with one chunk by the runtime; nothing near the body's size is read,
    // and the upload is stopped.
    expect(state.pulled).toBeLessThanOrEqual(2 * 16 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it('stops reading a body without a length once it passes the cap, and cancels the rest', async () => {
    const { stream, state } = countingBody(200 * 1024 * 1024);
    const error = await refusal(readBodyText(post(stream)));
    expect(error.code).toBe('validation-failed');
    expect(state.pulled).toBeLessThanOrEqual(MAX_JSON_BODY_BYTES + 2 * 16 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it('accepts exactly the cap and refuses one byte more', async () => {
    expect((await readBodyText(post('a'.repeat(MAX_JSON_BODY_BYTES)))).length).toBe(MAX_JSON_BODY_BYTES);
    expect((await refusal(readBodyText(post('a'.repeat(MAX_JSON_BODY_BYTES + 1))))).code).toBe('validation-failed');
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', async () => {
    const error = await refusal(readBodyText(post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))));
    expect(error.detail).toBe('The body is not valid UTF-8.');
  });
});
