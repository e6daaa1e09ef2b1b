import test from "ava";
import { defaultTeamMembers, withDefaultTeam } from "./default_team.ts";

const known = [
  { _id: "ann", display: "Ann" },
  { _id: "bob", display: "Bob" },
  { _id: "cid", display: "Cid" },
];

test("defaultTeamMembers() holds exactly the known users who are in no other team", (t) => {
  t.deepEqual(defaultTeamMembers(known, new Set(["bob"])), [
    { userId: "ann", display: "Ann" },
    { userId: "cid", display: "Cid" },
  ]);
});

test("defaultTeamMembers() is empty when everyone has a team, and everyone when nobody has", (t) => {
  t.deepEqual(defaultTeamMembers(known, new Set(["ann", "bob", "cid"])), []);
  t.is(defaultTeamMembers(known, new Set()).length, 3);
});

test("withDefaultTeam() puts a user with no team in the default team and leaves the others alone", (t) => {
  const teams = new Map([
    ["ann", ["Blue"]],
    ["bob", [] as string[]],
    ["cid", ["Blue", "Red"]],
  ]);
  t.deepEqual(
    [...withDefaultTeam(teams, "Default team")],
    [
      ["ann", ["Blue"]],
      ["bob", ["Default team"]],
      ["cid", ["Blue", "Red"]],
    ],
  );
});

test("withDefaultTeam() changes nothing for a tenant whose default team does not exist yet", (t) => {
  const teams = new Map([["bob", [] as string[]]]);
  t.deepEqual([...withDefaultTeam(teams, undefined)], [["bob", []]]);
});
