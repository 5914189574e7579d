/**
 * Why the broker refuses a pass for someone, in plain words: a short label for badges and lists,
 * and an explanation of what it means and who can help instead. A manager who meets a refusal
 * should know whom to ask, not only that the answer is no.
 */

export interface ReasonText {
  label: string;
  explanation: string;
}

/** Everyone who can issue a pass for a user Entra considers an admin; named in several reasons. */
const ENTRA_ADMINS = 'an Authentication Administrator or Privileged Authentication Administrator';

const REASON_TEXTS: Readonly<Record<string, ReasonText>> = {
  self: {
    label: 'This is you',
    explanation: 'Nobody can request a pass for themselves. Ask your own manager to request one for you.',
  },
  'account-disabled': {
    label: 'Account disabled',
    explanation:
      'The account is turned off in Entra ID, so a pass could not sign in. Ask your Entra user administrator to turn it back on first.',
  },
  guest: {
    label: 'Guest account',
    explanation:
      'Guests sign in through their own organisation, so this portal does not issue passes for them. Their home organisation’s help desk can help.',
  },
  'privileged-role': {
    label: 'Administrator role',
    explanation: `Holds an administrator role in Entra ID (or can get one through PIM or a role-assignable group), and a pass would hand that power to whoever holds it. Only ${ENTRA_ADMINS} can issue a pass for this account, in Entra.`,
  },
  'portal-role': {
    label: 'Role in this portal',
    explanation: `Is an approver, auditor or admin of this portal; a pass would hand that role to whoever holds it, so managers cannot get one. Ask ${ENTRA_ADMINS} to issue a pass in Entra.`,
  },
  'protected-account': {
    label: 'Protected account',
    explanation: `Is in a restricted administrative unit or a group your admins protect (such as break-glass accounts and executives), so this portal never issues a pass for it. Only the administrators responsible for it (${ENTRA_ADMINS} allowed to act on it) can, in Entra.`,
  },
  'cannot-verify': {
    label: 'Roles cannot be checked',
    explanation: `The broker cannot check this account’s roles right now (a permission is missing from its app registration), so it refuses rather than guess. Ask your Entra administrator to grant the permission named in the portal’s health check; meanwhile ${ENTRA_ADMINS} can issue a pass in Entra.`,
  },
  'tap-policy-disabled': {
    label: 'Passes are turned off in the tenant',
    explanation:
      'Temporary Access Pass is disabled in the tenant’s authentication methods policy, so nobody can get one. An Authentication Policy Administrator can turn it on in Entra.',
  },
  'outside-tap-policy': {
    label: 'Not covered by the tenant’s pass policy',
    explanation:
      'The tenant’s Temporary Access Pass policy does not include this person (they are not in a group it targets). An Authentication Policy Administrator can include them in Entra.',
  },
  'not-in-reporting-chain': {
    label: 'Not in your reporting line',
    explanation: 'They do not report to you, directly or through others, in the directory. Their own manager can request a pass.',
  },
  'beyond-max-depth': {
    label: 'Beyond the allowed depth',
    explanation:
      'They report to you through more levels than the policy allows. A manager closer to them can request a pass.',
  },
};

/** The label and explanation of a reason code; unknown codes get a de-kebabed label and no explanation. */
export function describeReason(code: string): ReasonText {
  const known = Object.hasOwn(REASON_TEXTS, code) ? REASON_TEXTS[code] : undefined;
  if (known !== undefined) return known;
  const words = code.replace(/[-_]+/g, ' ').trim();
  return { label: words.charAt(0).toUpperCase() + words.slice(1), explanation: '' };
}

/** Whether the portal has words for this reason code (the rest are shown de-kebabed). */
export function isKnownReason(code: string): boolean {
  return Object.hasOwn(REASON_TEXTS, code);
}
