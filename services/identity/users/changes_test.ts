import test from "ava";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserSchema, Weekday } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { changedFields } from "./changes.ts";

const ann = create(UserSchema, {
  id: "u1",
  userName: "ann@acme.com",
  displayName: "Ann",
  active: true,
  name: { givenName: "Ann", familyName: "Lee" },
  version: 3n,
  lastModified: timestampFromDate(new Date("2026-01-01T00:00:00Z")),
});

test("changedFields() names the fields whose values differ, nested ones by their top-level field", (t) => {
  const after = create(UserSchema, {
    id: ann.id,
    userName: ann.userName,
    displayName: "Ann Lee",
    active: false,
    name: { givenName: "Ann", familyName: "Li" },
    workingDays: [Weekday.MON],
    version: ann.version,
    lastModified: ann.lastModified,
  });
  t.deepEqual(changedFields(ann, after).sort(), ["active", "displayName", "name", "workingDays"]);
});

test("changedFields() ignores the version and lastModified that every write changes", (t) => {
  const after = create(UserSchema, {
    id: ann.id,
    userName: ann.userName,
    displayName: ann.displayName,
    active: ann.active,
    name: { givenName: "Ann", familyName: "Lee" },
    version: 4n,
    lastModified: timestampFromDate(new Date("2026-02-01T00:00:00Z")),
  });
  t.deepEqual(changedFields(ann, after), []);
});
