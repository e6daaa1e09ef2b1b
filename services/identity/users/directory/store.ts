import { randomBytes } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Binary, type Collection, type Db, type IndexDescription } from "mongodb";
import {
  UserDirectoryPageSchema,
  UserDirectoryPagesSchema,
} from "../../../../gen/moodpoll/identity/storage/v1/user_directory_pb.ts";
import type { User } from "../../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { deleteByIds, findByIds } from "../../../../platform/mod.ts";
import { fromRecord, USERS, type UserRecord } from "../record.ts";
import {
  applyChange,
  chunk,
  FILL_PAGE_ENTRIES,
  liveSlice,
  locatePage,
  pageWindow,
  pruneTombstones,
  refOf,
  split,
  type DirChange,
  type DirEntry,
  type PageRef,
} from "./layout.ts";

export const DIRECTORY = "user_directory";
export const DIRECTORY_ROUTING = "user_directory_routing";
export const DIRECTORY_PAGES = "user_directory_pages";
export const directoryIndexes: Record<string, IndexDescription[]> = {
  [DIRECTORY_PAGES]: [{ key: { tenantId: 1 }, name: "tenant" }],
};

/**
 * What a reader needs, one small document per tenant: the pages in list order with their live
 * counts (encoded, see {@link DirectoryPage}). Replaced as a whole, so a reader sees one state or
 * the next. The page keys live in the projector's routing document, which readers never decode.
 */
export interface DirectoryIndex {
  _id: string;
  tenantId: string;
  pages: Binary;
  total: number;
}

/** What the projector needs: each page's key range, and the pages waiting to be collected. */
export interface DirectoryRouting {
  _id: string;
  tenantId: string;
  pages: Binary;
  builtAt: Date;
  /** Pages replaced by a newer copy, deleted once no reader can still be using them. */
  garbage: { id: string; at: Date }[];
}

/**
 * Pages are written once and never updated: a change writes a new copy (copy on write). The
 * entries are one protobuf-encoded field (proto/moodpoll/identity/storage/v1): on FerretDB, reading
 * a document costs per field it decodes, and a page of users has hundreds of them.
 */
export interface DirectoryPage {
  _id: string;
  tenantId: string;
  entries: Binary;
}

type Entry = DirEntry<User>;
export type UserDirChange = DirChange<User>;

const encode = (entries: readonly Entry[]) =>
  new Binary(
    toBinary(
      UserDirectoryPageSchema,
      create(UserDirectoryPageSchema, {
        entries: entries.map((e) => ({
          createdMs: BigInt(e.key[0]),
          id: e.key[1],
          version: BigInt(e.version),
          user: e.user,
          deletedAtMs: BigInt(e.deletedAt ?? 0),
        })),
      }),
    ),
  );

const encodeRefs = (refs: readonly PageRef[], withKeys: boolean) =>
  new Binary(
    toBinary(
      UserDirectoryPagesSchema,
      create(UserDirectoryPagesSchema, {
        pages: refs.map((r) => ({
          id: r.id,
          count: r.count,
          ...(withKeys
            ? {
                firstCreatedMs: BigInt(r.first[0]),
                firstId: r.first[1],
                lastCreatedMs: BigInt(r.last[0]),
                lastId: r.last[1],
              }
            : {}),
        })),
      }),
    ),
  );

const decodeRefs = (data: Binary): PageRef[] =>
  fromBinary(UserDirectoryPagesSchema, data.buffer).pages.map((p) => ({
    id: p.id,
    count: p.count,
    first: [Number(p.firstCreatedMs), p.firstId],
    last: [Number(p.lastCreatedMs), p.lastId],
  }));

const decode = (page: DirectoryPage): Entry[] =>
  fromBinary(UserDirectoryPageSchema, page.entries.buffer).entries.map((e) => ({
    key: [Number(e.createdMs), e.id],
    version: Number(e.version),
    user: e.user,
    ...(e.user ? {} : { deletedAt: Number(e.deletedAtMs) }),
  }));

