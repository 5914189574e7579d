/** What a user reference the broker could not resolve is recorded as: an id, or nothing. */
import { expect, test } from 'vitest';
import { normalizeUserReference } from '@/lib/graph/normalize-user-reference';

test.each([
  ['7D3C6A8E-2B1F-4E9A-8C5D-0F1E2D3C4B5A', '7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a'],
  ['7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a', '7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a'],
  ['  Nobody@Test.Contoso.TEST ', 'nobody@test.contoso.test'],
  ["o'neil.a_b~c#d^e!f@contoso.test", "o'neil.a_b~c#d^e!f@contoso.test"],
  ['ann-marie@sub-domain.contoso.test', 'ann-marie@sub-domain.contoso.test'],
  ['ann@contoso.test\t', 'ann@contoso.test'],
])('%j is recorded as %j', (value, recorded) => {
  expect(normalizeUserReference(value)).toBe(recorded);
});

test.each([
  // Formula payloads that look enough like a UPN for Graph's path, and other raw input.
  '=HYPERLINK("x")@x',
  '=HYPERLINK(A1)@x.test',
  '=1+1@x.test',
  '+1+1@x.test',
  '-1@x.test',
  '-2+3@x.test',
  '@x.test',
  'a@@x.test',
  'a@x.test@y.test',
  'a b@x.test',
  'a@-x.test',
  'a@x.test.',
  'a@x_y.test',
  `${'a'.repeat(65)}@x.test`,
  `a@${'b'.repeat(320)}.test`,
  'not a user id',
  '7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5',
  '{7d3c6a8e-2b1f-4e9a-8c5d-0f1e2d3c4b5a}',
  'ann@contoso.test\r\n=1',
  'ännchen@contoso.test',
  '',
])('%j is recorded as nothing', (value) => {
  expect(normalizeUserReference(value)).toBeNull();
});
