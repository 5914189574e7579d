import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EligibilityBadge } from '@/components/badge';
import { ProblemAlert } from '@/components/problem-alert';
import { ApiError } from '@/lib/client/api-fetch';
import { describeReason } from '@/lib/client/ineligibility-reasons';

/** The visible text of rendered markup, entities decoded, tags dropped. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('reasons on the team page and in refusals', () => {
  it('shows each reason of an ineligible person with what it means, under the id the button points at', () => {
    const html = renderToStaticMarkup(
      createElement(EligibilityBadge, { eligible: false, reasons: ['portal-role', 'privileged-role'], id: 'reportee-1-reasons' }),
    );
    expect(html).toContain('id="reportee-1-reasons"');
    expect(html).toContain('data-reason="portal-role"');
    const shown = text(html);
    expect(shown).toContain('Not eligible');
    for (const reason of ['portal-role', 'privileged-role']) {
      const { label, explanation } = describeReason(reason);
      expect(shown).toContain(label);
      expect(shown).toContain(explanation);
    }
  });

  it('shows no reasons for someone eligible', () => {
    const html = renderToStaticMarkup(createElement(EligibilityBadge, { eligible: true, reasons: [] }));
    expect(text(html)).toBe('Eligible');
    expect(html).not.toContain('ineligible-reason');
  });

  it('does not call someone eligible when only their account was judged (the org-chart mirror)', () => {
    const html = renderToStaticMarkup(createElement(EligibilityBadge, { eligible: true, reasons: [], scope: 'account' }));
    expect(text(html)).toBe('Checked on request');
    const refused = renderToStaticMarkup(createElement(EligibilityBadge, { eligible: false, reasons: ['account-disabled'], scope: 'account' }));
    expect(text(refused)).toContain('Not eligible');
  });

  it('explains a target-ineligible refusal in the alert', () => {
    const refusal = new ApiError({
      status: 422,
      title: 'Not eligible',
      detail: 'Policy does not allow a Temporary Access Pass for this user.',
      code: 'target-ineligible',
      reasons: ['protected-account', 'cannot-verify'],
    });
    const shown = text(renderToStaticMarkup(createElement(ProblemAlert, { error: refusal })));
    expect(shown).toContain('Policy does not allow a Temporary Access Pass for this user.');
    expect(shown).toContain(describeReason('protected-account').explanation);
    expect(shown).toContain(describeReason('cannot-verify').explanation);
  });
});
