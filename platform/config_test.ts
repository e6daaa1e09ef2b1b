import test from "ava";
import { ConfigError, loadConfig, redact } from "./config.ts";

test("loadConfig() reads typed values and applies defaults", (t) => {
  const config = loadConfig({ PORT: "9090", NAME: "x" }, (env) => ({
    port: env.int("PORT", 8080, { min: 1, max: 65535 }),
    other: env.int("OTHER", 7),
    name: env.string("NAME"),
    level: env.oneOf("LEVEL", ["info", "debug"], "info"),
  }));
  t.deepEqual(config, { port: 9090, other: 7, name: "x", level: "info" });
});

test("loadConfig() reports every bad variable by name in one error", (t) => {
  const error = t.throws(
    () =>
      loadConfig({ PORT: "80a", MONGO_URL: "http://x" }, (env) => ({
        port: env.int("PORT", 8080, { min: 1, max: 65535 }),
        mongo: env.url("MONGO_URL", ["mongodb"]),
        nats: env.string("NATS_URL"),
      })),
    { instanceOf: ConfigError },
  );
  t.deepEqual(error.problems, [
    'PORT must be an integer between 1 and 65535 (got "80a")',
    'MONGO_URL must be a mongodb URL (got "http://x")',
    "NATS_URL is required but not set",
  ]);
});

test("redact() hides credentials in a connection string", (t) => {
  t.is(redact("mongodb://user:secret@db:27017/x"), "mongodb://***@db:27017/x");
});
