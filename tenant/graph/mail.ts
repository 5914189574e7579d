/**
 * `POST /users/{id|userPrincipalName}/sendMail` (application permission `Mail.Send`): answers
 * 202 with an empty body, as Graph does, and records the message in the tenant's mail log
 * (tenant/mail-log.ts) instead of delivering it. Validation errors follow Graph's shapes: OData's
 * `RequestBodyRead` for a body it cannot read, Exchange's `ErrorInvalidRecipients` /
 * `ErrorInvalidUser` for the mail-specific refusals.
 */
import { randomUUID } from 'node:crypto';
import { findUser } from '../directory';
import { recordMail, type MailAddress, type SentMail } from '../mail-log';
import { GraphHttpError, isJsonContentType, isPlainObject, parseJsonBody, type GraphEnv, type GraphResponse } from './http';
import { hasAnyPermission } from './permissions';

export const MAIL_SEND = ['Mail.Send'] as const;

const MESSAGE_PROPERTIES = new Set([
  '@odata.type',
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'importance',
  'from',
  'sender',
  'internetMessageHeaders',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
]);

/** Loose on purpose: Exchange resolves more than this, but anything without one @ never resolves. */
const ADDRESS_RE = /^[^\s@]+@[^\s@]+$/;

function bodyRead(message: string): GraphHttpError {
  return new GraphHttpError(400, 'RequestBodyRead', message);
}

function unknownProperty(name: string, type: string): GraphHttpError {
  return bodyRead(`The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`);
}

function parseRecipients(value: unknown, property: string): MailAddress[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) bodyReadThrow(`Cannot read property '${property}': an array of recipients is expected.`);
  return (value as unknown[]).map((item) => {
    if (!isPlainObject(item) || !isPlainObject(item.emailAddress)) {
      throw bodyRead(`Cannot read property '${property}': each recipient must be an object with an 'emailAddress'.`);
    }
    const { address, name } = item.emailAddress;
    if (typeof address !== 'string' || !ADDRESS_RE.test(address.trim())) {
      throw new GraphHttpError(
        400,
        'ErrorInvalidRecipients',
        `At least one recipient isn't valid., Recipient '${typeof address === 'string' ? address : ''}' is not resolved. All recipients must be resolved before a message can be submitted.`,
      );
    }
    return { address: address.trim(), name: typeof name === 'string' ? name : null };
  });
}

function bodyReadThrow(message: string): never {
  throw bodyRead(message);
}

/** `POST /users/{id|upn}/sendMail` → 202, the message recorded in the mail log. */
export function sendMail(env: GraphEnv, idOrUpn: string): GraphResponse {
  if (!hasAnyPermission(env, MAIL_SEND)) {
    throw new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const faults = env.ctx.faults;
  if (faults.sendMailFailNext > 0) {
    faults.sendMailFailNext -= 1;
    throw new GraphHttpError(503, 'serviceNotAvailable', 'Service unavailable. Please try again later.');
  }
  if (!isJsonContentType(env.req)) {
    throw new GraphHttpError(415, 'UnsupportedMediaType', "A supported MIME type could not be found that matches the content type of the response. Content-Type must be 'application/json'.");
  }
  const user = findUser(env.ctx.directory, idOrUpn);
  if (user === undefined) throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
  // A delegated caller may only send as itself (Mail.Send delegated); app tokens as anyone.
  if (env.caller.kind === 'user' && env.caller.userId !== user.id) {
    throw new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }

  const raw = parseJsonBody(env.req);
  if (!isPlainObject(raw)) throw bodyRead('The parameter \'Message\' in the request payload is not a valid parameter.');
  for (const key of Object.keys(raw)) {
    if (key !== 'message' && key !== 'saveToSentItems') throw bodyRead(`The parameter '${key}' in the request payload is not a valid parameter for the operation 'sendMail'.`);
  }
  const { message, saveToSentItems } = raw;
  if (!isPlainObject(message)) throw new GraphHttpError(400, 'ErrorInvalidParameter', "The value of the parameter 'Message' is empty.");
  if (saveToSentItems !== undefined && typeof saveToSentItems !== 'boolean') {
    throw bodyRead(`Cannot convert the literal '${String(saveToSentItems)}' to the expected type 'Edm.Boolean'.`);
  }
  for (const key of Object.keys(message)) {
    if (!MESSAGE_PROPERTIES.has(key)) throw unknownProperty(key, 'microsoft.graph.message');
  }
  if (message.subject !== undefined && message.subject !== null && typeof message.subject !== 'string') {
    throw bodyRead(`Cannot convert a primitive value to the expected type 'Edm.String'.`);
  }
  let contentType: 'text' | 'html' = 'text';
  let content = '';
  if (message.body !== undefined && message.body !== null) {
    if (!isPlainObject(message.body)) throw bodyRead("Cannot read property 'body': an itemBody object is expected.");
    for (const key of Object.keys(message.body)) {
      if (key !== 'contentType' && key !== 'content' && key !== '@odata.type') throw unknownProperty(key, 'microsoft.graph.itemBody');
    }
    const ct = message.body.contentType;
    if (ct !== undefined && ct !== null) {
      if (typeof ct !== 'string' || !['text', 'html'].includes(ct.toLowerCase())) {
        throw bodyRead(`Cannot convert the literal '${String(ct)}' to the expected type 'microsoft.graph.bodyType'.`);
      }
      contentType = ct.toLowerCase() as 'text' | 'html';
    }
    if (message.body.content !== undefined && message.body.content !== null && typeof message.body.content !== 'string') {
      throw bodyRead(`Cannot convert a primitive value to the expected type 'Edm.String'.`);
    }
    content = typeof message.body.content === 'string' ? message.body.content : '';
  }
  const toRecipients = parseRecipients(message.toRecipients, 'toRecipients');
  const ccRecipients = parseRecipients(message.ccRecipients, 'ccRecipients');
  const bccRecipients = parseRecipients(message.bccRecipients, 'bccRecipients');
  if (toRecipients.length + ccRecipients.length + bccRecipients.length === 0) {
    throw new GraphHttpError(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
  }

  const mail: SentMail = {
    id: randomUUID(),
    sentDateTime: new Date().toISOString(),
    from: { address: user.mail ?? user.userPrincipalName, name: user.displayName },
    senderUserId: user.id,
    appId: env.caller.appId,
    subject: typeof message.subject === 'string' ? message.subject : '',
    body: { contentType, content },
    toRecipients,
    ccRecipients,
    bccRecipients,
    saveToSentItems: saveToSentItems ?? true,
    graphRequestId: env.req.requestId,
  };
  recordMail(env.ctx, mail);
  env.ctx.stats.events['mail.sent'] = (env.ctx.stats.events['mail.sent'] ?? 0) + 1;
  return { status: 202, headers: { 'request-id': env.req.requestId, 'client-request-id': env.req.clientRequestId }, body: undefined };
}
