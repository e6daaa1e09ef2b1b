import { Router, type Request, type Response } from "express";
import type { RequestContext } from "../../../platform/mod.ts";
import type { IdentityPort, Member, TeamsPort } from "../ports.ts";
import { ScimError, ScimType } from "../scim/error.ts";
import { versionFromIfMatch } from "../scim/etag.ts";
import { filterToQuery } from "../scim/filter/mod.ts";
import { groupChange } from "../scim/group_patch.ts";
import { parseGroupResource, renderGroup, type GroupView } from "../scim/group_resource.ts";
import { isObject } from "../scim/json.ts";
import { listResponse, parseListParams } from "../scim/list.ts";
import { parsePatchRequest } from "../scim/patch/mod.ts";
import { project, wantsAttribute } from "../scim/projection.ts";
import { groupResourceType } from "../scim/schema.ts";
import { etagOf } from "../scim/user_resource.ts";
import { route, scimCall, sendScim, type ScimCall } from "./context.ts";

export interface GroupsRoutesOptions {
  identity: IdentityPort;
  teams: TeamsPort;
  timeoutMs: number;
  publicBaseUrl?: string | undefined;
}

const listParam = (req: Request, name: string) =>
  typeof req.query[name] === "string" ? req.query[name].split(",") : [];

/** /Groups (RFC 7644 §3): teams. Members are validated against identity before anything applies. */
export function groupsRoutes(options: GroupsRoutesOptions): Router {
  const { identity, teams } = options;
  const router = Router();
  const call = (req: Request, res: Response) =>
    scimCall(req, res, { timeoutMs: options.timeoutMs, publicBaseUrl: options.publicBaseUrl });

  /** Members must be users of the tenant: unknown or foreign ids are 400 invalidValue, nothing applied. */
  const resolveMembers = async (ctx: RequestContext, ids: readonly string[]): Promise<Member[]> => {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const { users, missing } = await identity.lookupUsers(ctx, unique);
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 10)
        .map((id) => `"${id}"`)
        .join(", ");
      throw ScimError.badRequest(
        ScimType.InvalidValue,
        `Unknown member${missing.length > 1 ? "s" : ""} ${shown}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}: members must be users of this organization`,
      );
    }
    return unique.map((userId) => ({ userId, display: users.get(userId) ?? userId }));
  };

  const sendGroup = (c: ScimCall, req: Request, res: Response, status: number, group: GroupView) => {
    const body = project(
      renderGroup(group, c.baseUrl),
      listParam(req, "attributes"),
      listParam(req, "excludedAttributes"),
      groupResourceType,
    );
    const headers: Record<string, string> = { ETag: etagOf(group.version) };
    if (status === 201) headers["Location"] = `${c.baseUrl}/Groups/${group.id}`;
    sendScim(res, status, body, headers);
  };

  const list = async (c: ScimCall, source: Record<string, unknown>) => {
    const params = parseListParams(source, groupResourceType);
    const filter = params.filter === undefined ? undefined : filterToQuery(params.filter, groupResourceType);
    // excludedAttributes=members is honoured before any member is loaded (large groups).
    const includeMembers = wantsAttribute("members", params.attributes, params.excludedAttributes);
    const { teams: found, total } = await teams.listTeams(c.ctx, { ...params, filter, includeMembers });
    const resources = found.map((g) =>
      project(renderGroup(g, c.baseUrl), params.attributes, params.excludedAttributes, groupResourceType),
    );
    return listResponse(resources, total, params.startIndex);
  };

  router.get(
    "/",
    route(async (req, res) => {
      sendScim(res, 200, await list(call(req, res), req.query));
    }),
  );
  router.post(
    "/.search",
    route(async (req, res) => {
      const body: unknown = req.body;
      if (!isObject(body))
        throw ScimError.badRequest(ScimType.InvalidSyntax, "The body must be a SearchRequest object");
      sendScim(res, 200, await list(call(req, res), body));
    }),
  );
  router.post(
    "/",
    route(async (req, res) => {
      const c = call(req, res);
      const input = parseGroupResource(req.body);
      if (!input.displayName?.trim())
        throw ScimError.badRequest(ScimType.InvalidValue, '"displayName" is required');
      const members = await resolveMembers(c.ctx, input.memberIds ?? []);
      const created = await teams.createTeam(c.ctx, {
        displayName: input.displayName,
        externalId: input.externalId,
        members,
      });
      c.logger.info({ groupId: created.id, members: members.length }, "group created");
      const includeMembers = wantsAttribute(
        "members",
        listParam(req, "attributes"),
        listParam(req, "excludedAttributes"),
      );
      sendGroup(c, req, res, 201, includeMembers ? await teams.getTeam(c.ctx, created.id, true) : created);
    }),
  );
  router.get(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      const includeMembers = wantsAttribute(
        "members",
        listParam(req, "attributes"),
        listParam(req, "excludedAttributes"),
      );
      sendGroup(c, req, res, 200, await teams.getTeam(c.ctx, req.params["id"] as string, includeMembers));
    }),
  );
  router.put(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      const id = req.params["id"] as string;
      const input = parseGroupResource(req.body);
      if (!input.displayName?.trim())
        throw ScimError.badRequest(ScimType.InvalidValue, '"displayName" is required');
      const members = await resolveMembers(c.ctx, input.memberIds ?? []);
      await teams.updateTeam(c.ctx, id, {
        displayName: input.displayName,
        externalId: input.externalId,
        clearExternalId: input.externalId === undefined,
        replaceMembers: members,
        addMembers: [],
        removeMemberIds: [],
        expectedVersion: versionFromIfMatch(req.get("if-match")) ?? 0,
      });
      const includeMembers = wantsAttribute(
        "members",
        listParam(req, "attributes"),
        listParam(req, "excludedAttributes"),
      );
      sendGroup(c, req, res, 200, await teams.getTeam(c.ctx, id, includeMembers));
    }),
  );
  router.patch(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      const id = req.params["id"] as string;
      const change = groupChange(parsePatchRequest(req.body));
      const added = await resolveMembers(c.ctx, [...(change.replaceMembers ?? []), ...change.addMembers]);
      const byId = new Map(added.map((m) => [m.userId, m]));
      const updated = await teams.updateTeam(c.ctx, id, {
        displayName: change.displayName,
        externalId: change.externalId,
        clearExternalId: change.clearExternalId,
        replaceMembers: change.replaceMembers?.map((userId) => byId.get(userId)!),
        addMembers: change.addMembers.map((userId) => byId.get(userId)!),
        removeMemberIds: change.removeMembers,
        expectedVersion: versionFromIfMatch(req.get("if-match")) ?? 0,
      });
      c.logger.info(
        { groupId: id, added: change.addMembers.length, removed: change.removeMembers.length },
        "group patched",
      );
      // 204 as Entra expects; with `attributes` the group is returned, members only if asked for.
      const attributes = listParam(req, "attributes");
      if (attributes.length === 0) {
        res.status(204).set("ETag", etagOf(updated.version)).end();
        return;
      }
      const includeMembers = wantsAttribute("members", attributes, []);
      sendGroup(c, req, res, 200, includeMembers ? await teams.getTeam(c.ctx, id, true) : updated);
    }),
  );
  router.delete(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      await teams.deleteTeam(c.ctx, req.params["id"] as string);
      c.logger.info({ groupId: req.params["id"] }, "group deleted; members are re-homed asynchronously");
      res.status(204).end();
    }),
  );
  return router;
}
