import type { MessageInitShape } from "@bufbuild/protobuf";
import type { User, UserSchema } from "../../gen/moodpoll/identity/v1/identity_pb.ts";
import type { Filter } from "../../gen/moodpoll/query/v1/query_pb.ts";
import type { RequestContext } from "../../platform/mod.ts";
import type { GroupView } from "./scim/group_resource.ts";

/**
 * What the gateway needs from the backends, declared here by the code that uses it (STYLE.md §4).
 * The gRPC clients implement these; tests can use in-memory ones.
 */
export interface AuthenticatedTenant {
  tenantId: string;
  tenantName: string;
  tokenId: string;
}

export interface ListQuery {
  filter: Filter | undefined;
  offset: number;
  limit: number;
  sortBy: string | undefined;
  descending: boolean;
}

export interface IdentityPort {
  authenticate(secret: string, requestId: string): Promise<AuthenticatedTenant>;
  createUser(ctx: RequestContext, user: MessageInitShape<typeof UserSchema>): Promise<User>;
  getUser(ctx: RequestContext, id: string): Promise<User>;
  listUsers(ctx: RequestContext, query: ListQuery): Promise<{ users: User[]; total: number }>;
  replaceUser(
    ctx: RequestContext,
    user: MessageInitShape<typeof UserSchema>,
    expectedVersion: number,
  ): Promise<User>;
  deleteUser(ctx: RequestContext, id: string, expectedVersion: number): Promise<void>;
  /** Resolves user ids of the tenant to display names; unknown or foreign ids are `missing`. */
  lookupUsers(
    ctx: RequestContext,
    ids: readonly string[],
  ): Promise<{ users: Map<string, string>; missing: string[] }>;
}

export interface TeamRef {
  id: string;
  displayName: string;
}

export interface Member {
  userId: string;
  display: string;
}

export interface TeamUpdate {
  displayName?: string | undefined;
  externalId?: string | undefined;
  clearExternalId: boolean;
  replaceMembers?: Member[] | undefined;
  addMembers: Member[];
  removeMemberIds: string[];
  expectedVersion: number;
}

export interface TeamsPort {
  /** Each user's teams, for the User `groups` attribute. */
  teamsOfUsers(ctx: RequestContext, userIds: readonly string[]): Promise<Map<string, TeamRef[]>>;
  createTeam(
    ctx: RequestContext,
    input: { displayName: string; externalId?: string | undefined; members: Member[] },
  ): Promise<GroupView>;
  getTeam(ctx: RequestContext, id: string, includeMembers: boolean): Promise<GroupView>;
  listTeams(
    ctx: RequestContext,
    query: ListQuery & { includeMembers: boolean },
  ): Promise<{ teams: GroupView[]; total: number }>;
  updateTeam(ctx: RequestContext, id: string, update: TeamUpdate): Promise<GroupView>;
  deleteTeam(ctx: RequestContext, id: string): Promise<void>;
}
