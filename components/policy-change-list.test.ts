import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PolicyFields } from '@/components/policy-api';
import { PolicyChangeList } from '@/components/policy-change-list';

const BEFORE: PolicyFields = {
  maxDepth: 2,
  requireApproval: 'always',
  defaultLifetimeInMinutes: 60,
  maxLifetimeInMinutes: 480,
  isUsableOnce: true,
  approvalValidityMinutes: 1440,
  maxIssuancesPerManagerPerDay: 20,
  maxPendingRequestsPerRequester: 10,
  allowedDirectoryRoleTemplateIds: ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b', '4a5d8f65-41da-4de4-8968-e035b65339cf'],
  protectedGroupIds: [],
  stepUpAuthContextId: null,
  stepUpActions: [],
};

function text(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

describe('policy changes in words', () => {
  it('shows list changes as the entries added and removed, by role name and group id', () => {
    const after: PolicyFields = {
      ...BEFORE,
      maxDepth: 3,
      allowedDirectoryRoleTemplateIds: ['4a5d8f65-41da-4de4-8968-e035b65339cf', '27460883-1df1-4691-b032-3b79643e5e63'],
      protectedGroupIds: ['11111111-2222-4333-8444-555555555555'],
    };
    const html = renderToStaticMarkup(
      createElement(PolicyChangeList, {
        fields: ['maxDepth', 'allowedDirectoryRoleTemplateIds', 'protectedGroupIds'],
        before: BEFORE,
        after,
        label: 'Changes in version 5',
      }),
    );
    const items = html.split('</li>').slice(0, 3).map(text);
    expect(items).toEqual([
      'Reporting depth: 2 levels → changed to 3 levels',
      'Allowed read-only roles: added User Experience Success Manager; removed Directory Readers',
      'Protected groups: added 11111111-2222-4333-8444-555555555555',
    ]);
    expect(html).toContain('data-field="protectedGroupIds"');
  });

  it('shows the pending cap as a number changed to another', () => {
    const html = renderToStaticMarkup(
      createElement(PolicyChangeList, { fields: ['maxPendingRequestsPerRequester'], before: BEFORE, after: { ...BEFORE, maxPendingRequestsPerRequester: 3 }, label: 'Changes' }),
    );
    expect(text(html)).toBe('Requests waiting per requester: 10 → changed to 3');
    expect(html).toContain('data-field="maxPendingRequestsPerRequester"');
  });
});
