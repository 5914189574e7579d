/**
 * What the portal process costs in memory, read from Linux's /proc: the resident set of the
 * process `npm test` started (E2E_PORTAL_PID) and of every process below it.
 */
import { readdirSync, readFileSync } from 'node:fs';

function required(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} is not set: run the e2e suite through \`npm test\``);
  return value;
}

export const portalPid = required('E2E_PORTAL_PID');

function parentOf(pid: number): number | null {
  try {
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Resident bytes of `root` and its descendants now. */
export function residentBytesOfTree(root: number = portalPid): number {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  const tree = new Set([root]);
  // Parents have lower ids than their children almost always, but not surely: repeat until stable.
  for (let grown = true; grown; ) {
    grown = false;
    for (const pid of pids) {
      const parent = parentOf(pid);
      if (!tree.has(pid) && parent !== null && tree.has(parent)) {
        tree.add(pid);
        grown = true;
      }
    }
  }
  return [...tree].reduce((sum, pid) => sum + residentBytes(pid), 0);
}
