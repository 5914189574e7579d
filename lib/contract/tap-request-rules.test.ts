import { describe, expect, it } from 'vitest';
import { checkJustification as checkInBroker } from '@/lib/broker/tap-request-policy';
import { checkJustification as checkInForm } from '@/lib/client/request-form';
import { getJustificationProblem } from '@/lib/contract/tap-request-rules';

const samples = ['', 'short', 'x . y . z .', 'fix . . . . !', 'onewordonlyhere', '  Lost phone, needs a pass  ', 'a'.repeat(995) + ' word', 'a'.repeat(1001) + ' word', 'Écran cassé aujourd’hui'];

describe('the justification rule', () => {
  it('names what is wrong', () => {
    expect(getJustificationProblem('short')).toBe('too-short');
    expect(getJustificationProblem('fix . . . . !')).toBe('one-word');
    expect(getJustificationProblem(`${'a'.repeat(1001)} b`)).toBe('too-long');
    expect(getJustificationProblem('  Lost phone, needs a pass  ')).toBeNull();
  });

  it('is the same in the request form and in the broker: the form accepts exactly what the API accepts', () => {
    for (const text of samples) {
      expect(checkInForm(text) === null, JSON.stringify(text)).toBe(checkInBroker(text).ok);
    }
  });
});
