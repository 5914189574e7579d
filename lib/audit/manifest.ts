import 'server-only';
import { createHash } from 'node:crypto';
import { canonicalJson, formatAuditTimestamp, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import {
  createAuditExportStream,
  getAuditExportFileName,
  getAuditExportOrThrow,
  type AuditExportRange,
} from '@/lib/audit/export-audit-events';
import {
  AUDIT_EXPORT_CONTENT_TYPES,
  AUDIT_EXPORT_MANIFEST_KIND,
  type AuditExportManifest,
  type ManifestPolicyVersion,
} from '@/lib/contract/audit';
import { signWithAuditKey, type AuditSigningKey } from '@/lib/audit/signing-key';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * Builds and signs the manifest of export `exportId` (`not-found` if there is none), in the
 * contract's shape (`auditExportManifestSchema`). Everything but `signature` is signed:
 * `signature.value` is the Ed25519 signature (base64url) over the UTF-8 bytes of
 * `canonicalJson(manifest without "signature")` (lib/audit/canonical.ts's encoding). The export's
 * bytes are a pure function of its immutable seq range, so they are regenerated here through the
 * same stream the download used and hashed on the way (constant memory) — nothing is stored, and
 * any instance can answer for any export.
 *
 * Two kinds of hash, two inputs: `file.sha256` is over the file's bytes exactly as downloaded (in
 * CSV, cells with their formula-defusing `'`, lib/audit/export-format.ts), while `firstHash`,
 * `lastHash`, `anchorPrevHash` and `exportEvent.hash` are chain hashes, over the events' values
 * (lib/audit/canonical.ts) — a verifier removes the defusing before it recomputes them.
 *
 * A filtered export (`filtered: true`, with its `filters`) holds only the matching events of the
 * range: `count` is its rows, `firstSeq`/`lastSeq` the first and last matching events, and
 * `anchorPrevHash` the first one's `prevHash`; its rows are runs of the chain with gaps between.
 */
export async function buildAuditExportManifest(db: PrismaClient, exportId: string, key: AuditSigningKey): Promise<AuditExportManifest> {
  const record = await getAuditExportOrThrow(db, exportId);
  const digest = await digestAuditExport(db, record);
  const ends =
    record.firstSeq === null || record.lastSeq === null
      ? []
      : await db.auditEvent.findMany({
          where: { seq: { in: [record.firstSeq, record.lastSeq] } },
          select: { seq: true, at: true, prevHash: true },
        });
  const first = ends.find((e) => e.seq === record.firstSeq);
  const last = ends.find((e) => e.seq === record.lastSeq);
  const policyVersions = await getPolicyVersionsInForce(
    db,
    first?.at ?? record.from ?? record.exportedAt,
    last?.at ?? record.to ?? record.exportedAt,
  );
  const body: Omit<AuditExportManifest, 'signature'> = {
    kind: AUDIT_EXPORT_MANIFEST_KIND,
    manifestVersion: 1,
    exportId: record.exportId,
    format: record.format,
    range: { from: record.from?.toISOString() ?? null, to: record.to?.toISOString() ?? null },
    ...(record.filters === null ? {} : { filtered: true as const, filters: record.filters }),
    count: record.count,
    firstSeq: record.firstSeq === null ? null : Number(record.firstSeq),
    lastSeq: record.lastSeq === null ? null : Number(record.lastSeq),
    firstHash: record.firstHash,
    lastHash: record.lastHash,
    anchorPrevHash: first?.prevHash ?? (record.firstSeq === 1n ? GENESIS_PREV_HASH : null),
    names: AUDIT_EXPORT_NAMES_NOTE,
    policyVersions,
    generatedBy: record.exportedBy,
    generatedAt: formatAuditTimestamp(record.exportedAt),
    exportEvent: { seq: Number(record.exportSeq), hash: record.exportHash },
    file: {
      name: getAuditExportFileName(record),
      contentType: AUDIT_EXPORT_CONTENT_TYPES[record.format],
      bytes: digest.bytes,
      sha256: digest.sha256,
    },
    signedAt: new Date().toISOString(),
  };
  return {
    ...body,
    signature: { alg: 'Ed25519', keyId: key.keyId, publicKeyJwk: key.publicKeyJwk, value: signWithAuditKey(key, canonicalJson(body)) },
  };
}

/** SHA-256 (hex) and length of an export's bytes, streamed. */
export async function digestAuditExport(
  db: PrismaClient,
  record: AuditExportRange,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = createAuditExportStream(db, record).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The manifest's word on the name columns (lib/audit/export-format.ts). */
export const AUDIT_EXPORT_NAMES_NOTE =
  'actorDisplayName, actorUserPrincipalName, targetDisplayName and targetUserPrincipalName are the names the broker had recorded for those ids at the time of each event (the newest version recorded at or before it, else the oldest, up to the export); they are for reading, are not part of any hash, and prove nothing.';

async function getPolicyVersionsInForce(db: PrismaClient, start: Date, end: Date): Promise<ManifestPolicyVersion[]> {
  const [inForceAtStart, laterOnes] = await Promise.all([
    db.policyVersion.findFirst({ where: { createdAt: { lte: start } }, orderBy: { version: 'desc' } }),
    db.policyVersion.findMany({ where: { createdAt: { gt: start, lte: end } }, orderBy: { version: 'asc' } }),
  ]);
  const versions = inForceAtStart === null ? laterOnes : [inForceAtStart, ...laterOnes.filter((v) => v.version !== inForceAtStart.version)];
  return versions.map((v) => ({
    version: v.version,
    createdAt: formatAuditTimestamp(v.createdAt),
    createdBy: v.createdBy,
    maxDepth: v.maxDepth,
    requireApproval: v.requireApproval.replace('_', '-'),
    defaultLifetimeInMinutes: v.defaultLifetimeInMinutes,
    maxLifetimeInMinutes: v.maxLifetimeInMinutes,
    isUsableOnce: v.isUsableOnce,
    approvalValidityMinutes: v.approvalValidityMinutes,
    maxIssuancesPerManagerPerDay: v.maxIssuancesPerManagerPerDay,
    maxPendingRequestsPerRequester: v.maxPendingRequestsPerRequester,
    allowedDirectoryRoleTemplateIds: v.allowedDirectoryRoleTemplateIds ?? [],
    protectedGroupIds: v.protectedGroupIds ?? [],
    stepUpAuthContextId: v.stepUpAuthContextId,
    stepUpActions: v.stepUpActions ?? [],
  }));
}
