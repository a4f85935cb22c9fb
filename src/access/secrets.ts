import { createHash, randomBytes } from 'node:crypto';

/** What is stored of an API key's secret: its SHA-256 (the secret is random, so no salt is needed). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

/** A new API key `kobi_<prefix>_<secret>`: the full key (shown once) and what is stored of it. */
export function newApiKey(): { key: string; prefix: string; secretHash: Buffer } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return { key: `kobi_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}
