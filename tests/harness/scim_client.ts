import { TenantService } from "../../gen/moodpoll/identity/v1/identity_pb.ts";
import { createChannel } from "../../platform/mod.ts";

/** A tenant created for a test, with its bearer token. */
export interface TestTenant {
  tenantId: string;
  tokenId: string;
  token: string;
}

/** Creates a tenant through the identity service's admin API (as `npm run tenant -- create` does). */
export async function createTenant(identityAddress: string, name = "Test tenant"): Promise<TestTenant> {
  const channel = createChannel(identityAddress);
  try {
    const res = await channel.client(TenantService).createTenant({ name }, { deadline: Date.now() + 10_000 });
    return { tenantId: res.tenant!.id, tokenId: res.token!.id, token: res.secret };
  } finally {
    channel.close();
  }
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { Resources?: Record<string, unknown>[] };
  text: string;
}

/** A minimal SCIM client speaking like Okta: bearer token, scim+json accept, JSON bodies. */
export function scimClient(scimUrl: string, token: string) {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> => {
    const response = await fetch(`${scimUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/scim+json",
        ...(body !== undefined ? { "content-type": "application/scim+json; charset=utf-8" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: ScimResponse["body"] = {};
    try {
      parsed = text ? (JSON.parse(text) as ScimResponse["body"]) : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  return {
    request,
    get: (path: string, headers?: Record<string, string>) => request("GET", path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      request("POST", path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) =>
      request("PUT", path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) =>
      request("PATCH", path, body, headers),
    delete: (path: string, headers?: Record<string, string>) => request("DELETE", path, undefined, headers),
  };
}
export type ScimClient = ReturnType<typeof scimClient>;

/** An Okta-shaped new user body. */
export function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  const [given = "Test", family = "User"] = userName.split("@")[0]!.split(".");
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: userName, type: "work" }],
    displayName: `${given} ${family}`,
    locale: "en-US",
    externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
    groups: [],
    password: "Throwaway-1!",
    active: true,
    ...extra,
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
