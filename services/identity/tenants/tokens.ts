import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

/**
 * API tokens look like `mps_<token id: 32 hex>_<secret: 43 base64url chars>`: the `mps_` prefix
 * makes a leaked token recognisable to secret scanners, the id finds the stored hash without
 * searching by secret, and the 256-bit secret makes a fast hash (SHA-256) safe to store.
 */
export const TOKEN_PREFIX = "mps_";
const TOKEN_PATTERN = /^mps_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  id: string;
  secret: string;
  hash: string;
  /** The part shown in token lists: enough to tell tokens apart, useless to an attacker. */
  prefix: string;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function generateToken(): NewToken {
  const id = randomUUID().replaceAll("-", "");
  const secret = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
  return { id, secret, hash: hashSecret(secret), prefix: secret.slice(0, 12) };
}

/** The token id inside a presented secret, or undefined when it is not a Moodpoll token. */
export function tokenIdOf(secret: string): string | undefined {
  return TOKEN_PATTERN.exec(secret)?.[1];
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
