import { Router, type Request } from "express";
import type { User } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { AppError, ErrorCode } from "../../../platform/mod.ts";
import type { IdentityPort, TeamsPort } from "../ports.ts";
import { ScimError, ScimType } from "../scim/error.ts";
import { versionFromIfMatch } from "../scim/etag.ts";
import { filterToQuery } from "../scim/filter/mod.ts";
import { isObject } from "../scim/json.ts";
import { listResponse, parseListParams } from "../scim/list.ts";
import { applyPatch, parsePatchRequest } from "../scim/patch/mod.ts";
import { project, wantsAttribute } from "../scim/projection.ts";
import { userResourceType } from "../scim/schema.ts";
import { Urn } from "../scim/urns.ts";
import { etagOf, parseUserResource, renderUser } from "../scim/user_resource.ts";
import { route, scimCall, sendScim, type ScimCall } from "./context.ts";

export interface UsersRoutesOptions {
  identity: IdentityPort;
  teams: TeamsPort;
  timeoutMs: number;
  publicBaseUrl?: string | undefined;
}

/** Attempts of a PATCH without If-Match that meets a concurrent change (re-read and re-apply). */
const PATCH_ATTEMPTS = 3;

const queryOf = (req: Request) => ({
  attributes: typeof req.query["attributes"] === "string" ? req.query["attributes"].split(",") : [],
  excluded:
    typeof req.query["excludedAttributes"] === "string" ? req.query["excludedAttributes"].split(",") : [],
});

/** /Users (RFC 7644 §3): translation between SCIM and the identity service, nothing more. */
export function usersRoutes(options: UsersRoutesOptions): Router {
  const { identity, teams } = options;
  const router = Router();
  const call = (req: Request, res: Parameters<typeof scimCall>[1]) =>
    scimCall(req, res, { timeoutMs: options.timeoutMs, publicBaseUrl: options.publicBaseUrl });

  const render = async (
    c: ScimCall,
    users: User[],
    attributes: string[],
    excluded: string[],
    options: { justCreated?: boolean } = {},
  ) => {
    // A user created a moment ago is in no team yet: the default-team placement follows from the
    // user.created event (product rule 2), so the 201 needs no call to teams.
    const groups =
      wantsAttribute("groups", attributes, excluded) && !options.justCreated
        ? await teams.teamsOfUsers(
            c.ctx,
            users.map((u) => u.id),
          )
        : new Map<string, never[]>();
    return users.map((u) =>
      project(renderUser(u, groups.get(u.id) ?? [], c.baseUrl), attributes, excluded, userResourceType),
    );
  };

  const sendUser = async (
    c: ScimCall,
    res: Parameters<typeof sendScim>[0],
    status: number,
    user: User,
    req: Request,
  ) => {
    const { attributes, excluded } = queryOf(req);
    const [body] = await render(c, [user], attributes, excluded, { justCreated: status === 201 });
    const headers: Record<string, string> = { ETag: etagOf(user.version) };
    if (status === 201) headers["Location"] = `${c.baseUrl}/Users/${user.id}`;
    sendScim(res, status, body, headers);
  };

  const list = async (c: ScimCall, source: Record<string, unknown>) => {
    const params = parseListParams(source, userResourceType);
    const filter = params.filter === undefined ? undefined : filterToQuery(params.filter, userResourceType);
    const { users, total } = await identity.listUsers(c.ctx, { ...params, filter });
    const resources = await render(c, users, params.attributes, params.excludedAttributes);
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
      const user = await identity.createUser(c.ctx, parseUserResource(req.body));
      c.logger.info({ userId: user.id }, "user created");
      await sendUser(c, res, 201, user, req);
    }),
  );
  router.get(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      await sendUser(c, res, 200, await identity.getUser(c.ctx, req.params["id"] as string), req);
    }),
  );
  router.put(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      const expected = versionFromIfMatch(req.get("if-match"));
      const input = { ...parseUserResource(req.body), id: req.params["id"] as string };
      const user = await identity.replaceUser(c.ctx, input, expected ?? 0);
      await sendUser(c, res, 200, user, req);
    }),
  );
  router.patch(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      const operations = parsePatchRequest(req.body);
      const expected = versionFromIfMatch(req.get("if-match"));
      const id = req.params["id"] as string;
      for (let attempt = 1; ; attempt += 1) {
        const current = await identity.getUser(c.ctx, id);
        if (expected !== undefined && BigInt(expected) !== current.version) {
          throw new ScimError(412, undefined, `User ${id} has changed since version ${expected}`);
        }
        const patched = applyPatch(renderUser(current, [], c.baseUrl), operations, userResourceType);
        const input = { ...parseUserResource({ ...patched, schemas: [Urn.User] }), id };
        try {
          const user = await identity.replaceUser(c.ctx, input, Number(current.version));
          await sendUser(c, res, 200, user, req);
          return;
        } catch (error) {
          // Without If-Match the client asked for "apply to the latest": re-read and re-apply.
          const conflict = error instanceof AppError && error.code === ErrorCode.PreconditionFailed;
          if (!conflict || expected !== undefined || attempt >= PATCH_ATTEMPTS) throw error;
        }
      }
    }),
  );
  router.delete(
    "/:id",
    route(async (req, res) => {
      const c = call(req, res);
      await identity.deleteUser(
        c.ctx,
        req.params["id"] as string,
        versionFromIfMatch(req.get("if-match")) ?? 0,
      );
      c.logger.info({ userId: req.params["id"] }, "user deleted");
      res.status(204).end();
    }),
  );
  return router;
}
