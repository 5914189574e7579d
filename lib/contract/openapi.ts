/**
 * The OpenAPI 3.1 document of the portal API, built from the route table (`routes.ts`) and the
 * contract's zod schemas with zod's own JSON Schema output (draft 2020-12, the dialect OpenAPI 3.1
 * uses). Served at `GET /api/openapi.json`; paste it into any OpenAPI viewer to read it, or read
 * `docs/api-reference.md`, its rendering (`openapi-markdown.ts`).
 *
 * Responses are converted as the server sends them (`io: 'output'`), parameters and bodies as a
 * client writes them (`io: 'input'`: defaults make a field optional, transforms show their input).
 * The shapes most answers share are named components; the rest are inlined in their operation.
 */
import * as z from 'zod/mini';
import { auditEventSchema, auditExportManifestSchema } from '@/lib/contract/audit';
import { healthCheckSchema, readinessSchema } from '@/lib/contract/session';
import { policyInputSchema, policySchema, policyVersionSchema } from '@/lib/contract/policy';
import { PROBLEM_CONTENT_TYPE, PROBLEM_DESCRIPTIONS, PROBLEM_STATUS, problemSchema, validationIssueSchema, type ProblemCode } from '@/lib/contract/problem';
import { reporteeSchema } from '@/lib/contract/reportees';
import { APP_ROLES, getAppRolesSatisfying } from '@/lib/contract/roles';
import { getOperationResponses, operations, problem, type Allow, type Operation, type ResponseSpec } from '@/lib/contract/routes';
import { issuedTapSchema, tapRequestSchema } from '@/lib/contract/tap-requests';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The document; a plain JSON object (a type alias, so it is a `Record<string, unknown>`). */
export type OpenApiDocument = {
  openapi: string;
  jsonSchemaDialect: string;
  info: JsonObject;
  tags: JsonObject[];
  paths: Record<string, Record<string, JsonObject>>;
  components: JsonObject & { schemas: Record<string, JsonObject> };
};

export const OPENAPI_VERSION = '3.1.0';
/** The version of the API this document describes (not the package's). */
export const API_VERSION = '1.0.0';

/** Answers (io: output) worth a name: they recur, or a client will want a type for them. */
const OUTPUT_COMPONENTS: Record<string, z.core.$ZodType> = {
  Problem: problemSchema,
  ValidationIssue: validationIssueSchema,
  TapRequest: tapRequestSchema,
  IssuedTap: issuedTapSchema,
  Reportee: reporteeSchema,
  Policy: policySchema,
  PolicyVersion: policyVersionSchema,
  AuditEvent: auditEventSchema,
  AuditExportManifest: auditExportManifestSchema,
  HealthCheck: healthCheckSchema,
  Readiness: readinessSchema,
};

/** Inputs (io: input) worth a name. */
const INPUT_COMPONENTS: Record<string, z.core.$ZodType> = {
  PolicyInput: policyInputSchema,
};

const TAGS: { name: string; description: string }[] = [
  { name: 'Health', description: 'Liveness, readiness and the configuration checks.' },
  { name: 'Session', description: 'What the browser needs before and after sign-in.' },
  { name: 'Reportees', description: "The caller's org below them, from Graph." },
  { name: 'TAP requests', description: 'Requesting, deciding, issuing and revoking Temporary Access Passes.' },
  { name: 'Audit', description: 'The hash-chained audit trail, its exports and their signatures.' },
  { name: 'Policy', description: 'The broker policy and its versions.' },
  { name: 'Dashboard', description: 'Figures for auditors and admins.' },
  { name: 'Meta', description: 'This document.' },
];

const SECURITY_SCHEME = 'entraAccessToken';
const WELL_KNOWN_FORMATS = new Set(['date-time', 'date', 'uuid']);
const COMPONENT_REF = '#/components/schemas/';

