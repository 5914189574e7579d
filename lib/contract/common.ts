/**
 * Building blocks shared by the contract's resources. Client-safe: zod only.
 */
import { z } from 'zod';

/** A timestamp as the portal writes it: ISO 8601 in UTC (`toISOString()`, `…Z`). */
export const isoDateTimeSchema = z.iso.datetime();

/**
 * A Microsoft Entra object id (user, group). Kept as text: it comes from tokens and Graph, and the
 * portal never assumes more than that about it.
 */
export const objectIdSchema = z.string().min(1);

/** An id the portal's database generates (a request, an audit event). */
export const uuidSchema = z.guid();

/** Any JSON object: evidence whose shape depends on another field (an audit event's `type`). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/**
 * Path parameters are opaque to the contract: an id that is not a UUID is simply not found (404),
 * never a 400, so the API says nothing about which ids could exist.
 */
export const pathIdSchema = z.string().meta({ description: 'A UUID; anything else is answered 404 like an unknown id.' });
