import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { IndexDescription } from "mongodb";
import { UserSchema, type User, type Weekday } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";

/** An element of emails / phoneNumbers as stored; `valueLower` backs case-insensitive lookups. */
export interface MultiValueRecord {
  value: string;
  valueLower: string;
  type?: string;
  primary: boolean;
  display?: string;
}

/**
 * A user as stored in MongoDB. `userNameLower` and `externalIdKey` carry the unique indexes
 * (FerretDB has no collation and no partial indexes: a user without externalId gets a filler key
 * that cannot collide).
 */
export interface UserRecord {
  _id: string;
  tenantId: string;
  userName: string;
  userNameLower: string;
  externalId?: string;
  externalIdKey: string;
  name?: Partial<
    Record<
      "formatted" | "familyName" | "givenName" | "middleName" | "honorificPrefix" | "honorificSuffix",
      string
    >
  >;
  displayName?: string;
  nickName?: string;
  profileUrl?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active: boolean;
  emails: MultiValueRecord[];
  phoneNumbers: MultiValueRecord[];
  enterprise?: Partial<
    Record<"employeeNumber" | "costCenter" | "organization" | "division" | "department" | "managerId", string>
  >;
  /** "MON" … "SUN", in week order. */
  workingDays: string[];
  created: Date;
  lastModified: Date;
  version: number;
  /**
   * Ids of the last events whose effect this record carries (not part of the SCIM resource): a
   * duplicate of one, however late, is recognised with the record itself, by the read that the
   * change needs anyway.
   */
  handledEvents?: string[];
}

/** How many handled event ids a user record remembers. */
export const HANDLED_EVENTS_KEPT = 20;

export const USERS = "users";

const WEEKDAY_NAMES = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

export const userIndexes: IndexDescription[] = [
  { key: { tenantId: 1, userNameLower: 1 }, name: "tenant_userName", unique: true },
  { key: { tenantId: 1, externalIdKey: 1 }, name: "tenant_externalId", unique: true },
  { key: { tenantId: 1, "emails.valueLower": 1 }, name: "tenant_email" },
  { key: { tenantId: 1, created: 1, _id: 1 }, name: "tenant_created" },
];

export const externalIdKey = (id: string, externalId: string | undefined) =>
  externalId === undefined ? `none:${id}` : `ext:${externalId}`;

const clean = <T extends Record<string, unknown>>(obj: T): T | undefined => {
  const out = Object.fromEntries(
    Object.entries(obj).filter(([k, v]) => v !== undefined && k !== "$typeName"),
  );
  return Object.keys(out).length > 0 ? (out as T) : undefined;
};

const multi = (list: User["emails"]): MultiValueRecord[] =>
  list.map((m) => ({
    value: m.value,
    valueLower: m.value.toLowerCase(),
    ...(m.type !== undefined ? { type: m.type } : {}),
    primary: m.primary,
    ...(m.display !== undefined ? { display: m.display } : {}),
  }));

/** proto User (already validated) → stored record. */
export function toRecord(
  user: User,
  meta: { id: string; tenantId: string; created: Date; lastModified: Date; version: number },
): UserRecord {
  const record: UserRecord = {
    _id: meta.id,
    tenantId: meta.tenantId,
    userName: user.userName,
    userNameLower: user.userName.toLowerCase(),
    externalIdKey: externalIdKey(meta.id, user.externalId),
    active: user.active,
    emails: multi(user.emails),
    phoneNumbers: multi(user.phoneNumbers),
    workingDays: user.workingDays
      .map((d) => WEEKDAY_NAMES[d - 1])
      .filter((d): d is string => d !== undefined),
    created: meta.created,
    lastModified: meta.lastModified,
    version: meta.version,
  };
  const optional = {
    externalId: user.externalId,
    displayName: user.displayName,
    nickName: user.nickName,
    profileUrl: user.profileUrl,
    title: user.title,
    userType: user.userType,
    preferredLanguage: user.preferredLanguage,
    locale: user.locale,
    timezone: user.timezone,
    name: user.name && clean({ ...user.name }),
    enterprise: user.enterprise && clean({ ...user.enterprise, managerDisplayName: undefined }),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (record as unknown as Record<string, unknown>)[key] = value;
  return record;
}

/** Stored record → proto User. */
export function fromRecord(r: UserRecord): User {
  const init: MessageInitShape<typeof UserSchema> = {
    id: r._id,
    tenantId: r.tenantId,
    userName: r.userName,
    externalId: r.externalId,
    name: r.name,
    displayName: r.displayName,
    nickName: r.nickName,
    profileUrl: r.profileUrl,
    title: r.title,
    userType: r.userType,
    preferredLanguage: r.preferredLanguage,
    locale: r.locale,
    timezone: r.timezone,
    active: r.active,
    emails: r.emails.map(({ valueLower: _, ...m }) => m),
    phoneNumbers: r.phoneNumbers.map(({ valueLower: _, ...m }) => m),
    enterprise: r.enterprise,
    workingDays: r.workingDays.map((d) => (WEEKDAY_NAMES.indexOf(d) + 1) as Weekday).filter((d) => d > 0),
    created: timestampFromDate(r.created),
    lastModified: timestampFromDate(r.lastModified),
    version: BigInt(r.version),
  };
  return create(UserSchema, init);
}
