/**
 * The user directory: a tenant's users in list order (created, then id) kept as pages of full
 * records, so that a page of a SCIM list is two or three document reads instead of a query.
 * This file is the pure part: where an entry goes, how a change applies, how pages split and how
 * a list window maps onto pages. Storage and event handling live beside it (store.ts, projector.ts).
 */

/** List order: creation time in ms, then id (the order of the list query it replaces). */
export type DirKey = [number, string];

/**
 * A user in a page, or a tombstone (`user` absent) that remembers a deletion for a while, so a
 * change published before it but delivered after it cannot bring the user back.
 */
export interface DirEntry<U> {
  key: DirKey;
  version: number;
  user?: U | undefined;
  /** When the tombstone was written (ms), for pruning. */
  deletedAt?: number;
}

/** What the header knows of a page: enough to route a change or a list window to it. */
export interface PageRef {
  id: string;
  /** Live entries (tombstones excluded). */
  count: number;
  first: DirKey;
  last: DirKey;
}

export type DirChange<U> =
  | { kind: "upsert"; key: DirKey; version: number; user: U }
  | { kind: "delete"; key: DirKey; version: number };

/**
 * A page is split when it holds more entries than this (tombstones included). Small pages keep what
 * a list window reads beyond what it returns small, and what a change rewrites small; a window of
 * 100 spans three or four pages.
 */
export const MAX_PAGE_ENTRIES = 64;
/** Pages written from scratch (a rebuild), and the halves of a split, hold about this many. */
export const FILL_PAGE_ENTRIES = 32;
/** Tombstones older than this are dropped when their page is next written. */
export const TOMBSTONE_MS = 10 * 60_000;

export function compareKeys(a: DirKey, b: DirKey): number {
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
}

/** Index of the page a key belongs to: the first whose last key is not below it, else the last page. */
export function locatePage(pages: readonly PageRef[], key: DirKey): number {
  let lo = 0;
  let hi = pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(pages[mid]!.last, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return hi;
}

/** Position of `key` in sorted entries: [index, found]. */
function search<U>(entries: readonly DirEntry<U>[], key: DirKey): [number, boolean] {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareKeys(entries[mid]!.key, key);
    if (c === 0) return [mid, true];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return [lo, false];
}

/**
 * Applies one change to a page's sorted entries, in place. Versions decide: an entry is only
 * replaced by a newer version, so changes delivered twice or out of order leave the newest state.
 */
export function applyChange<U>(entries: DirEntry<U>[], change: DirChange<U>, now: number): void {
  const { key, version } = change;
  const [at, found] = search(entries, key);
  if (found && entries[at]!.version >= version) return;
  const entry: DirEntry<U> =
    change.kind === "upsert" ? { key, version, user: change.user } : { key, version, deletedAt: now };
  if (found) entries[at] = entry;
  else entries.splice(at, 0, entry);
}

/** Drops tombstones older than {@link TOMBSTONE_MS}. */
export function pruneTombstones<U>(entries: readonly DirEntry<U>[], now: number): DirEntry<U>[] {
  return entries.filter((e) => e.user !== undefined || now - (e.deletedAt ?? 0) < TOMBSTONE_MS);
}

/** Cuts sorted entries into pages of at most `size` (none for no entries). */
export function chunk<T>(entries: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < entries.length; i += size) out.push(entries.slice(i, i + size));
  return out;
}

/** Splits an over-full page in halves until every part fits. */
export function split<U>(entries: readonly DirEntry<U>[]): DirEntry<U>[][] {
  if (entries.length <= MAX_PAGE_ENTRIES) return entries.length > 0 ? [[...entries]] : [];
  const parts = Math.max(2, Math.round(entries.length / FILL_PAGE_ENTRIES));
  return chunk(entries, Math.ceil(entries.length / parts));
}

/** The header's view of a page's entries (which must not be empty). */
export function refOf<U>(id: string, entries: readonly DirEntry<U>[]): PageRef {
  return {
    id,
    count: entries.reduce((n, e) => n + (e.user ? 1 : 0), 0),
    first: entries[0]!.key,
    last: entries[entries.length - 1]!.key,
  };
}

/** Which pages hold the live entries [offset, offset + limit), and what to take from each. */
export function pageWindow(
  pages: readonly Pick<PageRef, "id" | "count">[],
  offset: number,
  limit: number,
): { id: string; skip: number; take: number }[] {
  const out: { id: string; skip: number; take: number }[] = [];
  let before = 0;
  let wanted = limit;
  for (const page of pages) {
    if (wanted <= 0) break;
    const start = Math.max(0, offset - before);
    before += page.count;
    if (start >= page.count) continue;
    const take = Math.min(page.count - start, wanted);
    out.push({ id: page.id, skip: start, take });
    wanted -= take;
  }
  return out;
}

/** The live users of a page's entries in the window's slice. */
export function liveSlice<U>(entries: readonly DirEntry<U>[], skip: number, take: number): U[] {
  const live = entries.filter((e) => e.user !== undefined).map((e) => e.user!);
  return live.slice(skip, skip + take);
}
