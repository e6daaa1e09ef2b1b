import test from "ava";
import { generateToken, secretMatches, tokenIdOf } from "./tokens.ts";

test("generateToken() makes a recognisable token whose id can be read back", (t) => {
  const token = generateToken();
  t.regex(token.secret, /^mps_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
  t.is(tokenIdOf(token.secret), token.id);
  t.is(token.prefix, token.secret.slice(0, 12));
  t.notRegex(token.hash, new RegExp(token.secret));
});

test("secretMatches() accepts the issued secret and refuses any other", (t) => {
  const token = generateToken();
  t.true(secretMatches(token.secret, token.hash));
  t.false(secretMatches(`${token.secret.slice(0, -1)}x`, token.hash));
  t.false(secretMatches(generateToken().secret, token.hash));
});

test("tokenIdOf() refuses strings that are not Moodpoll tokens", (t) => {
  t.is(tokenIdOf("Bearer abc"), undefined);
  t.is(tokenIdOf(""), undefined);
  t.is(tokenIdOf("mps_123_abc"), undefined);
});
