import 'server-only';
import type { TapRequest, TapRequestStatus } from '@/lib/db/generated/client';

/**
 * A request object as the API returns it (docs/api-contract.md#request-object), plus
 * extensions: the names as they were when the request was made (`requesterDisplayName`,
 * `targetUserPrincipalName`, `chainDisplayNames`, `decidedByDisplayName`), `depth`,
 * `decisionComment`, `approvalExpiresAt`, `failureCode`, `failureReason`, `policyVersion`,
 * `revokedBy`, `methodId`, `replacedMethodId`, `replacedByRequestId` and `replacedAt` (another of
 * our requests replaced the pass), `withdrawnAt`, `withdrawReason`.
 *
 * Optional fields are left out when they have no value rather than sent as null, the literal
 * reading of the contract's `"decidedBy"?`. `startDateTime` is always present: null means the
 * pass starts when it is issued (after issuance it is the pass's actual start).
 *
 * There is no field for the pass: the database has none, and this view is built only from a row.
 */
export interface TapRequestView {
  id: string;
  status: TapRequestStatus;
  requesterId: string;
  targetUserId: string;
  targetDisplayName: string;
  targetUserPrincipalName?: string;
  requesterDisplayName?: string;
  justification: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  startDateTime: string | null;
  createdAt: string;
  decidedBy?: string;
  decidedByDisplayName?: string;
  decidedAt?: string;
  decisionComment?: string;
  approvalExpiresAt?: string;
  issuedAt?: string;
  expiresDateTime?: string;
  methodId?: string;
  replacedMethodId?: string;
  revokedAt?: string;
  revokedBy?: string;
  /** What became of the issued pass as last observed in Graph (used, expired, removed), or replaced. */
  passOutcome?: string;
  passOutcomeAt?: string;
  replacedByRequestId?: string;
  replacedAt?: string;
  withdrawnAt?: string;
  withdrawReason?: string;
  failureCode?: string;
  failureReason?: string;
  chain: string[];
  chainDisplayNames: string[];
  depth: number;
  policyVersion: number;
}

type RequestRow = Pick<
  TapRequest,
  | 'id'
  | 'status'
  | 'requesterId'
  | 'targetUserId'
  | 'targetDisplayName'
  | 'targetUserPrincipalName'
  | 'requesterDisplayName'
  | 'chainDisplayNames'
  | 'decidedByDisplayName'
  | 'justification'
  | 'lifetimeInMinutes'
  | 'isUsableOnce'
  | 'startDateTime'
  | 'createdAt'
  | 'decidedBy'
  | 'decidedAt'
  | 'decisionComment'
  | 'approvalExpiresAt'
  | 'issuedAt'
  | 'expiresDateTime'
  | 'methodId'
  | 'replacedMethodId'
  | 'revokedAt'
  | 'revokedBy'
  | 'passOutcome'
  | 'passOutcomeAt'
  | 'replacedByRequestId'
  | 'withdrawnAt'
  | 'withdrawReason'
  | 'failureCode'
  | 'failureReason'
  | 'chain'
  | 'depth'
  | 'policyVersion'
>;

function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** Maps a stored request to its API shape. */
export function toRequestView(row: RequestRow): TapRequestView {
  return {
    id: row.id,
    status: row.status,
    requesterId: row.requesterId,
    targetUserId: row.targetUserId,
    targetDisplayName: row.targetDisplayName,
    ...optional('targetUserPrincipalName', row.targetUserPrincipalName),
    ...optional('requesterDisplayName', row.requesterDisplayName),
    justification: row.justification,
    lifetimeInMinutes: row.lifetimeInMinutes,
    isUsableOnce: row.isUsableOnce,
    startDateTime: iso(row.startDateTime),
    createdAt: row.createdAt.toISOString(),
    ...optional('decidedBy', row.decidedBy),
    ...optional('decidedByDisplayName', row.decidedByDisplayName),
    ...optional('decidedAt', iso(row.decidedAt)),
    ...optional('decisionComment', row.decisionComment),
    ...optional('approvalExpiresAt', iso(row.approvalExpiresAt)),
    ...optional('issuedAt', iso(row.issuedAt)),
    ...optional('expiresDateTime', iso(row.expiresDateTime)),
    ...optional('methodId', row.methodId),
    ...optional('replacedMethodId', row.replacedMethodId),
    ...optional('revokedAt', iso(row.revokedAt)),
    ...optional('revokedBy', row.revokedBy),
    ...optional('passOutcome', row.passOutcome),
    ...optional('passOutcomeAt', iso(row.passOutcomeAt)),
    ...optional('replacedByRequestId', row.replacedByRequestId),
    ...optional('replacedAt', row.replacedByRequestId === null ? null : iso(row.passOutcomeAt)),
    ...optional('withdrawnAt', iso(row.withdrawnAt)),
    ...optional('withdrawReason', row.withdrawReason),
    ...optional('failureCode', row.failureCode),
    ...optional('failureReason', row.failureReason),
    chain: [...row.chain],
    chainDisplayNames: [...row.chainDisplayNames],
    depth: row.depth,
    policyVersion: row.policyVersion,
  };
}
