/**
 * Building blocks shared by the contract's resources. Client-safe: zod only, and `zod/mini` (the
 * functional API) rather than classic zod, so the browser bundle keeps only the parts it uses.
 */
import * as z from 'zod/mini';

/** A timestamp as the portal writes it: ISO 8601 in UTC (`toISOString()`, `…Z`). */
export const isoDateTimeSchema = z.iso.datetime();

/**
 * A Microsoft Entra object id (user, group). Kept as text: it comes from tokens and Graph, and the
 * portal never assumes more than that about it.
 */
export const objectIdSchema = z.string().check(z.minLength(1));

/** An id the portal's database generates (a request, an audit event). */
export const uuidSchema = z.guid();

/** Any JSON object: evidence whose shape depends on another field (an audit event's `type`). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/**
 * An id in a path. Only a UUID can name anything, so anything else is 404 before it reaches the
 * core, like a well-formed id that does not exist or that the caller may not see: the answer says
 * nothing about which ids exist.
 */
export const pathIdSchema = z.guid().check(z.describe('A UUID; anything else is 404 `not-found`.'));
