import 'server-only';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getEnv } from '@/lib/env';

/**
 * The portal's Ed25519 key for signing audit export manifests.
 *
 * - Production: `AUDIT_SIGNING_KEY_PATH` names a PEM file holding an Ed25519 private key (PKCS#8,
 *   `openssl genpkey -algorithm ed25519 -out audit-signing-key.pem`). Every instance must use the
 *   same key, or manifests signed by different instances carry different key ids.
 * - Unset: a key is generated once into `<DATA_DIR>/audit-signing-key.pem` (mode 0600) and reused,
 *   as the local tenant's certificate is. Good for one instance and for the demo; a key that lives
 *   next to the data it vouches for proves integrity in transit, not against whoever owns the disk.
 *
 * The public key is published at `GET /api/audit/public-key`; an auditor pins it (or its `keyId`)
 * once and checks every manifest against it offline (`npm run audit:verify -- … --key <file>`).
 */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SubjectPublicKeyInfo PEM of the public key. */
  publicKeyPem: string;
  /** The public key as an OKP JWK (RFC 8037), with `kid`, `alg: "EdDSA"`, `use: "sig"`. */
  publicKeyJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
  /** `sha256:` + lowercase hex SHA-256 of the public key's DER SubjectPublicKeyInfo. */
  keyId: string;
}

export const DEFAULT_AUDIT_SIGNING_KEY_FILE = 'audit-signing-key.pem';

export class AuditSigningKeyError extends Error {
  override readonly name = 'AuditSigningKeyError';
}

const cache = new Map<string, AuditSigningKey>();

/**
 * Loads the signing key from `keyPath` when given, else from (or generating it into)
 * `<dataDir>/audit-signing-key.pem`. Memoized per file. Throws {@link AuditSigningKeyError} when
 * the file is unreadable or not an Ed25519 private key (the message names the file, never its content).
 */
export function getAuditSigningKey(options: { keyPath?: string | undefined; dataDir: string }): AuditSigningKey {
  // `turbopackIgnore`: Turbopack would otherwise resolve this path at build time and trace the
  // local key in ./data into the standalone output (scripts/lib/standalone.ts refuses such a build).
  const file = options.keyPath !== undefined ? path.resolve(/*turbopackIgnore: true*/ options.keyPath) : path.join(/*turbopackIgnore: true*/ options.dataDir, DEFAULT_AUDIT_SIGNING_KEY_FILE);
  const hit = cache.get(file);
  if (hit) return hit;
  let pem: string;
  if (options.keyPath !== undefined) {
    pem = readKeyFile(file);
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    const generated = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      // `wx`: exclusive create, so two processes starting at once never overwrite each other's key.
      writeFileSync(/*turbopackIgnore: true*/ file, generated, { mode: 0o600, flag: 'wx' });
      pem = generated;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      pem = readKeyFile(file);
    }
  }
  const key = toSigningKey(pem, file);
  cache.set(file, key);
  return key;
}

/** The signing key of the running portal, from its environment (AUDIT_SIGNING_KEY_PATH, DATA_DIR). */
export function getPortalAuditSigningKey(): AuditSigningKey {
  const env = getEnv();
  return getAuditSigningKey({ keyPath: env.auditSigningKeyPath, dataDir: env.dataDir });
}

/** Ed25519 signature (base64url) over the UTF-8 bytes of `message`. */
export function signWithAuditKey(key: AuditSigningKey, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), key.privateKey).toString('base64url');
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(/*turbopackIgnore: true*/ file, 'utf8');
  } catch (error) {
    throw new AuditSigningKeyError(`cannot read the audit signing key ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function toSigningKey(pem: string, file: string): AuditSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new AuditSigningKeyError(`${file} does not hold a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditSigningKeyError(`${file} holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key; an Ed25519 key is required`);
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const keyId = `sha256:${createHash('sha256').update(der).digest('hex')}`;
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new AuditSigningKeyError(`${file}: cannot export the public key`);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: keyId, alg: 'EdDSA', use: 'sig' },
    keyId,
  };
}
