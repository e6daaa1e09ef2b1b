import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TenantService, UserService } from "../../gen/moodpoll/identity/v1/identity_pb.ts";
import { errors, type CallContext, type GrpcServer, type RequestContext } from "../../platform/mod.ts";
import type { TenantRecord, TenantService as Tenants, TokenRecord } from "./tenants/service.ts";
import type { UserService as Users } from "./users/service.ts";

/** The request context of a call made on behalf of a tenant. */
function context(call: CallContext, tenantId: string): RequestContext {
  if (!tenantId) throw errors.invalidArgument("tenant_id is required");
  return { requestId: call.requestId, tenantId, signal: call.signal, deadline: call.deadline };
}

const tenantMessage = (t: TenantRecord) => ({
  id: t._id,
  name: t.name,
  provisioningEnabled: t.provisioningEnabled,
  settings: t.settings,
  created: timestampFromDate(t.created),
});

const tokenMessage = (t: TokenRecord) => ({
  id: t._id,
  tenantId: t.tenantId,
  prefix: t.prefix,
  created: timestampFromDate(t.created),
  revoked: t.revoked ? timestampFromDate(t.revoked) : undefined,
});

/** Adapts gRPC calls to the identity use cases (protobuf in, protobuf out; no rules here). */
export function addIdentityHandlers(server: GrpcServer, deps: { tenants: Tenants; users: Users }): void {
  const { tenants, users } = deps;
  server.add(TenantService, {
    async createTenant(req, call) {
      const ctx = { requestId: call.requestId, tenantId: "", signal: call.signal, deadline: call.deadline };
      const created = await tenants.create(ctx, {
        name: req.name,
        defaultTeamName: req.settings?.defaultTeamName,
      });
      return {
        tenant: tenantMessage(created.tenant),
        token: tokenMessage(created.token),
        secret: created.secret,
      };
    },
    async getTenant(req) {
      return { tenant: tenantMessage(await tenants.get(req.tenantId)) };
    },
    async listTenants() {
      return { tenants: (await tenants.list()).map(tenantMessage) };
    },
    async setTenantEnabled(req) {
      return { tenant: tenantMessage(await tenants.setEnabled(req.tenantId, req.enabled)) };
    },
    async issueToken(req) {
      const issued = await tenants.issueToken(req.tenantId);
      return { token: tokenMessage(issued.token), secret: issued.secret };
    },
    async listTokens(req) {
      return { tokens: (await tenants.listTokens(req.tenantId)).map(tokenMessage) };
    },
    async revokeToken(req) {
      return { token: tokenMessage(await tenants.revokeToken(req.tenantId, req.tokenId)) };
    },
    async authenticateToken(req) {
      const { tenant, tokenId } = await tenants.authenticate(req.secret);
      return { tenant: tenantMessage(tenant), tokenId };
    },
  });
  server.add(UserService, {
    async createUser(req, call) {
      return { user: await users.create(context(call, req.tenantId), req.user ?? {}) };
    },
    async getUser(req, call) {
      return { user: await users.get(context(call, req.tenantId), req.userId) };
    },
    async listUsers(req, call) {
      const { users: list, total } = await users.list(context(call, req.tenantId), {
        filter: req.filter,
        page: req.page,
      });
      return { users: list, totalResults: total };
    },
    async replaceUser(req, call) {
      return {
        user: await users.replace(context(call, req.tenantId), req.user ?? {}, Number(req.expectedVersion)),
      };
    },
    async lookupUsers(req, call) {
      const { users: found, missing } = await users.lookup(context(call, req.tenantId), req.userIds);
      return { users: found, missingUserIds: missing };
    },
    async deleteUser(req, call) {
      await users.delete(context(call, req.tenantId), req.userId, Number(req.expectedVersion));
      return {};
    },
  });
}
