// `npm run tenant -- <command>`: tenant administration against the running system, over gRPC to
// the identity service (IDENTITY_ADDRESS, default 127.0.0.1:50051). See README.md "Operations".
import "../platform/require_node.ts";
import { parseArgs } from "node:util";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { TenantService, type Tenant, type Token } from "../gen/moodpoll/identity/v1/identity_pb.ts";
import { AppError, createChannel } from "../platform/mod.ts";

const USAGE = `Usage: npm run tenant -- <command> [options]

  create --name NAME [--default-team-name NAME] [--json]
                        Create a tenant with provisioning enabled and its first API token.
  list [--json]         List tenants.
  enable --tenant ID    Enable provisioning for a tenant.
  disable --tenant ID   Disable provisioning (its tokens stop working within 5 seconds).
  token issue --tenant ID [--json]               Issue another token (rotation).
  token list --tenant ID [--json]                List a tenant's tokens (prefixes only).
  token revoke --tenant ID --token-id ID [--json]
                        Revoke a token (refused within 5 seconds everywhere).

Environment: IDENTITY_ADDRESS (default 127.0.0.1:50051), SCIM_BASE_URL
(default http://127.0.0.1:$PORT/scim/v2, PORT default 8080).`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: "string" },
    tenant: { type: "string" },
    "token-id": { type: "string" },
    "default-team-name": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const fail = (message: string, code = 2): never => {
  console.error(message);
  process.exit(code);
};

const need = (name: "name" | "tenant" | "token-id") => values[name] ?? fail(`Missing --${name}\n\n${USAGE}`);
const scimBaseUrl = process.env["SCIM_BASE_URL"] ?? `http://127.0.0.1:${process.env["PORT"] ?? 8080}/scim/v2`;
const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);
const tenantJson = (t: Tenant | undefined) =>
  t && {
    tenantId: t.id,
    name: t.name,
    provisioningEnabled: t.provisioningEnabled,
    defaultTeamName: t.settings?.defaultTeamName,
    created: iso(t.created),
  };
const tokenJson = (t: Token | undefined) =>
  t && {
    tokenId: t.id,
    tenantId: t.tenantId,
    prefix: t.prefix,
    created: iso(t.created),
    revoked: iso(t.revoked) ?? null,
  };

const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json) : text);

if (values.help || positionals.length === 0) fail(USAGE, values.help ? 0 : 2);

const channel = createChannel(process.env["IDENTITY_ADDRESS"] ?? "127.0.0.1:50051");
const client = channel.client(TenantService);
const deadline = () => Date.now() + 15_000;

try {
  await channel.waitForReady(5000);
  const [command, sub] = positionals;
  switch (command === "token" ? `token ${sub}` : command) {
    case "create": {
      const res = await client.createTenant(
        { name: need("name"), settings: { defaultTeamName: values["default-team-name"] ?? "" } },
        { deadline: deadline() },
      );
      print(
        { tenantId: res.tenant?.id, tokenId: res.token?.id, token: res.secret, scimBaseUrl },
        [
          `Tenant created: ${res.tenant?.name} (${res.tenant?.id})`,
          `SCIM base URL:  ${scimBaseUrl}`,
          `API token:      ${res.secret}`,
          "",
          "The token is shown once and stored only as a hash: paste it into Okta or Entra now.",
        ].join("\n"),
      );
      break;
    }
    case "list": {
      const res = await client.listTenants({}, { deadline: deadline() });
      print(
        res.tenants.map(tenantJson),
        res.tenants
          .map((t) => `${t.id}  ${t.provisioningEnabled ? "enabled " : "disabled"}  ${t.name}`)
          .join("\n") || "No tenants.",
      );
      break;
    }
    case "enable":
    case "disable": {
      const res = await client.setTenantEnabled(
        { tenantId: need("tenant"), enabled: command === "enable" },
        { deadline: deadline() },
      );
      print(tenantJson(res.tenant), `Provisioning ${command}d for ${res.tenant?.name} (${res.tenant?.id})`);
      break;
    }
    case "token issue": {
      const res = await client.issueToken({ tenantId: need("tenant") }, { deadline: deadline() });
      print(
        { tenantId: res.token?.tenantId, tokenId: res.token?.id, token: res.secret, scimBaseUrl },
        `Token ${res.token?.id} issued:\n${res.secret}\n\nShown once: store it in the identity provider now.`,
      );
      break;
    }
    case "token list": {
      const res = await client.listTokens({ tenantId: need("tenant") }, { deadline: deadline() });
      print(
        res.tokens.map(tokenJson),
        res.tokens
          .map(
            (t) =>
              `${t.id}  ${t.prefix}…  created ${iso(t.created)}${t.revoked ? `  revoked ${iso(t.revoked)}` : ""}`,
          )
          .join("\n") || "No tokens.",
      );
      break;
    }
    case "token revoke": {
      const res = await client.revokeToken(
        { tenantId: need("tenant"), tokenId: need("token-id") },
        { deadline: deadline() },
      );
      print(tokenJson(res.token), `Token ${res.token?.id} revoked; it stops working within 5 seconds.`);
      break;
    }
    default:
      fail(`Unknown command "${positionals.join(" ")}"\n\n${USAGE}`);
  }
} catch (error) {
  const message = error instanceof AppError ? error.message : String(error);
  fail(
    `tenant: ${message}${error instanceof AppError && error.code === "unavailable" ? " (is `npm start` running?)" : ""}`,
    1,
  );
} finally {
  channel.close();
}