const DESCRIPTION = [
  'Lets managers obtain Microsoft Entra Temporary Access Passes for their own reportees, through a policy-checked, audited broker.',
  '',
  '**Authentication.** Every route but the ones marked *anyone* needs `Authorization: Bearer <access token>`: a v2 access token of the configured tenant for the portal API (audience the API\'s client id, `scp` containing `access_as_user`, issued to the portal SPA or a client listed in `API_ALLOWED_CLIENT_IDS`). The portal\'s app roles arrive in the token\'s `roles` claim: ' +
    `\`${APP_ROLES.approver}\`, \`${APP_ROLES.auditor}\` and \`${APP_ROLES.admin}\` (admin implies the other two). ` +
    'Managers hold no role: the org chart in Graph decides for whom they may act.',
  '',
  "**Budget.** Every call to a route not marked *anyone*, once its token is verified, counts against its user's budget (`API_BUDGET_PER_USER` calls per fixed window of `API_BUDGET_WINDOW_SECONDS`, shared by every instance of the portal), malformed calls included; over it, the answer is `429 rate-limited` with `Retry-After` in seconds until the window ends.",
  '',
  '**Errors** are RFC 9457 `application/problem+json` with a `code` (see the `Problem` schema). Every answer carries `Cache-Control: no-store` and `x-request-id`: the server\'s own id for the call (a UUID), never the caller\'s. A caller\'s own `x-request-id` (at most 64 of `A-Z a-z 0-9 . _ -`) is recorded beside it as `clientRequestId` in the logs and the audit trail.',
].join('\n');

function isZodSchema(value: unknown): value is z.core.$ZodType {
  return value instanceof z.core.$ZodType;
}

/** Drops what a standalone conversion adds but an embedded schema must not carry. */
function embed(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Every `$ref` string anywhere under `value`. */
function collectRefs(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => collectRefs(item, into));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') into.add(item);
      else collectRefs(item, into);
    }
  }
  return into;
}

/**
 * Converts every schema of `named` and `anonymous` in one pass, so shared named schemas become
 * `$ref`s. Anonymous ones come back inline unless something refers to them.
 */
function convert(named: Record<string, z.core.$ZodType>, anonymous: Map<z.core.$ZodType, string>, io: 'input' | 'output') {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.core.$ZodType, string>();
  for (const [id, schema] of Object.entries(named)) {
    registry.add(schema, { id });
    idOf.set(schema, id);
  }
  for (const [schema, id] of anonymous) {
    if (idOf.has(schema)) continue;
    registry.add(schema, { id });
    idOf.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'throw',
    uri: (id) => `${COMPONENT_REF}${id}`,
    override: ({ jsonSchema }) => {
      // Noise for a reader: the format says it, and safe-integer bounds are every integer's.
      if (typeof jsonSchema.format === 'string' && WELL_KNOWN_FORMATS.has(jsonSchema.format)) delete jsonSchema.pattern;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  }) as { schemas: Record<string, JsonObject> };
  return { schemas: Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, embed(schema)])), idOf };
}

function allowText(allow: Allow): string {
  if (allow === 'anyone') return 'Anyone (no token is read).';
  if (allow === 'signed-in') return 'Any signed-in user.';
  return `Roles: ${allow.map((role) => `\`${APP_ROLES[role]}\``).join(', ')}${allow.includes('admin') ? '' : ` (or \`${APP_ROLES.admin}\`)`}.`;
}

function security(allow: Allow): Json[] {
  if (allow === 'anyone') return [];
  if (allow === 'signed-in') return [{ [SECURITY_SCHEME]: [] }];
  // Alternative requirements: any one of the token roles that satisfies the route will do.
  const roles = [...new Set(allow.flatMap((role) => getAppRolesSatisfying(role)))];
  return roles.map((role) => ({ [SECURITY_SCHEME]: [role] }));
}

function headerRefs(names: string[]): JsonObject {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

/** `['unauthenticated', 'step-up-required']` → `UnauthenticatedOrStepUpRequired`: the name of a shared problem response. */
function problemResponseName(codes: readonly ProblemCode[]): string {
  return codes.map((code) => code.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase())).join('Or');
}

function problemResponse(status: number, codes: readonly ProblemCode[]): JsonObject {
  const headers = ['x-request-id'];
  if (codes.includes('unauthenticated') || codes.includes('step-up-required')) headers.push('WWW-Authenticate');
  if (codes.includes('rate-limited') || codes.includes('upstream-unavailable')) headers.push('Retry-After');
  return {
    description: codes.map((code) => `\`${code}\`: ${PROBLEM_DESCRIPTIONS[code]}`).join('\n\n'),
    headers: headerRefs(headers),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [{ $ref: `${COMPONENT_REF}Problem` }],
          properties: { status: { const: status }, code: { enum: [...codes] } },
        },
      },
    },
  };
}

