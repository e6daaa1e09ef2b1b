import test from "ava";
import { ScimError } from "../error.ts";
import { groupResourceType, userResourceType } from "../schema.ts";
import { applyPatch } from "./apply.ts";
import { parsePatchRequest } from "./request.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const user = () => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  id: "u1",
  userName: "ann@acme.com",
  name: { givenName: "Ann", familyName: "Lee" },
  active: true,
  emails: [{ value: "ann@acme.com", type: "work", primary: true }],
  meta: { resourceType: "User" },
});
const patch = (doc: Record<string, unknown>, operations: unknown[], type = userResourceType) =>
  applyPatch(
    doc,
    parsePatchRequest({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: operations }),
    type,
  );

test("Okta deactivation: a path-less replace of active", (t) => {
  t.like(patch(user(), [{ op: "replace", value: { active: false } }]), { active: false });
});

test("applyPatch() leaves the input untouched", (t) => {
  const doc = user();
  patch(doc, [{ op: "replace", value: { active: false } }]);
  t.true(doc.active);
});

test("Entra: capitalised op, string boolean, add on a single-valued attribute", (t) => {
  t.like(patch(user(), [{ op: "Replace", path: "active", value: "False" }]), { active: false });
  t.like(patch(user(), [{ op: "Add", path: "active", value: "false" }]), { active: false });
});

test("Entra: path-less replace with dotted and URN-prefixed keys", (t) => {
  const result = patch(user(), [
    {
      op: "replace",
      value: { "name.givenName": "Annie", [`${ENTERPRISE}:employeeNumber`]: "7", displayName: "A" },
    },
  ]);
  t.deepEqual(result["name"], { givenName: "Annie", familyName: "Lee" });
  t.deepEqual(result[ENTERPRISE], { employeeNumber: "7" });
  t.is(result["displayName"], "A");
});

test("a path-less value carrying an extension object sets its attributes", (t) => {
  const result = patch(user(), [
    { op: "add", value: { [ENTERPRISE]: { department: "R&D", manager: { value: "m1" } } } },
  ]);
  t.deepEqual(result[ENTERPRISE], { department: "R&D", manager: { value: "m1" } });
});

test('Entra: emails[type eq "work"].value replaces the work address, or creates it', (t) => {
  const replaced = patch(user(), [
    { op: "replace", path: 'emails[type eq "work"].value', value: "new@acme.com" },
  ]);
  t.deepEqual(replaced["emails"], [{ value: "new@acme.com", type: "work", primary: true }]);
  const created = patch(user(), [{ op: "add", path: 'emails[type eq "home"].value', value: "ann@home.net" }]);
  t.deepEqual((created["emails"] as unknown[])[1], { type: "home", value: "ann@home.net" });
});

test("a replace with a filter that matches nothing and pins no value is noTarget", (t) => {
  const error = t.throws(
    () => patch(user(), [{ op: "replace", path: 'emails[value co "zzz"].type', value: "home" }]),
    {
      instanceOf: ScimError,
    },
  );
  t.is(error.scimType, "noTarget");
});

test("remove with a value filter removes only matching elements", (t) => {
  const doc = {
    ...user(),
    phoneNumbers: [
      { value: "1", type: "work" },
      { value: "2", type: "mobile" },
    ],
  };
  t.deepEqual(patch(doc, [{ op: "remove", path: 'phoneNumbers[type eq "work"]' }])["phoneNumbers"], [
    { value: "2", type: "mobile" },
  ]);
});

test("remove of a simple attribute and of a sub-attribute", (t) => {
  const result = patch({ ...user(), title: "CEO" }, [
    { op: "remove", path: "title" },
    { op: "remove", path: "name.familyName" },
  ]);
  t.false("title" in result);
  t.deepEqual(result["name"], { givenName: "Ann" });
});

test("a read-only attribute is ignored in a path-less value but refused by path", (t) => {
  t.like(patch(user(), [{ op: "replace", value: { id: "other", meta: {}, displayName: "X" } }]), {
    id: "u1",
    displayName: "X",
  });
  const error = t.throws(() => patch(user(), [{ op: "replace", path: "id", value: "x" }]), {
    instanceOf: ScimError,
  });
  t.is(error.scimType, "mutability");
});

test("an unknown attribute is invalidPath", (t) => {
  const error = t.throws(() => patch(user(), [{ op: "replace", path: "shoeSize", value: 42 }]), {
    instanceOf: ScimError,
  });
  t.is(error.scimType, "invalidPath");
});

test("add to a multi-valued attribute appends and keeps a single primary", (t) => {
  const result = patch(user(), [
    { op: "add", path: "emails", value: [{ value: "b@acme.com", primary: true }] },
  ]);
  t.deepEqual(result["emails"], [
    { value: "ann@acme.com", type: "work", primary: false },
    { value: "b@acme.com", primary: true },
  ]);
});

test("Okta group rename: path-less replace with a read-only id inside", (t) => {
  const group = { id: "g1", displayName: "Old", schemas: [] };
  t.like(patch(group, [{ op: "replace", value: { id: "g1", displayName: "New" } }], groupResourceType), {
    id: "g1",
    displayName: "New",
  });
});

test("Entra's legacy member removal removes only the listed members", (t) => {
  const group = { id: "g1", displayName: "T", members: [{ value: "a" }, { value: "b" }, { value: "c" }] };
  const result = patch(
    group,
    [{ op: "Remove", path: "members", value: [{ value: "b" }] }],
    groupResourceType,
  );
  t.deepEqual(result["members"], [{ value: "a" }, { value: "c" }]);
});

test("Okta member removal by filter with no value", (t) => {
  const group = { id: "g1", displayName: "T", members: [{ value: "a" }, { value: "b" }] };
  const result = patch(group, [{ op: "remove", path: 'members[value eq "a"]' }], groupResourceType);
  t.deepEqual(result["members"], [{ value: "b" }]);
});

for (const [body, scimType] of [
  [{ Operations: [] }, "invalidSyntax"],
  [{}, "invalidSyntax"],
  [{ Operations: [{ op: "move", path: "x" }] }, "invalidSyntax"],
  [{ Operations: [{ op: "remove" }] }, "noTarget"],
  [{ Operations: [{ op: "add", path: "emails[type eq", value: 1 }] }, "invalidPath"],
  [{ Operations: [{ op: "replace", value: "x" }] }, "invalidSyntax"],
  [{ schemas: ["urn:wrong"], Operations: [{ op: "replace", value: {} }] }, "invalidSyntax"],
] as const) {
  test(`parsePatchRequest() refuses ${JSON.stringify(body)} with ${scimType}`, (t) => {
    const error = t.throws(() => parsePatchRequest(body), { instanceOf: ScimError });
    t.is(error.status, 400);
    t.is(error.scimType, scimType);
  });
}
