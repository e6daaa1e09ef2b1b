import test from "ava";
import { create } from "@bufbuild/protobuf";
import { UserSchema } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { AppError } from "../../../platform/errors.ts";
import { enforceImmutables, isIanaTimeZone, validateUser } from "./rules.ts";

test("isIanaTimeZone() accepts zone names and refuses offsets and inventions", (t) => {
  for (const name of ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5", "Asia/Kolkata"]) {
    t.true(isIanaTimeZone(name), name);
  }
  for (const name of ["+01:00", "Mars/Olympus", "Europe/", "", "PST8PDT/x", "Paris"]) {
    t.false(isIanaTimeZone(name), name);
  }
});

test("validateUser() refuses a timezone that is not an IANA name with invalid_value", (t) => {
  const user = create(UserSchema, { userName: "a@x.com", timezone: "GMT+1 Paris" });
  const error = t.throws(() => validateUser(user), { instanceOf: AppError });
  t.is(error.code, "invalid_value");
});

test("enforceImmutables() allows the same userName and emails in another case", (t) => {
  const stored = create(UserSchema, {
    userName: "Ann@X.com",
    emails: [{ value: "Ann@X.com", primary: true }],
  });
  const incoming = create(UserSchema, {
    userName: "ann@x.com",
    emails: [{ value: "ANN@x.com", type: "work" }],
  });
  t.notThrows(() => enforceImmutables(stored, incoming));
});

test("enforceImmutables() refuses a changed userName or email with mutability", (t) => {
  const stored = create(UserSchema, { userName: "ann@x.com", emails: [{ value: "ann@x.com" }] });
  const renamed = create(UserSchema, { userName: "bob@x.com" });
  t.is(t.throws(() => enforceImmutables(stored, renamed), { instanceOf: AppError }).code, "mutability");
  const newEmail = create(UserSchema, { userName: "ann@x.com", emails: [{ value: "ann@y.com" }] });
  t.is(t.throws(() => enforceImmutables(stored, newEmail), { instanceOf: AppError }).code, "mutability");
});

test("enforceImmutables() keeps stored userName and emails when the request omits them", (t) => {
  const stored = create(UserSchema, { userName: "ann@x.com", emails: [{ value: "ann@x.com" }] });
  const result = enforceImmutables(stored, create(UserSchema, { displayName: "Ann" }));
  t.is(result.userName, "ann@x.com");
  t.is(result.emails[0]?.value, "ann@x.com");
});