function successDescription(status: number): string {
  return status === 201 ? 'Created.' : 'OK.';
}

function responseObject(
  operation: Operation,
  status: number,
  spec: ResponseSpec,
  schemaFor: (schema: z.core.$ZodType) => JsonObject,
  problems: Map<string, JsonObject>,
): JsonObject {
  if (isZodSchema(spec)) {
    return { description: successDescription(status), headers: headerRefs(['x-request-id']), content: { 'application/json': { schema: schemaFor(spec) } } };
  }
  switch (spec.kind) {
    case 'problem': {
      const wrong = spec.codes.filter((code) => PROBLEM_STATUS[code] !== status);
      if (wrong.length > 0) throw new Error(`${operation.id}: ${wrong.join(', ')} is not sent with status ${status}`);
      const name = problemResponseName(spec.codes);
      problems.set(name, problemResponse(status, spec.codes));
      return { $ref: `#/components/responses/${name}` };
    }
    case 'json':
      return {
        description: spec.description ?? successDescription(status),
        headers: { ...headerRefs(['x-request-id']), ...extraHeaders(spec.headers) },
        content: { 'application/json': { schema: schemaFor(spec.schema) } },
      };
    case 'file':
      return {
        description: spec.description,
        headers: { ...headerRefs(['x-request-id']), ...extraHeaders(spec.headers) },
        content: Object.fromEntries(spec.contentTypes.map((type) => [type, { schema: { type: 'string' } }])),
      };
  }
}

function extraHeaders(headers: Readonly<Record<string, string>> | undefined): JsonObject {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
}

