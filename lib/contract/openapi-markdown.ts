/**
 * Renders the OpenAPI document (`openapi.ts`) as a GitHub-flavoured Markdown reference page:
 * operations by tag, who may call each, parameters, bodies, responses with their problem codes,
 * then the named schemas. It reads only the document, so the page says exactly what
 * `GET /api/openapi.json` says; `docs/api-reference.md` is its output, and a test keeps it current.
 */
import type { OpenApiDocument } from '@/lib/contract/openapi';

type Schema = { [key: string]: unknown };
type Row = string[];

const COMPONENT_REF = '#/components/schemas/';
const RESPONSE_REF = '#/components/responses/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const isObject = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);
const asObject = (value: unknown): Schema => (isObject(value) ? value : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

/** An operation as the page lists it, in the document's order. */
type PageOperation = { method: string; path: string; operation: Schema; heading: string };

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function createSlugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) => {
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
}

/** Text safe inside a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.trim().replace(/\n+/g, '<br>').replace(/\|/g, '\\|');
}

function table(header: Row, rows: Row[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

function refName(schema: Schema, prefix: string): string | undefined {
  const ref = asString(schema.$ref);
  return ref?.startsWith(prefix) ? ref.slice(prefix.length) : undefined;
}

/** The limits a reader needs (lengths, bounds, pattern, item count), compactly. */
function constraints(schema: Schema): string[] {
  const out: string[] = [];
  const { minLength, maxLength, minimum, maximum, maxItems, pattern } = schema;
  if (typeof minLength === 'number' && typeof maxLength === 'number') out.push(`${minLength}–${maxLength} chars`);
  else if (typeof minLength === 'number') out.push(`≥ ${minLength} chars`);
  else if (typeof maxLength === 'number') out.push(`≤ ${maxLength} chars`);
  if (typeof minimum === 'number' && typeof maximum === 'number') out.push(`${minimum}–${maximum}`);
  else if (typeof minimum === 'number') out.push(`≥ ${minimum}`);
  else if (typeof maximum === 'number') out.push(`≤ ${maximum}`);
  if (typeof maxItems === 'number') out.push(`≤ ${maxItems} items`);
  if (typeof pattern === 'string') out.push(`pattern ${code(pattern)}`);
  return out;
}

/** The member of a `X or null` union that is not null, if `schema` is one. */
function nonNullMember(schema: Schema): Schema | undefined {
  const members = asArray(schema.anyOf).map(asObject);
  const others = members.filter((member) => member.type !== 'null');
  return members.length === 2 && others.length === 1 ? others[0] : undefined;
}

