/**
 * The few HTML pages of the local tenant. Plain HTML, no script (except the form_post
 * auto-submit, under a per-response CSP nonce). Field names and ids follow Entra's sign-in page
 * (`loginfmt`/`i0116`, `passwd`/`i0118`, submit `idSIButton9`) so browser tests written for one
 * also find their way around the other; labels say "Username" and "Password". The second-factor
 * page likewise keeps Entra's ids (`otc`/`idTxtBx_SAOTCC_OTC`, submit `idSubmit_SAOTCC_Continue`)
 * and labels its field "Code" and its button "Verify".
 */
import { escapeHtml } from '../http-util';

const STYLE = `
  body { font-family: "Segoe UI", system-ui, -apple-system, sans-serif; background: #f2f2f2; margin: 0; color: #1b1b1b; }
  main { max-width: 440px; margin: 8vh auto; background: #fff; padding: 44px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  h1 { font-size: 1.5rem; font-weight: 600; margin: 0 0 16px; }
  p.note { font-size: .8rem; color: #555; }
  label { display: block; margin-top: 16px; font-size: .9rem; }
  p.identity { font-size: .9rem; color: #1b1b1b; margin: 0 0 12px; }
  input[type=text], input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: 8px 0; border: 0; border-bottom: 1px solid #666; font-size: 1rem; outline-offset: 2px; }
  button, input[type=submit] { margin-top: 24px; background: #0067b8; color: #fff; border: 0; padding: 8px 32px; font-size: 1rem; cursor: pointer; }
  .error { color: #e81123; margin-top: 12px; font-size: .9rem; }
  code { font-size: .8rem; word-break: break-all; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface SignInPageInput {
  action: string;
  hidden: [string, string][];
  username: string;
  error: string | null;
  tenantLabel: string;
  appLabel: string;
}

export function signInPage(input: SignInPageInput): string {
  const hidden = input.hidden
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const error = input.error
    ? `<div class="error" id="passwordError" role="alert">${escapeHtml(input.error)}</div>`
    : '';
  return layout(
    'Sign in to your account',
    `<h1>Sign in</h1>
<p>to continue to ${escapeHtml(input.appLabel)}</p>
<form method="post" action="${escapeHtml(input.action)}" autocomplete="on" novalidate>
${hidden}
<label for="i0116">Username</label>
<input type="email" id="i0116" name="loginfmt" value="${escapeHtml(input.username)}" autocomplete="username" required ${input.username ? '' : 'autofocus'}>
<label for="i0118">Password</label>
<input type="password" id="i0118" name="passwd" autocomplete="current-password" required ${input.username ? 'autofocus' : ''}>
${error}
<input type="submit" id="idSIButton9" value="Sign in">
</form>
<p class="note">TAP Broker local tenant (${escapeHtml(input.tenantLabel)}) — a stand-in for Microsoft Entra ID on this machine.</p>`,
  );
}

/** What the second-factor page says; tests and browser tests match these texts exactly. */
export const SECOND_FACTOR_TEXT = {
  title: 'Enter code',
  prompt: 'Enter the code from your authenticator app',
  label: 'Code',
  submit: 'Verify',
  wrongCode: "That code didn't work. Check the time on your device and try again.",
  noMethodTitle: 'Verify your identity',
  noMethod:
    'This sign-in needs a code from an authenticator app, and no authenticator app is registered for your account. Ask your administrator to register one.',
  noMethodSubmit: 'Back to the app',
} as const;

function hiddenInputs(hidden: [string, string][]): string {
  return hidden.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
}

export interface SecondFactorPageInput {
  action: string;
  hidden: [string, string][];
  /** The signed-in user's UPN, shown so the user knows which account the code is for. */
  userPrincipalName: string;
  error: string | null;
  tenantLabel: string;
}

/** Asks for the 6-digit code of the user's authenticator app (after the password, or alone). */
export function secondFactorPage(input: SecondFactorPageInput): string {
  const t = SECOND_FACTOR_TEXT;
  const error = input.error
    ? `<div class="error" id="idSpan_SAOTCC_Error_OTC" role="alert">${escapeHtml(input.error)}</div>`
    : '';
  return layout(
    t.title,
    `<h1>${escapeHtml(t.title)}</h1>
<p class="identity" id="displayName">${escapeHtml(input.userPrincipalName)}</p>
<p id="idDiv_SAOTCC_Description">${escapeHtml(t.prompt)}</p>
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off" novalidate>
${hiddenInputs(input.hidden)}
<label for="idTxtBx_SAOTCC_OTC">${escapeHtml(t.label)}</label>
<input type="text" id="idTxtBx_SAOTCC_OTC" name="otc" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus${input.error ? ' aria-invalid="true" aria-describedby="idSpan_SAOTCC_Error_OTC"' : ''}>
${error}
<input type="submit" id="idSubmit_SAOTCC_Continue" value="${escapeHtml(t.submit)}">
</form>
<p class="note">TAP Broker local tenant (${escapeHtml(input.tenantLabel)}) — a stand-in for Microsoft Entra ID on this machine. <code>npm run totp -- ${escapeHtml(input.userPrincipalName)}</code> prints the current code of a demo account.</p>`,
  );
}

/** Says that the user has no second factor to offer; the button ends the sign-in with an error. */
export function noSecondFactorPage(input: Omit<SecondFactorPageInput, 'error'>): string {
  const t = SECOND_FACTOR_TEXT;
  return layout(
    t.noMethodTitle,
    `<h1>${escapeHtml(t.noMethodTitle)}</h1>
