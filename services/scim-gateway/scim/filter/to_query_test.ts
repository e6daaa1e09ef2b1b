import test from "ava";
import { toJson } from "@bufbuild/protobuf";
import { FilterSchema } from "../../../../gen/moodpoll/query/v1/query_pb.ts";
import { ScimError } from "../error.ts";
import { groupResourceType, userResourceType } from "../schema.ts";
import { filterToQuery } from "./to_query.ts";

const json = (filter: string) => toJson(FilterSchema, filterToQuery(filter, userResourceType));

test("filterToQuery() resolves attribute names case-insensitively and keeps caseExact", (t) => {
  t.deepEqual(json('USERNAME eq "Ann"'), {
    comparison: { attribute: "userName", operator: "OPERATOR_EQ", value: { string: "Ann" } },
  });
  t.deepEqual(json('externalId eq "X"'), {
    comparison: { attribute: "externalId", operator: "OPERATOR_EQ", value: { string: "X" }, caseExact: true },
  });
});

test("filterToQuery() maps extension and meta attributes to domain paths", (t) => {
  t.like(json('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"'), {
    comparison: { attribute: "enterprise.department" },
  });
  t.like(json('meta.lastModified gt "2026-01-01T00:00:00Z"'), {
    comparison: {
      attribute: "meta.lastModified",
      operator: "OPERATOR_GT",
      value: { dateTime: "2026-01-01T00:00:00Z" },
    },
  });
});

test("filterToQuery() reads a complex multi-valued attribute without sub-attribute as its value", (t) => {
  t.like(json('emails co "@acme"'), { comparison: { attribute: "emails.value", operator: "OPERATOR_CO" } });
});

test("filterToQuery() keeps value paths relative to the element", (t) => {
  t.deepEqual(json('emails[type eq "work"]'), {
    valuePath: {
      attribute: "emails",
      filter: { comparison: { attribute: "type", operator: "OPERATOR_EQ", value: { string: "work" } } },
    },
  });
});

test("filterToQuery() filters groups by member value", (t) => {
  t.like(toJson(FilterSchema, filterToQuery('members.value eq "u1"', groupResourceType)), {
    comparison: { attribute: "members.value" },
  });
});

for (const [filter, why] of [
  ['nosuch eq "x"', "unknown attribute"],
  ['active gt "x"', "boolean"],
  ['meta.created eq "yesterday"', "date-time"],
  ['name eq "x"', "complex"],
  ['password eq "x"', "cannot be filtered"],
  ["userName eq 5", "string"],
  ['emails[nosuch eq "x"]', "not a sub-attribute"],
] as const) {
  test(`filterToQuery() refuses ${filter} with invalidFilter (${why})`, (t) => {
    const error = t.throws(() => filterToQuery(filter, userResourceType), { instanceOf: ScimError });
    t.is(error.scimType, "invalidFilter");
    t.true(error.message.includes(why), error.message);
  });
}