/** One schema as a short type: `string (uuid)`, `TapRequest[]` (linked), `integer, ≥ 1, nullable`. */
function typeText(schema: Schema, link: (name: string) => string): string {
  const name = refName(schema, COMPONENT_REF);
  if (name !== undefined) return link(name);
  const nullable = nonNullMember(schema);
  if (nullable !== undefined) return `${typeText(nullable, link)}, nullable`;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((member) => typeText(asObject(member), link)).join(' or ');
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((type) => type !== 'null');
    return typeText({ ...schema, type: types.length === 1 ? types[0] : types.join(' or ') }, link) + (schema.type.includes('null') ? ', nullable' : '');
  }
  if ('const' in schema) return code(schema.const);
  const type = asString(schema.type);
  const parts: string[] = [];
  if (type === 'array') {
    // `string (uuid)[]`, `string[], each one of …`; a union would read ambiguously with `[]`.
    const item = typeText(asObject(schema.items), link);
    const [head = '', ...rest] = item.split(', ');
    parts.push(item.includes(' or ') ? `array of (${item})` : [`${head}[]`, ...(rest.length > 0 ? [`each ${rest.join(', ')}`] : [])].join(', '));
  } else if (type === 'object' && !isObject(schema.properties) && schema.additionalProperties !== false) parts.push('object (map)');
  else parts.push(type === undefined ? 'any' : type + (typeof schema.format === 'string' ? ` (${schema.format})` : ''));
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map(code).join(', ')}`);
  parts.push(...constraints(schema));
  if ('default' in schema) parts.push(`default ${code(schema.default)}`);
  return parts.join(', ');
}

/** The inline object a field holds directly or as array items (or nullable), whose fields get rows of their own. */
function nestedObject(schema: Schema): { schema: Schema; suffix: string } | undefined {
  const inner = nonNullMember(schema) ?? schema;
  if (isObject(inner.properties)) return { schema: inner, suffix: '.' };
  const items = asObject(inner.items);
  if (inner.type === 'array' && isObject(items.properties)) return { schema: items, suffix: '[].' };
  return undefined;
}

/** Rows of field, type, required, description for an object schema; inline sub-objects as `a.b`, `a[].b`. */
function fieldRows(schema: Schema, link: (name: string) => string, prefix = ''): Row[] {
  const required = new Set(asArray(schema.required));
  return Object.entries(asObject(schema.properties)).flatMap(([name, value]) => {
    const property = asObject(value);
    const nested = nestedObject(property);
    const row = [code(prefix + name), nested?.suffix === '[].' ? 'object[]' : nested ? 'object' : typeText(property, link), required.has(name) ? 'yes' : 'no', asString(property.description) ?? ''];
    return [row, ...(nested ? fieldRows(nested.schema, link, `${prefix}${name}${nested.suffix}`) : [])];
  });
}

const FIELD_HEADER = ['Field', 'Type', 'Required', 'Description'];

/** `label: type` for a named or non-object schema; `label:` and a field table for an inline object. */
function schemaBlock(label: string, schema: Schema, link: (name: string) => string): string[] {
  if (!isObject(schema.properties)) return ['', `${label}: ${typeText(schema, link)}`];
  return ['', `${label}:`, '', ...table(FIELD_HEADER, fieldRows(schema, link))];
}

function listOperations(document: OpenApiDocument): PageOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => isObject(item[method])).map((method) => ({
      method: method.toUpperCase(),
      path,
      operation: asObject(item[method]),
      heading: `${method.toUpperCase()} ${path}`,
    })),
  );
}

/** Who may call, from the operation's security requirements (alternatives): no token, any token, or a token with a role. */
function whoMayCall(operation: Schema): string {
  const requirements = asArray(operation.security).map(asObject);
  if (requirements.length === 0) return 'anyone, no token';
  const schemes = [...new Set(requirements.flatMap((requirement) => Object.keys(requirement)))].map(code).join(', ');
  const roles = requirements.flatMap((requirement) => Object.values(requirement).flatMap(asArray)).map(code);
  if (roles.length === 0) return `any signed-in user (${schemes})`;
  return `${schemes} with the role ${roles.join(' or ')}`;
}

/** The problem codes a shared problem response declares (its `code` enum). */
function problemCodes(response: Schema): string[] {
  const schema = asObject(asObject(asObject(response.content)['application/problem+json']).schema);
  return asArray(asObject(asObject(schema.properties).code).enum).filter((value): value is string => typeof value === 'string');
}

function renderResponses(document: OpenApiDocument, operation: Schema, link: (name: string) => string): string[] {
  const rows: Row[] = [];
  const bodies: string[] = [];
  for (const [status, value] of Object.entries(asObject(operation.responses))) {
    const problemName = refName(asObject(value), RESPONSE_REF);
    if (problemName !== undefined) {
      const codes = problemCodes(asObject(asObject(document.components.responses)[problemName]));
      rows.push([status, `Problem: ${codes.map(code).join(', ')}`, link('Problem')]);
      continue;
    }
    const response = asObject(value);
    const headers = Object.entries(asObject(response.headers)).filter(([, header]) => asString(asObject(header).$ref) === undefined);
    const description = [asString(response.description) ?? '', ...headers.map(([name, header]) => `${code(name)}: ${asString(asObject(header).description) ?? ''}`)].join('\n');
    const content = Object.entries(asObject(response.content));
    const body = content.map(([type, media]) => {
      const schema = asObject(asObject(media).schema);
      if (isObject(schema.properties)) {
        bodies.push(...schemaBlock(`**${status} response** (${code(type)})`, schema, link));
        return `${code(type)}, fields below`;
      }
      return `${code(type)}: ${typeText(schema, link)}`;
    });
    rows.push([status, description, body.join('<br>')]);
  }
  return ['', '**Responses**', '', ...table(['Status', 'Description', 'Body'], rows), ...bodies];
}

function renderOperation(document: OpenApiDocument, entry: PageOperation, link: (name: string) => string): string[] {
  const { operation } = entry;
  const lines = ['', `### ${entry.heading}`, '', `**${asString(operation.summary) ?? ''}** (${code(operation.operationId)})`];
  if (typeof operation.description === 'string') lines.push('', operation.description);
  lines.push('', `**Who may call:** ${whoMayCall(operation)}.`);
  const parameters = asArray(operation.parameters).map(asObject);
  if (parameters.length > 0) {
    const rows = parameters.map((parameter) => [code(parameter.name), asString(parameter.in) ?? '', parameter.required === true ? 'yes' : 'no', typeText(asObject(parameter.schema), link), asString(parameter.description) ?? '']);
    lines.push('', '**Parameters**', '', ...table(['Name', 'In', 'Required', 'Type', 'Description'], rows));
  }
  const body = asObject(operation.requestBody);
  for (const [type, media] of Object.entries(asObject(body.content))) {
    lines.push(...schemaBlock(`**Request body** (${code(type)}, ${body.required === true ? 'required' : 'optional'})`, asObject(asObject(media).schema), link));
  }
  return [...lines, ...renderResponses(document, operation, link)];
}

