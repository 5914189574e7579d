import 'server-only';
import { z } from 'zod';
import { GraphRequestError, GraphTransportError, readGraphErrorBody, sendGraphRaw } from '@/lib/graph/client';
import { isUserReference } from '@/lib/graph/get-target-facts';
import { BrokerError } from '@/lib/core/errors';
import { callGraph } from '@/lib/graph/client';

/**
 * Notification mail through Graph (`POST /users/{sender}/sendMail`, application permission
 * `Mail.Send`). The broker sends as one configured mailbox (MAIL_SENDER). Nothing here retries a
 * send on its own: the outbox (lib/notify) owns retries, so a send whose outcome is unknown is
 * retried at most by the dispatcher's schedule (a duplicate mail is possible then; a lost one is
 * not, until the dispatcher gives up).
 */

export interface MailMessage {
  to: string[];
  subject: string;
  /** Simple HTML; Graph's `itemBody` holds one body, so the HTML is what is sent. */
  html: string;
}

/** A send that did not end in 202 Accepted. */
export class MailSendError extends Error {
  override readonly name = 'MailSendError';
  /** HTTP status, or null when no answer came (network, timeout, token). */
  readonly status: number | null;
  readonly graphCode: string | null;
  readonly graphRequestId: string | null;
  /** false for a definitive 4xx (bad recipient, no permission, no such mailbox): retrying is pointless. */
  readonly retryable: boolean;
  constructor(message: string, status: number | null, graphCode: string | null, graphRequestId: string | null, retryable: boolean) {
    super(message);
    this.status = status;
    this.graphCode = graphCode;
    this.graphRequestId = graphRequestId;
    this.retryable = retryable;
  }
}

/**
 * Sends one message from `sender` (UPN or object id). Resolves with Graph's `request-id` on 202;
 * throws {@link MailSendError} otherwise. Not saved to Sent Items: the outbox is the record.
 */
export async function sendMail(sender: string, message: MailMessage): Promise<{ graphRequestId: string | null }> {
  if (!isUserReference(sender)) throw new RangeError('sender must be an object id or a UPN');
  const body = {
    message: {
      subject: message.subject,
      body: { contentType: 'HTML', content: message.html },
      toRecipients: message.to.map((address) => ({ emailAddress: { address } })),
    },
    saveToSentItems: false,
  };
  let response;
  try {
    response = await sendGraphRaw({ method: 'POST', url: `/users/${encodeURIComponent(sender)}/sendMail`, body });
  } catch (error) {
    if (!(error instanceof GraphTransportError)) throw error;
    throw new MailSendError(`no answer from Graph to sendMail (${error.message})`, null, null, null, true);
  }
  if (response.status === 202) return { graphRequestId: response.requestId };
  const { code, requestId } = readGraphErrorBody(response.body);
  const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
  throw new MailSendError(`Graph answered ${response.status} ${code ?? ''} to sendMail`.trim(), response.status, code, response.requestId ?? requestId, retryable);
}

const userMailSchema = z.object({ id: z.string(), mail: z.string().nullish(), userPrincipalName: z.string().nullish() });

/**
 * The address to write to for a directory user: `mail`, else the UPN (Exchange Online routes a
 * member's UPN when it is also a proxy address, the usual set-up). Null when Graph does not know
 * the user (404) or the user has neither.
 */
export async function getUserMailAddress(userId: string): Promise<string | null> {
  if (!isUserReference(userId)) return null;
  try {
    const user = await callGraph({ method: 'GET', url: `/users/${encodeURIComponent(userId)}?$select=id,mail,userPrincipalName` }, userMailSchema);
    return user.mail ?? user.userPrincipalName ?? null;
  } catch (error) {
    if (error instanceof GraphRequestError && error.status === 404) return null;
    if (error instanceof BrokerError) {
      throw new MailSendError('Graph could not be reached to look up the recipient', null, null, null, true);
    }
    throw error;
  }
}
