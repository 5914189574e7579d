/**
 * The request form's rules, in the form's words (the rules themselves are the contract's, so people
 * learn of a mistake before they submit). The API stays the judge: whatever it refuses comes back
 * as `validation-failed`.
 */
import { getJustificationProblem, JUSTIFICATION_MAX_CHARS, JUSTIFICATION_MIN_CHARS, START_MAX_AHEAD_DAYS } from '@/lib/contract/tap-request-rules';

export { JUSTIFICATION_MAX_CHARS, JUSTIFICATION_MIN_CHARS };
/** The broker accepts a start at most this far ahead. */
export const MAX_START_AHEAD_DAYS = START_MAX_AHEAD_DAYS;
/** Graph's own floor for a pass's lifetime, used when the tenant's minimum is not known. */
export const GRAPH_MIN_LIFETIME_MINUTES = 10;

/** Null when acceptable, else what is wrong, in the form's words. */
export function checkJustification(text: string): string | null {
  if (text.trim() === '') return 'Say why this person needs a pass.';
  const problem = getJustificationProblem(text);
  if (problem === 'too-long') return `Keep it under ${JUSTIFICATION_MAX_CHARS} characters.`;
  if (problem !== null) return `Write at least ${JUSTIFICATION_MIN_CHARS} characters and two words.`;
  return null;
}

export type LifetimeUnit = 'minutes' | 'hours';

export interface LifetimeInput {
  amount: string;
  unit: LifetimeUnit;
}

export function toLifetimeInput(minutes: number): LifetimeInput {
  return minutes % 60 === 0 ? { amount: String(minutes / 60), unit: 'hours' } : { amount: String(minutes), unit: 'minutes' };
}

/** Minutes, or null when the amount is not a positive number of whole minutes. */
export function toLifetimeMinutes(input: LifetimeInput): number | null {
  if (!/^\d+(?:[.,]\d+)?$/.test(input.amount.trim())) return null;
  const value = Number(input.amount.trim().replace(',', '.'));
  const minutes = input.unit === 'hours' ? value * 60 : value;
  return Number.isInteger(minutes) && minutes > 0 ? minutes : null;
}

/**
 * The default start for a new pass: the hire date of someone who has not started yet (what
 * Lifecycle Workflows does), else null ("when it is issued").
 */
export function getDefaultStart(employeeHireDate: string | null, now: Date = new Date()): Date | null {
  if (employeeHireDate === null) return null;
  const hire = new Date(employeeHireDate);
  return Number.isNaN(hire.getTime()) || hire.getTime() <= now.getTime() ? null : hire;
}
