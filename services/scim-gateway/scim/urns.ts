/** Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3) plus Moodpoll's own extensions. */
export const Urn = {
  User: "urn:ietf:params:scim:schemas:core:2.0:User",
  Group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  EnterpriseUser: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  MoodpollUser: "urn:moodpoll:params:scim:schemas:extension:2.0:User",
  MoodpollGroup: "urn:moodpoll:params:scim:schemas:extension:2.0:Group",
  ListResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  PatchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  SearchRequest: "urn:ietf:params:scim:api:messages:2.0:SearchRequest",
  Error: "urn:ietf:params:scim:api:messages:2.0:Error",
  ServiceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  ResourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  Schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;
