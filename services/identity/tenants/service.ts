import { randomUUID } from "node:crypto";
import type { Collection, Db, IndexDescription } from "mongodb";
import { TenantCreatedSchema } from "../../../gen/moodpoll/events/v1/events_pb.ts";
import {
  errors,
  eventMeta,
  isDuplicateKey,
  outboxEvent,
  Subject,
  type Applier,
  type Outbox,
  type RequestContext,
} from "../../../platform/mod.ts";
import { generateToken, secretMatches, tokenIdOf } from "./tokens.ts";

export interface TenantRecord {
  _id: string;
  name: string;
  provisioningEnabled: boolean;
  settings: { defaultTeamName: string };
  created: Date;
  version: number;
}

export interface TokenRecord {
  _id: string;
  tenantId: string;
  hash: string;
  prefix: string;
  created: Date;
  revoked?: Date;
}

export const tenantIndexes: Record<string, IndexDescription[]> = {
  tokens: [{ key: { tenantId: 1, created: 1 }, name: "tenant_created" }],
};

export const DEFAULT_TEAM_NAME = "Default team";

/** Applies a tenant-creation intent; idempotent (a second insert of the same id is a no-op). */
export function tenantApplier(db: Db): Applier {
  return async (intent) => {
    try {
      await db.collection<TenantRecord>("tenants").insertOne(intent.state as TenantRecord);
      return "applied";
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return "superseded";
    }
  };
}

/** Tenants and their API tokens. */
export interface TenantService {
  create(
    ctx: RequestContext,
    input: { name: string; defaultTeamName?: string },
  ): Promise<{ tenant: TenantRecord; token: TokenRecord; secret: string }>;
  get(tenantId: string): Promise<TenantRecord>;
  list(): Promise<TenantRecord[]>;
  setEnabled(tenantId: string, enabled: boolean): Promise<TenantRecord>;
  issueToken(tenantId: string): Promise<{ token: TokenRecord; secret: string }>;
  listTokens(tenantId: string): Promise<TokenRecord[]>;
  revokeToken(tenantId: string, tokenId: string): Promise<TokenRecord>;
  /** The tenant a bearer secret belongs to; Unauthenticated for anything else. */
  authenticate(secret: string): Promise<{ tenant: TenantRecord; tokenId: string }>;
}

export function createTenantService(deps: { db: Db; outbox: Outbox }): TenantService {
  const tenants: Collection<TenantRecord> = deps.db.collection("tenants");
  const tokens: Collection<TokenRecord> = deps.db.collection("tokens");

  const get = async (tenantId: string) => {
    const tenant = await tenants.findOne({ _id: tenantId });
    if (!tenant) throw errors.notFound(`Tenant ${tenantId} not found`);
    return tenant;
  };

  const issueToken = async (tenantId: string) => {
    await get(tenantId);
    const generated = generateToken();
    const token: TokenRecord = {
      _id: generated.id,
      tenantId,
      hash: generated.hash,
      prefix: generated.prefix,
      created: new Date(),
    };
    await tokens.insertOne(token);
    return { token, secret: generated.secret };
  };

  return {
    async create(ctx, input) {
      const name = input.name.trim();
      if (!name) throw errors.invalidValue("Cannot create tenant: a name is required");
      const tenant: TenantRecord = {
        _id: randomUUID(),
        name,
        provisioningEnabled: true,
        settings: { defaultTeamName: input.defaultTeamName?.trim() || DEFAULT_TEAM_NAME },
        created: new Date(),
        version: 1,
      };
      const intentId = `tenant:${tenant._id}:1`;
      await deps.outbox.commit(
        {
          kind: "tenant",
          aggregateId: tenant._id,
          tenantId: tenant._id,
          version: 1,
          state: tenant,
          events: [
            outboxEvent(`${intentId}:created`, Subject.TenantCreated, TenantCreatedSchema, {
              meta: eventMeta(`${intentId}:created`, tenant._id, ctx.requestId),
              tenant: {
                id: tenant._id,
                name: tenant.name,
                provisioningEnabled: true,
                settings: tenant.settings,
              },
            }),
          ],
        },
        tenantApplier(deps.db),
      );
      const { token, secret } = await issueToken(tenant._id);
      return { tenant, token, secret };
    },
    get,
    list: () => tenants.find({}).sort({ created: 1 }).toArray(),
    async setEnabled(tenantId, enabled) {
      await get(tenantId);
      await tenants.updateOne({ _id: tenantId }, { $set: { provisioningEnabled: enabled } });
      return get(tenantId);
    },
    issueToken,
    async listTokens(tenantId) {
      await get(tenantId);
      return tokens.find({ tenantId }).sort({ created: 1 }).toArray();
    },
    async revokeToken(tenantId, tokenId) {
      const found = await tokens.findOne({ _id: tokenId });
      const token = found?.tenantId === tenantId ? found : null;
      if (!token) throw errors.notFound(`Token ${tokenId} not found for tenant ${tenantId}`);
      if (!token.revoked) await tokens.updateOne({ _id: tokenId }, { $set: { revoked: new Date() } });
      return (await tokens.findOne({ _id: tokenId }))!;
    },
    async authenticate(secret) {
      const denied = errors.unauthenticated("The bearer token is not valid");
      const id = tokenIdOf(secret);
      if (!id) throw denied;
      const token = await tokens.findOne({ _id: id });
      if (!token || token.revoked || !secretMatches(secret, token.hash)) throw denied;
      const tenant = await tenants.findOne({ _id: token.tenantId });
      if (!tenant) throw denied;
      if (!tenant.provisioningEnabled)
        throw errors.unauthenticated("Provisioning is disabled for this organization");
      return { tenant, tokenId: id };
    },
  };
}
