/**
 * Shapes of the portal API's answers (CONTRACT.md §2) as the browser uses them, with small
 * parsers: the UI renders only what it has checked, so a changed server fails loudly here
 * instead of rendering `undefined`.
 */

export interface Me {
  id: string;
  displayName: string;
  userPrincipalName: string;
  roles: string[];
}

export interface Reportee {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string | null;
  /** Not in the contract's minimum; shown when the API sends it. */
  department: string | null;
  /** 1 = direct report. */
  depth: number;
  eligible: boolean;
  ineligibleReasons: string[];
  /** Not in the contract's minimum; lets new hires stand out when the API sends it. */
  employeeHireDate: string | null;
}

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown, what: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`Unexpected ${what} from the portal API.`);
  return value as JsonRecord;
}

function requiredString(record: JsonRecord, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new Error(`Unexpected ${what} from the portal API: "${key}" is missing.`);
  return value;
}

function optionalString(record: JsonRecord, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function stringList(record: JsonRecord, key: string): string[] {
  const value = record[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function parseMe(value: unknown): Me {
  const record = asRecord(value, 'profile');
  return {
    id: requiredString(record, 'id', 'profile'),
    displayName: requiredString(record, 'displayName', 'profile'),
    userPrincipalName: requiredString(record, 'userPrincipalName', 'profile'),
    roles: stringList(record, 'roles'),
  };
}

export function parseReportees(value: unknown): Reportee[] {
  const list = asRecord(value, 'team list').reportees;
  if (!Array.isArray(list)) throw new Error('Unexpected team list from the portal API.');
  return list.map((item) => {
    const record = asRecord(item, 'team member');
    const depth = record.depth;
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) {
      throw new Error('Unexpected team member from the portal API: "depth" is missing.');
    }
    return {
      id: requiredString(record, 'id', 'team member'),
      displayName: requiredString(record, 'displayName', 'team member'),
      userPrincipalName: requiredString(record, 'userPrincipalName', 'team member'),
      jobTitle: optionalString(record, 'jobTitle'),
      department: optionalString(record, 'department'),
      depth,
      eligible: record.eligible === true,
      ineligibleReasons: stringList(record, 'ineligibleReasons'),
      employeeHireDate: optionalString(record, 'employeeHireDate'),
    };
  });
}
