import { describe, expect, it } from 'vitest';
import { INELIGIBLE_REASONS } from '@/lib/broker/eligibility';
import { formatReason } from '@/lib/client/format';
import { describeReason, isKnownReason } from '@/lib/client/ineligibility-reasons';

const WHO_CAN_HELP = /[Aa]dministrator|manager|help desk/;

describe('ineligibility reasons in plain words', () => {
  it('has a label and an explanation naming who can help for every reason the broker gives', () => {
    for (const reason of INELIGIBLE_REASONS) {
      expect(isKnownReason(reason), reason).toBe(true);
      const { label, explanation } = describeReason(reason);
      expect(label.length, reason).toBeGreaterThan(3);
      expect(explanation, reason).toMatch(WHO_CAN_HELP);
    }
  });

  it('covers the reasons of the stricter rule even before the broker lists them', () => {
    for (const reason of ['privileged-role', 'portal-role', 'protected-account', 'cannot-verify']) {
      expect(isKnownReason(reason), reason).toBe(true);
    }
  });

  it('says who can issue a pass for an administrator and why a portal role is refused', () => {
    const privileged = describeReason('privileged-role');
    expect(privileged.label).toBe('Administrator role');
    expect(privileged.explanation).toContain('Privileged Authentication Administrator');
    expect(privileged.explanation).toContain('PIM');
    expect(describeReason('portal-role').explanation).toContain('approver, auditor or admin');
    expect(describeReason('protected-account').explanation).toContain('break-glass');
    expect(describeReason('cannot-verify').explanation).toContain('permission is missing');
  });

  it('gives every known reason a distinct label', () => {
    const labels = INELIGIBLE_REASONS.map((reason) => describeReason(reason).label);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('shows an unknown code de-kebabed, without an explanation, and never reads the prototype', () => {
    expect(describeReason('quota-exhausted')).toEqual({ label: 'Quota exhausted', explanation: '' });
    expect(describeReason('constructor')).toEqual({ label: 'Constructor', explanation: '' });
    expect(isKnownReason('toString')).toBe(false);
  });

  it('keeps formatReason as the short label', () => {
    expect(formatReason('protected-account')).toBe('Protected account');
    expect(formatReason('graph_rejected')).toBe('Graph rejected');
  });
});
