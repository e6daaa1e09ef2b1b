import { Urn } from "./urns.ts";

/** An attribute definition as RFC 7643 §7 describes it; drives validation, filters and /Schemas. */
export interface AttributeDef {
  readonly name: string;
  readonly type: "string" | "boolean" | "decimal" | "integer" | "dateTime" | "reference" | "complex";
  readonly multiValued?: boolean;
  readonly required?: boolean;
  readonly caseExact?: boolean;
  readonly mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  readonly returned?: "always" | "never" | "default" | "request";
  readonly uniqueness?: "none" | "server" | "global";
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDef[];
  readonly description?: string;
  /** Whether the gateway accepts this attribute in a filter (it has a store field behind it). */
  readonly filterable?: boolean;
}

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDef[];
}

const str = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: "string",
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  filterable: true,
  ...extra,
});

const multi = (name: string, types: readonly string[], extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: "complex",
  multiValued: true,
  mutability: "readWrite",
  returned: "default",
  filterable: true,
  subAttributes: [
    str("value"),
    str("display"),
    str("type", { canonicalValues: types }),
    { name: "primary", type: "boolean", mutability: "readWrite", returned: "default", filterable: true },
  ],
  ...extra,
});

const meta: AttributeDef = {
  name: "meta",
  type: "complex",
  mutability: "readOnly",
  returned: "default",
  filterable: true,
  subAttributes: [
    str("resourceType", { mutability: "readOnly", caseExact: true, filterable: false }),
    { name: "created", type: "dateTime", mutability: "readOnly", returned: "default", filterable: true },
    { name: "lastModified", type: "dateTime", mutability: "readOnly", returned: "default", filterable: true },
    str("location", { mutability: "readOnly", caseExact: true, filterable: false }),
    str("version", { mutability: "readOnly", caseExact: true, filterable: false }),
  ],
};

/** Attributes every resource has (RFC 7643 §3.1). */
export const commonAttributes: readonly AttributeDef[] = [
  str("id", { mutability: "readOnly", returned: "always", caseExact: true, uniqueness: "server" }),
  str("externalId", { caseExact: true }),
  meta,
];

export const WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];

/** The core User schema as Moodpoll implements it (RFC 7643 §4.1). */
export const userSchema: SchemaDef = {
  id: Urn.User,
  name: "User",
  description: "User Account",
  attributes: [
    str("userName", {
      required: true,
      uniqueness: "server",
      mutability: "immutable",
      description:
        "Unique per tenant, compared case-insensitively. Cannot be changed once set (Moodpoll rule).",
    }),
    {
      name: "name",
      type: "complex",
      mutability: "readWrite",
      returned: "default",
      filterable: true,
      subAttributes: [
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
      ].map((n) => str(n)),
    },
    str("displayName"),
    str("nickName"),
    str("profileUrl", { type: "reference", referenceTypes: ["external"] }),
    str("title"),
    str("userType"),
    str("preferredLanguage"),
    str("locale"),
    str("timezone", { description: "An IANA time zone name (RFC 6557), e.g. Europe/Paris." }),
    { name: "active", type: "boolean", mutability: "readWrite", returned: "default", filterable: true },
    {
      name: "password",
      type: "string",
      mutability: "writeOnly",
      returned: "never",
      filterable: false,
      description: "Accepted and discarded: Moodpoll users sign in through the identity provider.",
    },
    multi("emails", ["work", "home", "other"], {
      mutability: "immutable",
      description: "Cannot be changed once set (Moodpoll rule); resending the same addresses is fine.",
    }),
    multi("phoneNumbers", ["work", "home", "mobile", "fax", "pager", "other"]),
    {
      name: "groups",
      type: "complex",
      multiValued: true,
      mutability: "readOnly",
      returned: "default",
      filterable: false,
      description: "The user's teams, maintained through /Groups.",
      subAttributes: [
        str("value", { mutability: "readOnly", filterable: false }),
        str("$ref", { type: "reference", mutability: "readOnly", filterable: false }),
        str("display", { mutability: "readOnly", filterable: false }),
        str("type", { mutability: "readOnly", canonicalValues: ["direct"], filterable: false }),
      ],
    },
  ],
};

/** RFC 7643 §4.3 Enterprise User extension. */
export const enterpriseUserSchema: SchemaDef = {
  id: Urn.EnterpriseUser,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    str("employeeNumber"),
    str("costCenter"),
    str("organization"),
    str("division"),
    str("department"),
    {
      name: "manager",
      type: "complex",
      mutability: "readWrite",
      returned: "default",
      filterable: true,
      subAttributes: [
        str("value"),
        str("$ref", { type: "reference", filterable: false }),
        str("displayName", { mutability: "readOnly" }),
      ],
    },
  ],
};

/** Moodpoll's User extension: the days the user receives mood polls. */
export const moodpollUserSchema: SchemaDef = {
  id: Urn.MoodpollUser,
  name: "MoodpollUser",
  description: "Moodpoll user settings",
  attributes: [
    {
      name: "workingDays",
      type: "string",
      multiValued: true,
      caseExact: true,
      mutability: "readWrite",
      returned: "default",
      canonicalValues: WEEKDAYS,
      filterable: true,
      description: "Days (MON…SUN) on which the user receives polls. Empty for new users.",
    },
  ],
};

/** The core Group schema (RFC 7643 §4.2). */
export const groupSchema: SchemaDef = {
  id: Urn.Group,
  name: "Group",
  description: "Group (a Moodpoll team)",
  attributes: [
    str("displayName", {
      required: true,
      uniqueness: "server",
      description: "Unique per tenant, case-insensitively.",
    }),
    {
      name: "members",
      type: "complex",
      multiValued: true,
      mutability: "readWrite",
      returned: "default",
      filterable: true,
      subAttributes: [
        str("value", { caseExact: true, mutability: "immutable" }),
        str("display", { mutability: "readOnly", filterable: false }),
        str("$ref", { type: "reference", mutability: "immutable", filterable: false }),
        str("type", { mutability: "immutable", canonicalValues: ["User"], filterable: false }),
      ],
    },
  ],
};

/** Moodpoll's Group extension: marks the tenant's default team. */
export const moodpollGroupSchema: SchemaDef = {
  id: Urn.MoodpollGroup,
  name: "MoodpollGroup",
  description: "Moodpoll team settings",
  attributes: [
    {
      name: "isDefault",
      type: "boolean",
      mutability: "readOnly",
      returned: "default",
      filterable: false,
      description: "True for the tenant's default team, which cannot be deleted.",
    },
  ],
};

/** A resource type: its core schema and extensions (RFC 7643 §6). */
export interface ResourceTypeDef {
  readonly name: "User" | "Group";
  readonly endpoint: string;
  readonly core: SchemaDef;
  readonly extensions: readonly SchemaDef[];
}

export const userResourceType: ResourceTypeDef = {
  name: "User",
  endpoint: "/Users",
  core: userSchema,
  extensions: [enterpriseUserSchema, moodpollUserSchema],
};

export const groupResourceType: ResourceTypeDef = {
  name: "Group",
  endpoint: "/Groups",
  core: groupSchema,
  extensions: [moodpollGroupSchema],
};

export const allSchemas: readonly SchemaDef[] = [
  userSchema,
  enterpriseUserSchema,
  moodpollUserSchema,
  groupSchema,
  moodpollGroupSchema,
];
