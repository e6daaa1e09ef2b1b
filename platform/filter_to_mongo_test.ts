import test from "ava";
import { create } from "@bufbuild/protobuf";
import { FilterSchema, Operator } from "../gen/moodpoll/query/v1/query_pb.ts";
import { filterToMongo, type FieldMap } from "./filter_to_mongo.ts";

const fields: FieldMap = {
  userName: { field: "userNameLower", lowered: true },
  title: { field: "title" },
  externalId: { field: "externalId" },
  "emails.value": { field: "emails.valueLower", lowered: true },
  active: { field: "active" },
};
const cmp = (attribute: string, operator: Operator, value: string, caseExact = false) =>
  create(FilterSchema, {
    kind: {
      case: "comparison",
      value: { attribute, operator, value: { kind: { case: "string", value } }, caseExact },
    },
  });

test("filterToMongo() uses the lowered field for a case-insensitive eq (an index lookup)", (t) => {
  t.deepEqual(filterToMongo(cmp("userName", Operator.EQ, "Ann@X.com"), fields), {
    userNameLower: "ann@x.com",
  });
});

test("filterToMongo() uses an anchored, escaped case-insensitive regex elsewhere", (t) => {
  t.deepEqual(filterToMongo(cmp("title", Operator.EQ, "C.E.O"), fields), {
    title: { $regex: "^C\\.E\\.O$", $options: "i" },
  });
  t.deepEqual(filterToMongo(cmp("title", Operator.SW, "Dr"), fields), {
    title: { $regex: "^Dr", $options: "i" },
  });
});

test("filterToMongo() compares caseExact attributes exactly", (t) => {
  t.deepEqual(filterToMongo(cmp("externalId", Operator.EQ, "Ab", true), fields), { externalId: "Ab" });
});

test("filterToMongo() combines and, or and not", (t) => {
  const filter = create(FilterSchema, {
    kind: {
      case: "or",
      value: {
        operands: [
          cmp("userName", Operator.EQ, "a"),
          create(FilterSchema, { kind: { case: "not", value: cmp("title", Operator.CO, "x") } }),
        ],
      },
    },
  });
  t.deepEqual(filterToMongo(filter, fields), {
    $or: [{ userNameLower: "a" }, { $nor: [{ title: { $regex: "x", $options: "i" } }] }],
  });
});

test("filterToMongo() refuses an attribute the store does not map", (t) => {
  t.throws(() => filterToMongo(cmp("password", Operator.EQ, "x"), fields), {
    message: /Cannot filter on "password"/,
  });
});
