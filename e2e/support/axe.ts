import type { Page } from '@playwright/test';

/**
 * axe-core's browser bundle (axe-core is a devDependency; @axe-core/playwright needs Node 22).
 * Playwright loads specs as CommonJS, where `require.resolve` is at hand.
 */
export const axeScriptPath = require.resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/**
 * Runs axe-core in the page (WCAG 2.x A and AA rules plus best practices) and returns the
 * violations of at least `minImpact`. axe is injected on demand, so pages never ship it.
 */
export async function findAxeViolations(
  page: Page,
  options: { minImpact?: 'serious' | 'critical' | 'moderate' | 'minor' } = {},
): Promise<AxeViolation[]> {
  const order = ['minor', 'moderate', 'serious', 'critical'];
  const min = order.indexOf(options.minImpact ?? 'serious');
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.addScriptTag({ path: axeScriptPath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations;
  });
  return (violations as AxeViolation[]).filter((v) => order.indexOf(v.impact ?? 'minor') >= min);
}

/** One line per violation and node, for a failure message a person can act on. */
export function formatAxeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .flatMap((v) => v.nodes.map((node) => `[${v.impact}] ${v.id}: ${v.help} — ${node.target.join(' ')}\n    ${node.failureSummary.replace(/\n/g, '\n    ')}`))
    .join('\n');
}
