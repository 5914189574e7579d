import { getOpenApiDocument } from '@/lib/contract/openapi';
import { defineRoute } from '@/lib/http/route';

/** `GET /api/openapi.json`: this API's OpenAPI 3.1 document, for readers and client generators. */

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The OpenAPI 3.1 document of this API, built from the contract's route table. Public: it describes, it reveals nothing. */
export const GET = defineRoute('getOpenApiDocument', async () => getOpenApiDocument());
