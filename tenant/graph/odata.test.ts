/** The OData subset the local Graph understands. */
import { describe, expect, it } from 'vitest';
import { parseCastSegment, parseFilter, parseManagerExpand, parseQueryString } from './odata';

describe('OData parsing', () => {
  it('parses the manager expand forms', () => {
    const props = ['id', 'displayName'];
    expect(parseManagerExpand('manager', props)).toEqual({ levels: null, select: null });
    expect(parseManagerExpand('manager($levels=max;$select=id,displayName)', props)).toEqual({ levels: 'max', select: ['id', 'displayName'] });
    expect(parseManagerExpand('manager($select=ID)', props)).toEqual({ levels: null, select: ['id'] });
    expect(parseManagerExpand('manager($levels=1000)', props)?.levels).toBe(1000);
    expect(() => parseManagerExpand('manager($levels=1001)', props)).toThrow();
    expect(() => parseManagerExpand('directReports', props)).toThrow();
  });

  it('parses eq / in filters joined by and, with quoted quotes', () => {
    expect(parseFilter("userPrincipalName eq 'o''neil@contoso.test' and accountEnabled eq true")).toEqual([
      { property: 'userPrincipalName', op: 'eq', values: ["o'neil@contoso.test"] },
      { property: 'accountEnabled', op: 'eq', values: [true] },
    ]);
    expect(parseFilter("id in ('a', 'b')")).toEqual([{ property: 'id', op: 'in', values: ['a', 'b'] }]);
    expect(() => parseFilter("startswith(displayName,'a')")).toThrow();
  });

  it('decodes query strings with lower-cased option names', () => {
    const q = parseQueryString('$SELECT=id,displayName&$filter=displayName%20eq%20%27A+B%27');
    expect(q.get('$select')).toBe('id,displayName');
    expect(q.get('$filter')).toBe("displayName eq 'A B'");
  });

  it('recognises cast segments in the namespace and the alias spelling, any case', () => {
    expect(parseCastSegment('microsoft.graph.directoryRole')).toBe('microsoft.graph.directoryrole');
    expect(parseCastSegment('graph.directoryRole')).toBe('microsoft.graph.directoryrole');
    expect(parseCastSegment('GRAPH.ADMINISTRATIVEUNIT')).toBe('microsoft.graph.administrativeunit');
    expect(parseCastSegment('Microsoft.Graph.Group')).toBe('microsoft.graph.group');
    expect(parseCastSegment('graph.user')).toBe('microsoft.graph.user');
    // Actions and unknown types are no casts; neither are ids, UPNs or `$count`.
    expect(parseCastSegment('microsoft.graph.sendMail')).toBeNull();
    expect(parseCastSegment('graph.nothing')).toBeNull();
    expect(parseCastSegment('other.graph.user')).toBeNull();
    expect(parseCastSegment('graph.user@contoso.test')).toBeNull();
    expect(parseCastSegment('$count')).toBeNull();
    expect(parseCastSegment(undefined)).toBeNull();
  });
});
