import { loadConfig } from "../../platform/mod.ts";

/** The gateway's environment (see the configuration table in README.md). */
export function readGatewayConfig(env: Record<string, string | undefined>) {
  return loadConfig(env, (read) => ({
    host: read.string("HOST", "127.0.0.1"),
    port: read.int("PORT", 8080, { min: 0, max: 65535 }),
    identityAddress: read.string("IDENTITY_ADDRESS", "127.0.0.1:50051"),
    teamsAddress: read.string("TEAMS_ADDRESS", "127.0.0.1:50052"),
    /** Largest accepted request body; larger ones get 413 (advertised in /ServiceProviderConfig). */
    maxBodyBytes: read.int("MAX_BODY_BYTES", 1_048_576, { min: 1024 }),
    /** How long a validated token is trusted before identity is asked again (revocation delay). */
    tokenCacheMs: read.int("TOKEN_CACHE_MS", 5000, { min: 0, max: 5000 }),
    /** Time a request may take in the backends before the gateway answers 503. */
    requestTimeoutMs: read.int("REQUEST_TIMEOUT_MS", 30_000, { min: 100 }),
    publicBaseUrl: read.optional("PUBLIC_BASE_URL"),
  }));
}
export type GatewayConfig = ReturnType<typeof readGatewayConfig>;
