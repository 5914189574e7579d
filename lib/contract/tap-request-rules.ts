/**
 * The rules of a TAP request that both sides apply: the browser to tell people of a mistake before
 * they submit, the broker to decide. One copy, so the form cannot accept what the API refuses.
 */

export const JUSTIFICATION_MIN_CHARS = 10;
export const JUSTIFICATION_MAX_CHARS = 1000;
/** How far back a requested start may lie (clock skew between the browser and the broker). */
export const START_PAST_TOLERANCE_MINUTES = 5;
/** How far ahead a pass may be requested. */
export const START_MAX_AHEAD_DAYS = 30;

/** What is wrong with a justification: too short, too long, or not a sentence. */
export type JustificationProblem = 'too-short' | 'too-long' | 'one-word';

/**
 * A justification must say why, in a sentence: once trimmed 10–1000 characters and at least two
 * words, where a word has a letter or a digit ("x ." is one word).
 */
export function getJustificationProblem(text: string): JustificationProblem | null {
  const trimmed = text.trim();
  if (trimmed.length < JUSTIFICATION_MIN_CHARS) return 'too-short';
  if (trimmed.length > JUSTIFICATION_MAX_CHARS) return 'too-long';
  if (trimmed.split(/\s+/u).filter((word) => /[\p{L}\p{N}]/u.test(word)).length < 2) return 'one-word';
  return null;
}
