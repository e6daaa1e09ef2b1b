import test from "ava";
import {
  applyChange,
  liveSlice,
  locatePage,
  MAX_PAGE_ENTRIES,
  pageWindow,
  pruneTombstones,
  refOf,
  split,
  TOMBSTONE_MS,
  type DirChange,
  type DirEntry,
  type DirKey,
  type PageRef,
} from "./layout.ts";

interface TestUser {
  id: string;
  created: number;
  version: number;
  displayName?: string;
}
const user = (n: number, version = 1, created = n): TestUser => ({
  id: `u${String(n).padStart(4, "0")}`,
  created,
  version,
});
const keyOf = (u: TestUser): DirKey => [u.created, u.id];
const upsert = (u: TestUser): DirChange<TestUser> => ({
  kind: "upsert",
  key: keyOf(u),
  version: u.version,
  user: u,
});
const ids = (entries: DirEntry<TestUser>[]) =>
  entries.map((e) => `${e.key[1]}@${e.version}${e.user ? "" : "†"}`);

test("applyChange() keeps entries in list order whatever order the users arrive in", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  for (const n of [3, 1, 2]) applyChange(entries, upsert(user(n)), 0);
  t.deepEqual(ids(entries), ["u0001@1", "u0002@1", "u0003@1"]);
});

test("applyChange() orders users created in the same millisecond by id", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  applyChange(entries, upsert(user(2, 1, 5)), 0);
  applyChange(entries, upsert(user(1, 1, 5)), 0);
  t.deepEqual(ids(entries), ["u0001@1", "u0002@1"]);
});

test("applyChange() replaces an entry only with a newer version (duplicates and reordering are harmless)", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  applyChange(entries, upsert(user(1, 3)), 0);
  applyChange(entries, upsert({ ...user(1, 2), displayName: "stale" }), 0);
  applyChange(entries, upsert(user(1, 3)), 0);
  t.deepEqual(ids(entries), ["u0001@3"]);
  t.is(entries[0]!.user?.displayName, undefined);
});

test("a deletion leaves a tombstone that an older change delivered late cannot undo", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  applyChange(entries, upsert(user(1, 1)), 0);
  applyChange(entries, { kind: "delete", key: keyOf(user(1)), version: 3 }, 1000);
  applyChange(entries, upsert(user(1, 2)), 2000);
  t.deepEqual(ids(entries), ["u0001@3†"]);
  t.deepEqual(liveSlice(entries, 0, 10), []);
});

test("pruneTombstones() forgets deletions only after the tombstone period", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  applyChange(entries, upsert(user(1)), 0);
  applyChange(entries, { kind: "delete", key: keyOf(user(2)), version: 2 }, 1000);
  t.is(pruneTombstones(entries, 1000 + TOMBSTONE_MS - 1).length, 2);
  t.deepEqual(ids(pruneTombstones(entries, 1000 + TOMBSTONE_MS)), ["u0001@1"]);
});

test("split() leaves a page that fits alone and halves one that grew too large", (t) => {
  const full: DirEntry<TestUser>[] = Array.from({ length: MAX_PAGE_ENTRIES }, (_, i) => ({
    key: keyOf(user(i)),
    version: 1,
  }));
  t.is(split(full).length, 1);
  const parts = split([...full, { key: keyOf(user(999)), version: 1 }]);
  t.true(parts.length >= 2);
  t.is(parts.flat().length, MAX_PAGE_ENTRIES + 1);
  t.true(parts.every((p) => p.length <= MAX_PAGE_ENTRIES));
  t.deepEqual(split<TestUser>([]), []);
});

test("locatePage() routes a key to the page whose range covers it, and later keys to the last page", (t) => {
  const pages: PageRef[] = [
    { id: "a", count: 2, first: [1, "u1"], last: [2, "u2"] },
    { id: "b", count: 2, first: [5, "u5"], last: [6, "u6"] },
  ];
  t.is(locatePage(pages, [0, "u0"]), 0);
  t.is(locatePage(pages, [2, "u2"]), 0);
  t.is(locatePage(pages, [3, "u3"]), 1, "a key between two pages goes to the later one");
  t.is(locatePage(pages, [9, "u9"]), 1);
  t.is(locatePage([], [9, "u9"]), -1);
});

test("pageWindow() maps a 0-based list window onto pages by their live counts", (t) => {
  const pages: PageRef[] = [
    { id: "a", count: 3, first: [1, "a"], last: [3, "c"] },
    { id: "b", count: 0, first: [4, "d"], last: [4, "d"] },
    { id: "c", count: 4, first: [5, "e"], last: [8, "h"] },
  ];
  t.deepEqual(pageWindow(pages, 0, 2), [{ id: "a", skip: 0, take: 2 }]);
  t.deepEqual(pageWindow(pages, 2, 3), [
    { id: "a", skip: 2, take: 1 },
    { id: "c", skip: 0, take: 2 },
  ]);
  t.deepEqual(pageWindow(pages, 6, 100), [{ id: "c", skip: 3, take: 1 }]);
  t.deepEqual(pageWindow(pages, 7, 100), []);
  t.deepEqual(pageWindow(pages, 0, 0), []);
});

test("refOf() counts live entries only and spans the first to the last key", (t) => {
  const entries: DirEntry<TestUser>[] = [];
  applyChange(entries, upsert(user(1)), 0);
  applyChange(entries, { kind: "delete", key: keyOf(user(2)), version: 2 }, 0);
  t.deepEqual(refOf("p", entries), { id: "p", count: 1, first: [1, "u0001"], last: [2, "u0002"] });
});
