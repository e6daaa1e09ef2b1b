import type { AttributeDef, ResourceTypeDef, SchemaDef } from "./schema.ts";
import { allSchemas, groupResourceType, userResourceType } from "./schema.ts";
import { MAX_RESULTS } from "./list.ts";
import { Urn } from "./urns.ts";
import type { Json } from "./json.ts";

/**
 * Discovery documents (RFC 7644 §4, RFC 7643 §5–§7), generated from the same schema definitions
 * that drive validation, filters and PATCH, so they describe exactly what is implemented.
 */
export function serviceProviderConfig(baseUrl: string, maxBodyBytes: number): Json {
  return {
    schemas: [Urn.ServiceProviderConfig],
    documentationUri: "https://moodpoll.example/docs/scim",
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "API token",
        description: `Bearer token issued by Moodpoll support for your organization. Requests up to ${maxBodyBytes} bytes.`,
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypeDocument(type: ResourceTypeDef, baseUrl: string): Json {
  return {
    schemas: [Urn.ResourceType],
    id: type.name,
    name: type.name,
    endpoint: type.endpoint,
    description: type.core.description,
    schema: type.core.id,
    schemaExtensions: type.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/${type.name}` },
  };
}

function attributeDocument(a: AttributeDef): Json {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description ?? "",
    required: a.required ?? false,
    ...(a.type === "string" || a.type === "reference" ? { caseExact: a.caseExact ?? false } : {}),
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    mutability: a.mutability ?? "readWrite",
    returned: a.returned ?? "default",
    uniqueness: a.uniqueness ?? "none",
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeDocument) } : {}),
  };
}

export function schemaDocument(schema: SchemaDef, baseUrl: string): Json {
  return {
    schemas: [Urn.Schema],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeDocument),
    meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

export const resourceTypes = [userResourceType, groupResourceType] as const;
export { allSchemas };
