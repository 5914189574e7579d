/**
 * The local tenant's mail log: every message accepted by Graph `sendMail` (tenant/graph/mail.ts)
 * is kept here instead of being delivered, so tests and the demo can see what the broker sent.
 * In memory, per running tenant, newest last, capped at {@link MAIL_LOG_LIMIT} messages.
 *
 *   GET  /_tenant/mail        200 { messages: SentMail[] } (JSON)
 *   GET  /_tenant/mail.html   the same as a page for people
 *   POST /_tenant/mail/reset  empty the log → 200 { messages: [] }
 */
import { escapeHtml } from './http-util';
import type { TenantContext } from './types';

export const MAIL_LOG_LIMIT = 1000;

export interface MailAddress {
  address: string;
  name: string | null;
}

export interface SentMail {
  id: string;
  sentDateTime: string;
  /** The mailbox the message was sent as. */
  from: MailAddress;
  senderUserId: string;
  /** The client that sent it (app id of the token). */
  appId: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  toRecipients: MailAddress[];
  ccRecipients: MailAddress[];
  bccRecipients: MailAddress[];
  saveToSentItems: boolean;
  graphRequestId: string;
}

// Keyed by context rather than stored on it: the log survives `PUT /_tenant/seed` (which swaps
// the directory, not the context) and needs no change to the context's shape.
const logs = new WeakMap<TenantContext, SentMail[]>();

export function getMailLog(ctx: TenantContext): SentMail[] {
  let log = logs.get(ctx);
  if (log === undefined) {
    log = [];
    logs.set(ctx, log);
  }
  return log;
}

export function recordMail(ctx: TenantContext, mail: SentMail): void {
  const log = getMailLog(ctx);
  log.push(mail);
  if (log.length > MAIL_LOG_LIMIT) log.splice(0, log.length - MAIL_LOG_LIMIT);
}

export function clearMailLog(ctx: TenantContext): void {
  getMailLog(ctx).length = 0;
}

function addresses(list: MailAddress[]): string {
  return list.map((a) => escapeHtml(a.name === null ? a.address : `${a.name} <${a.address}>`)).join(', ');
}

/**
 * A page listing the log, newest first. HTML bodies are shown in a sandboxed iframe (`srcdoc`,
 * no scripts, no same-origin), so a message can never run code on the tenant's origin.
 */
export function mailLogPage(ctx: TenantContext): string {
  const messages = [...getMailLog(ctx)].reverse();
  const items = messages
    .map(
      (m) => `<article>
<h2>${escapeHtml(m.subject || '(no subject)')}</h2>
<dl>
<dt>Sent</dt><dd><time datetime="${escapeHtml(m.sentDateTime)}">${escapeHtml(m.sentDateTime)}</time></dd>
<dt>From</dt><dd>${addresses([m.from])}</dd>
<dt>To</dt><dd>${addresses(m.toRecipients) || '—'}</dd>
${m.ccRecipients.length > 0 ? `<dt>Cc</dt><dd>${addresses(m.ccRecipients)}</dd>` : ''}
${m.bccRecipients.length > 0 ? `<dt>Bcc</dt><dd>${addresses(m.bccRecipients)}</dd>` : ''}
</dl>
${
  m.body.contentType === 'html'
    ? `<iframe title="Body of ${escapeHtml(m.subject)}" sandbox="" srcdoc="${escapeHtml(m.body.content)}"></iframe>`
    : `<pre>${escapeHtml(m.body.content)}</pre>`
}
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local tenant — sent mail</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b}
article{border:1px solid #c8c8c8;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
iframe{width:100%;min-height:18rem;border:1px solid #e0e0e0}pre{white-space:pre-wrap}
</style></head>
<body><main>
<h1>Sent mail</h1>
<p>Messages the local tenant accepted through Graph <code>sendMail</code> (${messages.length}, newest first). Nothing is delivered; JSON at <a href="/_tenant/mail">/_tenant/mail</a>.</p>
${items || '<p>No mail yet.</p>'}
</main></body></html>`;
}
