/**
 * The realistic audit events the benchmarks chain and export (scripts/bench/audit-export-bench.ts
 * seeds PostgreSQL with them, scripts/bench/audit-verify-bench.ts writes export files of them), so
 * both measure rows of the same shape and size.
 */
import { randomUUID } from 'node:crypto';

const TYPES = ['tap_request.created', 'tap_request.approved', 'tap.issue_started', 'tap.issued'];

/** Event `seq` of a generated trail whose events are 10 ms apart from `base` (epoch ms). */
export function makeBenchAuditEvent(seq: number, base: number) {
  const actorId = `a0000000-0000-4000-8000-${String(seq % 5000).padStart(12, '0')}`;
  return {
    seq,
    id: randomUUID(),
    at: new Date(base + seq * 10),
    type: TYPES[seq % TYPES.length] ?? 'tap.issued',
    actorId,
    targetId: `b0000000-0000-4000-8000-${String(seq % 90000).padStart(12, '0')}`,
    requestId: randomUUID(),
    data: {
      policyVersion: 1,
      chain: [actorId, `c0000000-0000-4000-8000-${String(seq % 700).padStart(12, '0')}`],
      depth: 2,
      justification: `Lost phone during travel, ticket INC-${seq}`,
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      graphRequestId: randomUUID(),
      context: { requestId: randomUUID(), ip: '10.1.2.3', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130' },
    },
  };
}
