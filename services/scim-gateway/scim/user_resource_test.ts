import test from "ava";
import { create } from "@bufbuild/protobuf";
import { UserSchema, Weekday } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { ScimError } from "./error.ts";
import { parseUserResource, renderUser } from "./user_resource.ts";

const MOODPOLL = "urn:moodpoll:params:scim:schemas:extension:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

test("parseUserResource() reads Okta's create body and discards the password", (t) => {
  const user = parseUserResource({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: "ann@acme.com",
    name: { givenName: "Ann", familyName: "Lee" },
    emails: [{ primary: true, value: "ann@acme.com", type: "work" }],
    displayName: "Ann Lee",
    locale: "en-US",
    externalId: "00u1",
    groups: [],
    password: "secret!",
    active: true,
  });
  t.like(user, { userName: "ann@acme.com", externalId: "00u1", active: true, displayName: "Ann Lee" });
  t.false(JSON.stringify(user).includes("secret!"));
});

test("parseUserResource() reads attribute names case-insensitively and working days in any case", (t) => {
  const user = parseUserResource({ USERNAME: "a@x.com", [MOODPOLL]: { workingDays: ["mon", "FRI", "MON"] } });
  t.is(user.userName, "a@x.com");
  t.deepEqual(user.workingDays, [Weekday.MON, Weekday.FRI]);
});

for (const [body, fragment] of [
  [{ userName: 5 }, '"userName" must be a string'],
  [{ userName: "a", active: "maybe" }, '"active" must be a boolean'],
  [{ userName: "a", emails: "a@x.com" }, '"emails" must be an array'],
  [{ userName: "a", emails: [{ type: "work" }] }, '"emails[0].value" is required'],
  [{ userName: "a", name: "Ann" }, '"name" must be an object'],
  [{ userName: "a", [MOODPOLL]: { workingDays: ["FUNDAY"] } }, "workingDays"],
  [{ schemas: ["urn:example:unknown"], userName: "a" }, "Unknown schema"],
] as const) {
  test(`parseUserResource() refuses ${JSON.stringify(body)} with invalidValue`, (t) => {
    const error = t.throws(() => parseUserResource(body), { instanceOf: ScimError });
    t.is(error.scimType, "invalidValue");
    t.true(error.message.includes(fragment), error.message);
  });
}

test("parseUserResource() refuses a body that is not an object with invalidSyntax", (t) => {
  t.is(t.throws(() => parseUserResource([1]), { instanceOf: ScimError }).scimType, "invalidSyntax");
});

test("renderUser() renders meta, groups, extensions and never a password", (t) => {
  const user = create(UserSchema, {
    id: "u1",
    userName: "ann@acme.com",
    active: true,
    version: 3n,
    workingDays: [Weekday.MON, Weekday.TUE],
    enterprise: { department: "R&D" },
  });
  const json = renderUser(user, [{ id: "g1", displayName: "Team" }], "https://h/scim/v2");
  t.deepEqual(json["schemas"], ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, MOODPOLL]);
  t.deepEqual(json[MOODPOLL], { workingDays: ["MON", "TUE"] });
  t.deepEqual(json[ENTERPRISE], { department: "R&D" });
  t.deepEqual(json["groups"], [
    { value: "g1", display: "Team", $ref: "https://h/scim/v2/Groups/g1", type: "direct" },
  ]);
  t.like(json["meta"], { resourceType: "User", location: "https://h/scim/v2/Users/u1", version: 'W/"3"' });
  t.false("password" in json);
});