<p class="identity" id="displayName">${escapeHtml(input.userPrincipalName)}</p>
<p id="noSecondFactor" role="alert">${escapeHtml(t.noMethod)}</p>
<form method="post" action="${escapeHtml(input.action)}">
${hiddenInputs(input.hidden)}
<input type="hidden" name="stepUpCancel" value="1">
<input type="submit" id="idSIButton9" value="${escapeHtml(t.noMethodSubmit)}">
</form>
<p class="note">TAP Broker local tenant (${escapeHtml(input.tenantLabel)}) — a stand-in for Microsoft Entra ID on this machine.</p>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p id="errorMessage">${escapeHtml(message)}</p>
<p class="note">TAP Broker local tenant — a stand-in for Microsoft Entra ID on this machine.</p>`,
  );
}

export function formPostPage(action: string, fields: [string, string][], nonce: string): string {
  const inputs = fields.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Working...</title></head>
<body>
<form method="post" name="hiddenform" action="${escapeHtml(action)}">
${inputs}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form>
<script nonce="${escapeHtml(nonce)}">document.forms[0].submit();</script>
</body></html>`;
}

export function signedOutPage(): string {
  return layout(
    'You signed out of your account',
    `<h1>You signed out of your account</h1>
<p>It's a good idea to close all browser windows.</p>`,
  );
}

export function landingPage(input: { tenantId: string; returnUrl: string | null; certUrl: string }): string {
  const back = input.returnUrl
    ? `<p>If you arrived here to accept the certificate, you can go back now: <a id="return" href="${escapeHtml(input.returnUrl)}">${escapeHtml(input.returnUrl)}</a></p>`
    : '';
  return layout(
    'TAP Broker local tenant',
    `<h1>TAP Broker local tenant</h1>
<p>This is a stand-in for Microsoft Entra ID and Microsoft Graph, running on this machine for development and tests (tenant <code>${escapeHtml(input.tenantId)}</code>).</p>
<p>It uses a certificate generated on this machine. Your browser warned about it because no public authority signed it; accepting it here lets the portal sign you in against this local tenant only. Download it: <a href="${escapeHtml(input.certUrl)}">cert.pem</a>.</p>
${back}`,
  );
}

/** What the device code pages say (Entra's wording); tests match these texts. */
export const DEVICE_CODE_TEXT = {
  title: 'Enter code',
  prompt: 'Enter the code displayed on your app or device.',
  label: 'Code',
  next: 'Next',
  badCode: "That code didn't work. Check the code and try again.",
  confirmTitle: 'Are you trying to sign in?',
  continue: 'Continue',
  cancel: 'Cancel',
  declined: 'You have declined to sign in to the application on your device. You may now close this window.',
} as const;

/** The device code verification page: the user types the code their device shows (`otc`, Entra's field name). */
export function deviceCodeEntryPage(input: { action: string; error: string | null; tenantLabel: string }): string {
  const t = DEVICE_CODE_TEXT;
  const error = input.error ? `<div class="error" id="otcError" role="alert">${escapeHtml(input.error)}</div>` : '';
  return layout(
    t.title,
    `<h1>${escapeHtml(t.title)}</h1>
<p>${escapeHtml(t.prompt)}</p>
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off" novalidate>
<label for="otc">${escapeHtml(t.label)}</label>
<input type="text" id="otc" name="otc" autocomplete="off" required autofocus${input.error ? ' aria-invalid="true" aria-describedby="otcError"' : ''}>
${error}
<input type="submit" id="idSIButton9" value="${escapeHtml(t.next)}">
</form>
<p class="note">TAP Broker local tenant (${escapeHtml(input.tenantLabel)}) — a stand-in for Microsoft Entra ID on this machine.</p>`,
  );
}

/** Asks whether the user means to sign in to `appLabel` on their device (Continue, or Cancel to decline). */
export function deviceCodeConfirmPage(input: { action: string; hidden: [string, string][]; appLabel: string }): string {
  const t = DEVICE_CODE_TEXT;
  return layout(
    t.confirmTitle,
    `<h1>${escapeHtml(t.confirmTitle)}</h1>
<p>${escapeHtml(input.appLabel)}</p>
<p class="note">Only continue if you downloaded the app from a store or website that you trust.</p>
<form method="post" action="${escapeHtml(input.action)}">
${hiddenInputs(input.hidden)}
<input type="submit" id="idSIButton9" name="continue" value="${escapeHtml(t.continue)}">
<input type="submit" id="idBtn_Back" name="decline" value="${escapeHtml(t.cancel)}">
</form>`,
  );
}

/** The end of the device code sign-in: the device may now redeem its code (or hears it was declined). */
export function deviceCodeDonePage(input: { appLabel: string; declined: boolean }): string {
  const text = input.declined
    ? DEVICE_CODE_TEXT.declined
    : `You have signed in to the ${input.appLabel} application on your device. You may now close this window.`;
  return layout(input.appLabel, `<h1>${escapeHtml(input.appLabel)}</h1>\n<p id="message" role="status">${escapeHtml(text)}</p>`);
}