export interface Directory {
  /**
   * The users at [offset, offset + limit) of the tenant's list, and how many there are; undefined
   * when the tenant has no directory yet (the caller then queries the users collection).
   */
  read(
    tenantId: string,
    offset: number,
    limit: number,
  ): Promise<{ users: User[]; total: number } | undefined>;
  /**
   * Applies changes for one tenant. Callers must be the only writer (the projector runs as the
   * single pinned client of its consumer). Builds the directory from the users collection first
   * when it is missing or older than `rebuildMs`.
   */
  apply(tenantId: string, changes: readonly UserDirChange[]): Promise<void>;
  /** Creates an empty directory for a tenant that has just been created (no users to read). */
  init(tenantId: string): Promise<void>;
  /**
   * Builds the tenant's directory afresh from the users collection: for users written without
   * events (a restored backup, a bulk import). Only while no projector writes for this tenant.
   */
  rebuild(tenantId: string): Promise<void>;
}

/** The routing as the projector works with it (decoded). */
interface Routing {
  pages: PageRef[];
  builtAt: Date;
  garbage: { id: string; at: Date }[];
}

/** A replaced page stays readable this long, longer than any read between header and pages. */
const GARBAGE_GRACE_MS = 60_000;

export function createDirectory(
  db: Db,
  options: { rebuildMs?: number; pointReadsOnly?: boolean } = {},
): Directory {
  const byId = { pointReadsOnly: options.pointReadsOnly ?? true };
  const rebuildMs = options.rebuildMs ?? 15 * 60_000;
  const indexes: Collection<DirectoryIndex> = db.collection(DIRECTORY);
  const routings: Collection<DirectoryRouting> = db.collection(DIRECTORY_ROUTING);
  const pages: Collection<DirectoryPage> = db.collection(DIRECTORY_PAGES);
  const users: Collection<UserRecord> = db.collection(USERS);
  const newPageId = () => randomBytes(12).toString("base64url");

  /**
   * Writes the new pages, then the routing, then the index that readers follow; the replaced
   * pages become garbage. A crash in between leaves an index older than its routing, which the
   * next change notices (the page lists differ) and answers with a rebuild.
   */
  const publish = async (
    tenantId: string,
    previous: Routing | null,
    update: { refs: PageRef[]; written: DirectoryPage[]; replaced: string[]; builtAt: Date },
  ) => {
    const now = new Date();
    // In parts: a rebuilt directory of a large tenant is more than one message can carry.
    for (let i = 0; i < update.written.length; i += 50)
      await pages.insertMany(update.written.slice(i, i + 50));
    const garbage = [...(previous?.garbage ?? []), ...update.replaced.map((id) => ({ id, at: now }))];
    const expired = garbage.filter((g) => now.getTime() - g.at.getTime() >= GARBAGE_GRACE_MS);
    const routing: Routing = {
      pages: update.refs,
      builtAt: update.builtAt,
      garbage: garbage.filter((g) => !expired.includes(g)),
    };
    await routings.replaceOne(
      { _id: tenantId },
      {
        tenantId,
        pages: encodeRefs(routing.pages, true),
        builtAt: routing.builtAt,
        garbage: routing.garbage,
      },
      { upsert: true },
    );
    await indexes.replaceOne(
      { _id: tenantId },
      {
        tenantId,
        pages: encodeRefs(update.refs, false),
        total: update.refs.reduce((n, r) => n + r.count, 0),
      },
      { upsert: true },
    );
    await deleteByIds(
      pages,
      expired.map((g) => g.id),
      byId,
    );
    return routing;
  };

  /** The directory as the users collection has it now (one query; on FerretDB a scan). */
  const rebuild = async (tenantId: string, previous: Routing | null): Promise<Routing> => {
    const all = await users.find({ tenantId }).sort({ created: 1, _id: 1 }).toArray();
    const entries: Entry[] = all.map((u) => ({
      key: [u.created.getTime(), u._id],
      version: u.version,
      user: fromRecord(u),
    }));
    const parts = chunk(entries, FILL_PAGE_ENTRIES).map((part) => ({ id: newPageId(), part }));
    return publish(tenantId, previous, {
      refs: parts.map((p) => refOf(p.id, p.part)),
      written: parts.map((p) => ({ _id: p.id, tenantId, entries: encode(p.part) })),
      replaced: (previous?.pages ?? []).map((p) => p.id),
      builtAt: new Date(),
    });
  };

  /** The routing, or a fresh build when there is none, it is old, or the index disagrees with it. */
  const currentRouting = async (tenantId: string): Promise<Routing> => {
    const [stored, index] = await Promise.all([
      routings.findOne({ _id: tenantId }),
      indexes.findOne({ _id: tenantId }),
    ]);
    const routing = stored && {
      pages: decodeRefs(stored.pages),
      builtAt: stored.builtAt,
      garbage: stored.garbage,
    };
    const readerPages = index ? decodeRefs(index.pages) : undefined;
    const agree =
      routing !== null &&
      readerPages !== undefined &&
      routing.pages.length === readerPages.length &&
      routing.pages.every((p, i) => p.id === readerPages[i]?.id);
    if (!routing || !agree || Date.now() - routing.builtAt.getTime() > rebuildMs)
      return rebuild(tenantId, routing);
    return routing;
  };

  const apply = async (
    tenantId: string,
    changes: readonly UserDirChange[],
    retried = false,
  ): Promise<void> => {
    const current = await currentRouting(tenantId);
    if (changes.length === 0) return;
    const now = Date.now();
    // Route each change to its page; with no page yet, everything starts the first one.
    const byPage = Map.groupBy(changes, (change) => Math.max(0, locatePage(current.pages, change.key)));
    const touched = [...byPage.keys()]
      .filter((i) => i < current.pages.length)
      .map((i) => current.pages[i]!.id);
    const loaded = new Map((await findByIds(pages, touched, byId)).map((p) => [p._id, decode(p)]));
    if (touched.some((id) => !loaded.has(id))) {
      // A page the routing names is gone: this directory cannot be trusted, so it starts over.
      if (retried) throw new Error(`User directory of tenant ${tenantId} names pages that do not exist`);
      await rebuild(tenantId, current);
      return apply(tenantId, changes, true);
    }
    const refs: PageRef[] = [];
    const written: DirectoryPage[] = [];
    for (let i = 0; i < Math.max(1, current.pages.length); i += 1) {
      const ref = current.pages[i];
      const pageChanges = byPage.get(i);
      if (!pageChanges) {
        if (ref) refs.push(ref);
        continue;
      }
      const entries = [...(ref ? loaded.get(ref.id)! : [])];
      for (const change of pageChanges) applyChange(entries, change, now);
      for (const part of split(pruneTombstones(entries, now))) {
        const id = newPageId();
        written.push({ _id: id, tenantId, entries: encode(part) });
        refs.push(refOf(id, part));
      }
    }
    await publish(tenantId, current, { refs, written, replaced: touched, builtAt: current.builtAt });
  };

  return {
    async read(tenantId, offset, limit) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const index = await indexes.findOne({ _id: tenantId });
        if (!index) return undefined;
        const window = pageWindow(decodeRefs(index.pages), offset, limit);
        const found = await findByIds(
          pages,
          window.map((w) => w.id),
          byId,
        );
        const pageById = new Map(found.map((p) => [p._id, p]));
        if (window.some((w) => !pageById.has(w.id))) continue; // replaced and collected meanwhile: re-read
        return {
          users: window.flatMap((w) => liveSlice(decode(pageById.get(w.id)!), w.skip, w.take)),
          total: index.total,
        };
      }
      return undefined;
    },

    async init(tenantId) {
      if (await routings.findOne({ _id: tenantId }, { projection: { _id: 1 } })) return;
      await publish(tenantId, null, { refs: [], written: [], replaced: [], builtAt: new Date() });
    },

    apply: (tenantId, changes) => apply(tenantId, changes),

    async rebuild(tenantId) {
      const stored = await routings.findOne({ _id: tenantId });
      await rebuild(
        tenantId,
        stored && { pages: decodeRefs(stored.pages), builtAt: stored.builtAt, garbage: stored.garbage },
      );
    },
  };
}
