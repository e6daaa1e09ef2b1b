import test from "ava";
import { ScimError } from "../error.ts";
import { parseFilter } from "./parse.ts";

test("parseFilter() reads a comparison with a quoted value", (t) => {
  t.deepEqual(parseFilter('userName eq "bjensen@example.com"'), {
    kind: "compare",
    path: "userName",
    op: "eq",
    value: "bjensen@example.com",
  });
});

test("parseFilter() treats operators and keywords case-insensitively", (t) => {
  t.deepEqual(parseFilter('userName EQ "a" AND active Eq TRUE'), {
    kind: "and",
    left: { kind: "compare", path: "userName", op: "eq", value: "a" },
    right: { kind: "compare", path: "active", op: "eq", value: true },
  });
});

test("parseFilter() gives and precedence over or, and not over and", (t) => {
  const node = parseFilter('a eq "1" or b eq "2" and not (c pr)');
  t.is(node.kind, "or");
  if (node.kind !== "or") return;
  t.is(node.right.kind, "and");
  if (node.right.kind !== "and") return;
  t.deepEqual(node.right.right, { kind: "not", filter: { kind: "present", path: "c" } });
});

test("parseFilter() reads value paths and URN-prefixed attributes", (t) => {
  t.deepEqual(parseFilter('emails[type eq "work" and value co "@example.com"]'), {
    kind: "valuePath",
    path: "emails",
    filter: {
      kind: "and",
      left: { kind: "compare", path: "type", op: "eq", value: "work" },
      right: { kind: "compare", path: "value", op: "co", value: "@example.com" },
    },
  });
  t.deepEqual(
    parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"'),
    {
      kind: "compare",
      path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
      op: "eq",
      value: "7",
    },
  );
});

test("parseFilter() reads numbers, null and JSON escapes in strings", (t) => {
  t.deepEqual(parseFilter("x gt 1.5e2"), { kind: "compare", path: "x", op: "gt", value: 150 });
  t.deepEqual(parseFilter("x eq null"), { kind: "compare", path: "x", op: "eq", value: null });
  t.deepEqual(parseFilter('x eq "a \\"q\\" \\u00e9"'), {
    kind: "compare",
    path: "x",
    op: "eq",
    value: 'a "q" é',
  });
});

for (const [filter, why] of [
  ['userName eq "unterminated', "unterminated string"],
  ["userName eq", "expected a value"],
  ['userName xx "a"', 'unknown operator "xx"'],
  ['(userName eq "a"', 'expected ")"'],
  ['userName eq "a" garbage', "unexpected"],
  ["", "empty"],
  ['not userName eq "a"', 'expected "("'],
  ['"a" eq userName', "expected an attribute name"],
] as const) {
  test(`parseFilter() rejects ${JSON.stringify(filter)} with invalidFilter (${why})`, (t) => {
    const error = t.throws(() => parseFilter(filter), { instanceOf: ScimError });
    t.is(error.status, 400);
    t.is(error.scimType, "invalidFilter");
    t.true(error.message.includes(why), error.message);
  });
}
