import test from "ava";
import { ScimError } from "./error.ts";
import { listResponse, MAX_RESULTS, parseListParams } from "./list.ts";
import { project } from "./projection.ts";
import { userResourceType } from "./schema.ts";

test("parseListParams() treats startIndex < 1 as 1, negative count as 0 and caps count", (t) => {
  t.like(parseListParams({ startIndex: "0", count: "-5" }, userResourceType), {
    startIndex: 1,
    offset: 0,
    limit: 0,
  });
  t.like(parseListParams({ startIndex: "101", count: "100000" }, userResourceType), {
    startIndex: 101,
    offset: 100,
    limit: MAX_RESULTS,
  });
});

test("parseListParams() refuses non-integer paging and unknown sort attributes with invalidValue", (t) => {
  t.is(
    t.throws(() => parseListParams({ count: "ten" }, userResourceType), { instanceOf: ScimError }).scimType,
    "invalidValue",
  );
  t.is(
    t.throws(() => parseListParams({ sortBy: "emails" }, userResourceType), { instanceOf: ScimError })
      .scimType,
    "invalidValue",
  );
  t.like(parseListParams({ sortBy: "name.familyName", sortOrder: "DESCENDING" }, userResourceType), {
    sortBy: "name.familyName",
    descending: true,
  });
});

test("listResponse() always carries integers and a Resources array", (t) => {
  t.deepEqual(listResponse([], 0, 1), {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    totalResults: 0,
    startIndex: 1,
    itemsPerPage: 0,
    Resources: [],
  });
});

test("project() keeps id and schemas and honours attributes and excludedAttributes", (t) => {
  const doc = {
    schemas: ["s"],
    id: "1",
    userName: "a",
    name: { givenName: "A", familyName: "B" },
    groups: [{ value: "g" }],
  };
  t.deepEqual(project(doc, ["name.givenName"], [], userResourceType), {
    schemas: ["s"],
    id: "1",
    name: { givenName: "A" },
  });
  t.deepEqual(project(doc, [], ["groups", "id"], userResourceType), {
    schemas: ["s"],
    id: "1",
    userName: "a",
    name: { givenName: "A", familyName: "B" },
  });
});
