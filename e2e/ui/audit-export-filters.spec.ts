/**
 * The audit console's export follows its filters: an auditor narrows the trail to "Request denied"
 * by an approver picked by name (the people picker), the list shows N events, and the CSV and JSON
 * Lines exports hold exactly those N rows, with names beside the ids, and verify offline with the
 * repository's verifier against their signed, filtered manifests. An "Until" before "From" is an
 * error on the field, not an empty list. At 1280 and 390 px, axe-clean.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { auditExportManifestSchema } from '@/lib/contract/audit';
import { findAxeViolations, formatAxeViolations } from '../support/axe';
import { asUser, createTapRequest, readAudit, userIdOf } from '../support/portal-api';
import { loadSeed, userByUpn } from '../support/seed';
import { signIn } from '../support/sign-in';
import { readPublicKey, verifyAuditExport } from '../../scripts/audit-verify';

const seed = loadSeed();
const AUDITOR = 'henrietta.mueller@contoso.test';
const APPROVER = 'isaiah.langer@contoso.test';
const MANAGER = 'patti.fernandez@contoso.test';
const TARGET = 'christie.cline@contoso.test';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function expectAxeClean(page: Page): Promise<void> {
  const violations = await findAxeViolations(page, { minImpact: 'serious' });
  expect(violations, formatAxeViolations(violations)).toEqual([]);
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.name}: the export holds exactly the filtered events, with names, and verifies offline`, async ({ page, request }) => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    // A denial by the approver, so the trail has one and the approver's name is recorded.
    const created = await createTapRequest(request, MANAGER, TARGET);
    const denied = await asUser(request, APPROVER).post(`/api/tap-requests/${created.id}/deny`, { reason: 'No ticket for this one.' });
    expect(denied.status(), await denied.text()).toBe(200);
    const approverId = await userIdOf(APPROVER);
    const approver = userByUpn(seed, APPROVER);
    const expected = await readAudit(request, AUDITOR, { type: 'tap_request.denied', actorId: approverId });
    expect(expected.length).toBeGreaterThan(0);

    await signIn(page, userByUpn(seed, AUDITOR));
    await page.getByRole('link', { name: 'Audit', exact: true }).filter({ visible: true }).first().click();
    await expect(page.getByTestId('audit-count')).toBeVisible();
    const filters = page.getByTestId('audit-filters');

    // "Until" before "From": an error on the field, and the list is not asked.
    await filters.getByLabel('From').fill('2026-03-02T10:00');
    await filters.getByLabel('Until').fill('2026-03-01T10:00');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page.getByTestId('audit-period-error')).toHaveText('"Until" must be after "From".');
    await expect(filters.getByLabel('Until')).toHaveAttribute('aria-invalid', 'true');
    await expectAxeClean(page);
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await expect(page.getByTestId('audit-period-error')).toHaveCount(0);

    // The approver, picked by name: the filter takes their id.
    await filters.getByLabel('Event type').selectOption('tap_request.denied');
    const actor = filters.getByRole('combobox', { name: 'Actor' });
    await actor.fill(approver.displayName.split(' ')[0] ?? '');
    const option = filters.getByRole('option', { name: new RegExp(`${approver.displayName} · ${APPROVER}`) });
    await expect(option).toBeVisible();
    await expectAxeClean(page);
    await actor.press('ArrowDown');
    await actor.press('Enter');
    await expect(actor).toHaveValue(approverId);
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    const shown = Math.min(expected.length, 50);
    await expect(page.getByTestId('audit-row')).toHaveCount(shown);
    await expect(page.getByTestId('audit-export-summary')).toContainText(`Export ${shown === expected.length ? `${shown} event${shown === 1 ? '' : 's'}` : `${shown}+ events`} (filtered)`);

    const keyRes = await request.get('/api/audit/public-key');
    const publicKey = readPublicKey(await keyRes.text());
    const filterBox = await filters.boundingBox();
    for (const format of ['csv', 'jsonl'] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: format === 'csv' ? 'Download CSV' : 'Download JSONL' }).click()]);
      const bytes = readFileSync((await download.path())!);
      await expect(page.getByTestId('audit-export-done')).toContainText(`(${expected.length} event${expected.length === 1 ? '' : 's'}, filtered)`);
      const [manifestDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed manifest' }).click()]);
      const sentManifest: unknown = JSON.parse(readFileSync((await manifestDownload.path())!, 'utf8'));
      const manifest = auditExportManifestSchema.parse(sentManifest);
      expect(manifest).toMatchObject({ format, filtered: true, filters: { type: 'tap_request.denied', actorId: approverId }, count: expected.length });

      const text = bytes.toString('utf8');
      const rows =
        format === 'jsonl'
          ? text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
          : text.split('\r\n').slice(1, -1).map((row) => ({ seq: Number(row.split(',', 1)[0]), row }));
      expect(rows.map((row) => Number(row.seq)).sort((a, b) => b - a)).toEqual(expected.map((event) => event.seq));
      if (format === 'jsonl') {
        for (const row of rows) expect(row).toMatchObject({ type: 'tap_request.denied', actorId: approverId, actorUserPrincipalName: APPROVER, actorDisplayName: approver.displayName });
      } else {
        expect(text.split('\r\n', 1)[0]).toBe('seq,id,at,type,actorId,targetId,requestId,actorDisplayName,actorUserPrincipalName,targetDisplayName,targetUserPrincipalName,prevHash,hash,data');
        expect(text).toContain(`"${approver.displayName}","${APPROVER}"`);
      }
      const result = await verifyAuditExport([bytes], { manifest: sentManifest, publicKey });
      expect(result, result.problem).toMatchObject({ ok: true, format, count: expected.length, manifestChecked: true, keySource: 'pinned' });
    }
    // The filter card keeps its width after the exports, and the list still shows the filtered events.
    expect((await filters.boundingBox())?.width).toBe(filterBox?.width);
    await expect(page.getByTestId('audit-row')).toHaveCount(shown);
    await expectAxeClean(page);
  });
}
