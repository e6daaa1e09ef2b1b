import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Weekday } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import {
  type MultiValue,
  type MultiValueSchema,
  type User,
  type UserSchema,
} from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { ScimError, ScimType } from "./error.ts";
import {
  isObject,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  pick,
  resourceBody,
  type Json,
} from "./json.ts";
import { WEEKDAYS } from "./schema.ts";
import { Urn } from "./urns.ts";

export type UserInit = MessageInitShape<typeof UserSchema>;

/** A team the user belongs to, as the User `groups` attribute shows it. */
export interface UserGroupRef {
  id: string;
  displayName: string;
}

const KNOWN_SCHEMAS = [Urn.User, Urn.EnterpriseUser, Urn.MoodpollUser];

const invalidValue = (detail: string) => ScimError.badRequest(ScimType.InvalidValue, detail);

function multiValues(body: Json, name: string): MessageInitShape<typeof MultiValueSchema>[] {
  const list = optionalArray(body, name) ?? [];
  return list.map((raw, i) => {
    const path = `${name}[${i}]`;
    if (!isObject(raw)) throw invalidValue(`"${path}" must be an object with a "value"`);
    const value = optionalString(raw, "value", `${path}.value`);
    if (!value) throw invalidValue(`"${path}.value" is required`);
    return {
      value,
      type: optionalString(raw, "type", `${path}.type`),
      primary: optionalBoolean(raw, "primary", `${path}.primary`) ?? false,
      display: optionalString(raw, "display", `${path}.display`),
    };
  });
}

function weekdays(ext: Json | undefined): Weekday[] {
  const list = ext ? optionalArray(ext, "workingDays", `${Urn.MoodpollUser}:workingDays`) : undefined;
  const days = new Set<Weekday>();
  for (const day of list ?? []) {
    const name = typeof day === "string" ? day.toUpperCase() : undefined;
    const index = name ? WEEKDAYS.indexOf(name as (typeof WEEKDAYS)[number]) : -1;
    if (index === -1) {
      throw invalidValue(
        `"workingDays" values must be among ${WEEKDAYS.join(", ")} (got ${JSON.stringify(day)})`,
      );
    }
    days.add((index + 1) as Weekday);
  }
  return [...days].sort();
}

/**
 * Reads a User from a POST/PUT body (or a patched resource), checking every attribute's type.
 * Read-only attributes (id, meta, groups) are ignored; `password` is accepted and discarded.
 * Domain rules (timezone names, userName/email mutability) are checked by the identity service.
 */
export function parseUserResource(input: unknown): UserInit {
  const body = resourceBody(input, KNOWN_SCHEMAS, Urn.User);
  const name = optionalObject(body, "name");
  const enterprise = optionalObject(body, Urn.EnterpriseUser);
  const manager = enterprise ? pick(enterprise, "manager") : undefined;
  const moodpoll = optionalObject(body, Urn.MoodpollUser);
  return {
    userName: optionalString(body, "userName") ?? "",
    externalId: optionalString(body, "externalId"),
    name: name && {
      formatted: optionalString(name, "formatted", "name.formatted"),
      familyName: optionalString(name, "familyName", "name.familyName"),
      givenName: optionalString(name, "givenName", "name.givenName"),
      middleName: optionalString(name, "middleName", "name.middleName"),
      honorificPrefix: optionalString(name, "honorificPrefix", "name.honorificPrefix"),
      honorificSuffix: optionalString(name, "honorificSuffix", "name.honorificSuffix"),
    },
    displayName: optionalString(body, "displayName"),
    nickName: optionalString(body, "nickName"),
    profileUrl: optionalString(body, "profileUrl"),
    title: optionalString(body, "title"),
    userType: optionalString(body, "userType"),
    preferredLanguage: optionalString(body, "preferredLanguage"),
    locale: optionalString(body, "locale"),
    timezone: optionalString(body, "timezone"),
    active: optionalBoolean(body, "active") ?? true,
    emails: multiValues(body, "emails"),
    phoneNumbers: multiValues(body, "phoneNumbers"),
    enterprise: enterprise && {
      employeeNumber: optionalString(enterprise, "employeeNumber"),
      costCenter: optionalString(enterprise, "costCenter"),
      organization: optionalString(enterprise, "organization"),
      division: optionalString(enterprise, "division"),
      department: optionalString(enterprise, "department"),
      // Entra and older clients send the manager as a bare id string.
      managerId:
        typeof manager === "string"
          ? manager
          : isObject(manager)
            ? optionalString(manager, "value")
            : undefined,
    },
    workingDays: weekdays(moodpoll),
  };
}

const defined = (obj: Json): Json =>
  Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));

function renderMulti(list: readonly MultiValue[]): Json[] | undefined {
  if (list.length === 0) return undefined;
  return list.map((m) =>
    defined({ value: m.value, type: m.type, primary: m.primary || undefined, display: m.display }),
  );
}

/** The ETag of a resource version (weak: the representation may vary with attributes). */
export function etagOf(version: bigint | number): string {
  return `W/"${version}"`;
}

/** Renders a User as SCIM JSON (RFC 7643 §4.1), with the Moodpoll extension always present. */
export function renderUser(user: User, groups: readonly UserGroupRef[], baseUrl: string): Json {
  const e = user.enterprise;
  const enterprise =
    e &&
    defined({
      employeeNumber: e.employeeNumber,
      costCenter: e.costCenter,
      organization: e.organization,
      division: e.division,
      department: e.department,
      manager: e.managerId
        ? defined({
            value: e.managerId,
            $ref: `${baseUrl}/Users/${e.managerId}`,
            displayName: e.managerDisplayName,
          })
        : undefined,
    });
  const hasEnterprise = enterprise !== undefined && Object.keys(enterprise).length > 0;
  const name = user.name && defined({ ...user.name, $typeName: undefined });
  return defined({
    schemas: [Urn.User, ...(hasEnterprise ? [Urn.EnterpriseUser] : []), Urn.MoodpollUser],
    id: user.id,
    externalId: user.externalId,
    userName: user.userName,
    name: name && Object.keys(name).length > 0 ? name : undefined,
    displayName: user.displayName,
    nickName: user.nickName,
    profileUrl: user.profileUrl,
    title: user.title,
    userType: user.userType,
    preferredLanguage: user.preferredLanguage,
    locale: user.locale,
    timezone: user.timezone,
    active: user.active,
    emails: renderMulti(user.emails),
    phoneNumbers: renderMulti(user.phoneNumbers),
    groups: groups.map((g) => ({
      value: g.id,
      display: g.displayName,
      $ref: `${baseUrl}/Groups/${g.id}`,
      type: "direct",
    })),
    ...(hasEnterprise ? { [Urn.EnterpriseUser]: enterprise } : {}),
    [Urn.MoodpollUser]: { workingDays: user.workingDays.map((d) => WEEKDAYS[d - 1]).filter(Boolean) },
    meta: {
      resourceType: "User",
      created: user.created ? timestampDate(user.created).toISOString() : undefined,
      lastModified: user.lastModified ? timestampDate(user.lastModified).toISOString() : undefined,
      location: `${baseUrl}/Users/${user.id}`,
      version: etagOf(user.version),
    },
  });
}