/**
 * The reference page of `document` as GitHub-flavoured Markdown. Pure: the same document gives the
 * same page, so a checked-in copy can be compared with a fresh rendering.
 */
export function renderOpenApiMarkdown(document: OpenApiDocument): string {
  const operations = listOperations(document);
  const tagNames = [...document.tags.map((tag) => asString(tag.name) ?? ''), ...operations.flatMap(({ operation }) => asArray(operation.tags).map(String))];
  const tags = [...new Set(tagNames)].map((name) => ({
    name,
    description: asString(document.tags.find((tag) => tag.name === name)?.description),
    operations: operations.filter(({ operation }) => asArray(operation.tags)[0] === name),
  })).filter((tag) => tag.operations.length > 0);
  const schemaNames = Object.keys(document.components.schemas);
  const problemNames = Object.keys(asObject(document.components.responses));

  // Anchors in the order the headings appear, as GitHub numbers repeated ones (a tag and a schema may share a name).
  const slug = createSlugger();
  const title = asString(document.info.title) ?? 'API';
  [title, 'Contents'].forEach(slug);
  const tagAnchors = tags.map((tag) => ({ tag: slug(tag.name), operations: tag.operations.map((entry) => slug(entry.heading)) }));
  const problemsAnchor = slug('Problem responses');
  slug('Schemas');
  const schemaAnchors = new Map(schemaNames.map((name) => [name, slug(name)]));
  const link = (name: string) => `[${name}](#${schemaAnchors.get(name) ?? ''})`;

  const lines = [
    `# ${title}`,
    '',
    `Version ${code(document.info.version)}, OpenAPI ${document.openapi}. Generated from the document \`GET /api/openapi.json\` serves, by \`npm run -s openapi -- --markdown\`; do not edit by hand.`,
    '',
    asString(document.info.description) ?? '',
    '',
    '## Contents',
    '',
    ...tags.flatMap((tag, index) => [
      `- [${tag.name}](#${tagAnchors[index]?.tag ?? ''})`,
      ...tag.operations.map((entry, opIndex) => `  - [${entry.heading}](#${tagAnchors[index]?.operations[opIndex] ?? ''}): ${asString(entry.operation.summary) ?? ''}`),
    ]),
    `- [Problem responses](#${problemsAnchor})`,
    `- [Schemas](#schemas): ${schemaNames.map(link).join(', ')}`,
  ];
  for (const tag of tags) {
    lines.push('', `## ${tag.name}`, ...(tag.description === undefined ? [] : ['', tag.description]));
    for (const entry of tag.operations) lines.push(...renderOperation(document, entry, link));
  }
  const problemRows = problemNames.map((name) => {
    const response = asObject(asObject(document.components.responses)[name]);
    const status = asObject(asObject(asObject(asObject(asObject(response.content)['application/problem+json']).schema).properties).status).const;
    return [name, String(status ?? ''), asString(response.description) ?? ''];
  });
  lines.push('', '## Problem responses', '', `Errors are ${code('application/problem+json')} bodies of the ${link('Problem')} schema; its ${code('code')} tells them apart.`, '', ...table(['Response', 'Status', 'Codes'], problemRows));
  lines.push('', '## Schemas');
  for (const name of schemaNames) {
    const schema = document.components.schemas[name] ?? {};
    lines.push('', `### ${name}`, ...(typeof schema.description === 'string' ? ['', schema.description] : []));
    lines.push(...schemaBlock('Type', schema, link).slice(isObject(schema.properties) ? 2 : 0));
  }
  return `${lines.join('\n')}\n`;
}
