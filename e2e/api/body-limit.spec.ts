import { request as httpRequest } from 'node:http';
import { expect, test } from '@playwright/test';
import { portalUrl } from '../support/env';
import { residentBytesOfTree } from '../support/process-memory';
import { tokenFor } from '../support/portal-api';
import { findManagerWithIndirectReports, loadSeed } from '../support/seed';

/**
 * A signed-in user posting a huge body: refused at the byte cap, so the portal's memory does not
 * grow with the upload — whether the body declares its length or streams without one.
 */

const MB = 1024 * 1024;
const UPLOAD_BYTES = 200 * MB;
const chunk = Buffer.alloc(MB, '{"a":"'.padEnd(MB, 'x'));

/**
 * POSTs up to 200 MB of JSON-ish bytes to the portal, declared or chunked, and resolves with the
 * status as soon as the portal answers (the rest of the upload is abandoned; the portal may reset
 * the connection once it has answered).
 */
function postHugeBody(token: string, declareLength: boolean): Promise<{ status: number; sent: number }> {
  const url = new URL('/api/tap-requests', portalUrl);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(declareLength ? { 'content-length': String(UPLOAD_BYTES) } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < UPLOAD_BYTES) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

const demo = loadSeed();

for (const declareLength of [true, false]) {
  test(`a 200 MB body ${declareLength ? 'with its Content-Length' : 'sent chunked'} is refused at the cap and leaves the portal's memory within +20 MB`, async ({ request }) => {
    const token = await tokenFor(findManagerWithIndirectReports(demo).userPrincipalName);
    // The route's code is loaded by a small refused call first, so only the upload is measured.
    const small = await request.post('/api/tap-requests', { headers: { authorization: `Bearer ${token}` }, data: {} });
    expect(small.status()).toBe(400);
    const before = residentBytesOfTree();
    // A real measurement: the running portal holds far more than nothing.
    expect(before).toBeGreaterThan(50 * MB);
    const { status } = await postHugeBody(token, declareLength);
    expect(status).toBe(400);
    const after = residentBytesOfTree();
    expect(after - before, `resident set grew from ${Math.round(before / MB)} MB to ${Math.round(after / MB)} MB`).toBeLessThan(20 * MB);
  });
}
