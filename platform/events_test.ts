import test from "ava";
import { create, toBinary } from "@bufbuild/protobuf";
import { UserDeletedSchema } from "../gen/moodpoll/events/v1/events_pb.ts";
import { AppError } from "./errors.ts";
import { decodeEvent } from "./events.ts";

test("decodeEvent() reads a payload of the expected type", (t) => {
  const data = toBinary(UserDeletedSchema, create(UserDeletedSchema, { userId: "u1" }));
  t.is(decodeEvent(UserDeletedSchema, { data }).userId, "u1");
});

test("decodeEvent() refuses an undecodable payload as invalid, naming the type (so it is parked, not retried)", (t) => {
  const error = t.throws(() => decodeEvent(UserDeletedSchema, { data: new Uint8Array([0xff, 0xff, 0xff]) }));
  t.true(error instanceof AppError);
  t.is((error as AppError).code, "invalid_argument");
  t.regex(error.message, /moodpoll\.events\.v1\.UserDeleted payload does not decode/);
});