/** Path or query parameters from an object schema's JSON Schema. */
function parameters(schema: JsonObject, location: 'path' | 'query'): Json[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function inputName(operation: Operation, part: string): string {
  return `${operation.id[0]?.toUpperCase() ?? ''}${operation.id.slice(1)}${part}`;
}

/** Builds the document from the route table. Pure; `getOpenApiDocument` keeps the result. */
export function buildOpenApiDocument(table: readonly Operation[] = operations): OpenApiDocument {
  const outputs = new Map<z.core.$ZodType, string>();
  const inputs = new Map<z.core.$ZodType, string>();
  for (const operation of table) {
    for (const [status, spec] of Object.entries(operation.responses)) {
      const schema = isZodSchema(spec) ? spec : spec.kind === 'json' ? spec.schema : undefined;
      if (schema !== undefined && !outputs.has(schema)) outputs.set(schema, inputName(operation, `Response${status}`));
    }
    for (const [part, schema] of [['Params', operation.params], ['Query', operation.query], ['Body', operation.body]] as const) {
      if (schema !== undefined && !inputs.has(schema)) inputs.set(schema, inputName(operation, part));
    }
  }
  const out = convert(OUTPUT_COMPONENTS, outputs, 'output');
  const inp = convert(INPUT_COMPONENTS, inputs, 'input');
  const clash = Object.keys(out.schemas).filter((id) => id in inp.schemas);
  if (clash.length > 0) throw new Error(`schema names used for both answers and inputs: ${clash.join(', ')}`);
  const all = { ...out.schemas, ...inp.schemas };

  // A name stays a component when it was given one or something refers to it; the rest go inline.
  const referenced = collectRefs(all, new Set());
  const named = new Set([...Object.keys(OUTPUT_COMPONENTS), ...Object.keys(INPUT_COMPONENTS)]);
  const keep = (id: string) => named.has(id) || referenced.has(`${COMPONENT_REF}${id}`);
  const schemaFor = (converted: typeof out) => (schema: z.core.$ZodType): JsonObject => {
    const id = converted.idOf.get(schema);
    if (id === undefined) throw new Error('a schema of the route table was not converted');
    return keep(id) ? { $ref: `${COMPONENT_REF}${id}` } : (converted.schemas[id] as JsonObject);
  };
  const outputSchema = schemaFor(out);
  const inputSchema = schemaFor(inp);
  const inputJson = (schema: z.core.$ZodType): JsonObject => inp.schemas[inp.idOf.get(schema) ?? ''] as JsonObject;

  const paths: OpenApiDocument['paths'] = {};
  const problems = new Map<string, JsonObject>();
  for (const operation of table) {
    const params = [
      ...(operation.params === undefined ? [] : parameters(inputJson(operation.params), 'path')),
      ...(operation.query === undefined ? [] : parameters(inputJson(operation.query), 'query')),
    ];
    const strictQuery = operation.query !== undefined && inputJson(operation.query).additionalProperties === false;
    const responses: JsonObject = {};
    const declared = getOperationResponses(operation);
    for (const status of Object.keys(declared).map(Number).sort((a, b) => a - b)) {
      responses[String(status)] = responseObject(operation, status, declared[status] as ResponseSpec, outputSchema, problems);
    }
    responses['500'] = responseObject(operation, 500, problem('internal-error'), outputSchema, problems);
    const description = [operation.description, allowText(operation.allow), strictQuery ? 'Unknown query parameters are refused (400).' : undefined]
      .filter((part) => part !== undefined)
      .join('\n\n');
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, JsonObject>)[operation.method.toLowerCase()] = {
      operationId: operation.id,
      tags: [operation.tag],
      summary: operation.summary,
      description,
      'x-allow': typeof operation.allow === 'string' ? operation.allow : [...operation.allow],
      security: security(operation.allow),
      ...(params.length === 0 ? {} : { parameters: params }),
      ...(operation.body === undefined
        ? {}
        : { requestBody: { required: operation.bodyRequired !== false, content: { 'application/json': { schema: inputSchema(operation.body) } } } }),
      responses,
    };
  }

  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title: 'TAP Broker portal API', version: API_VERSION, description: DESCRIPTION },
    tags: TAGS,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(all).filter(([id]) => keep(id))),
      responses: Object.fromEntries([...problems].sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A Microsoft Entra v2 access token for the portal API (`aud` the API's client id, `scp` containing `access_as_user`). " +
            `An operation that needs a role lists the token roles that satisfy it: ${Object.values(APP_ROLES).join(', ')}.`,
        },
      },
      headers: {
        'x-request-id': {
          description: "The server's own id for this call (a UUID), as in the logs and the audit trail; never the one a caller sent, which is recorded apart as `clientRequestId`.",
          schema: { type: 'string', format: 'uuid' },
        },
        'Retry-After': { description: 'Seconds until a retry can succeed.', schema: { type: 'integer', minimum: 1 } },
        'WWW-Authenticate': {
          description:
            '`Bearer error="invalid_token"` for `unauthenticated`; for `step-up-required`, Entra\'s claims challenge (`error="insufficient_claims", claims="…"`, base64url) that MSAL turns into a sign-in with the authentication context.',
          schema: { type: 'string' },
        },
      },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document of this API (built once). */
export function getOpenApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument();
  return cached;
}
