import type { FieldMap } from "../../../platform/mod.ts";

/** Domain attribute → stored field, for filters (the gateway sends domain paths). */
export const userFields: FieldMap = {
  id: { field: "_id" },
  userName: { field: "userNameLower", lowered: true },
  externalId: { field: "externalId" },
  "name.formatted": { field: "name.formatted" },
  "name.familyName": { field: "name.familyName" },
  "name.givenName": { field: "name.givenName" },
  "name.middleName": { field: "name.middleName" },
  "name.honorificPrefix": { field: "name.honorificPrefix" },
  "name.honorificSuffix": { field: "name.honorificSuffix" },
  displayName: { field: "displayName" },
  nickName: { field: "nickName" },
  profileUrl: { field: "profileUrl" },
  title: { field: "title" },
  userType: { field: "userType" },
  preferredLanguage: { field: "preferredLanguage" },
  locale: { field: "locale" },
  timezone: { field: "timezone" },
  active: { field: "active" },
  "emails.value": { field: "emails.valueLower", lowered: true },
  "emails.type": { field: "emails.type" },
  "emails.primary": { field: "emails.primary" },
  "emails.display": { field: "emails.display" },
  emails: { field: "emails", array: true },
  "phoneNumbers.value": { field: "phoneNumbers.value" },
  "phoneNumbers.type": { field: "phoneNumbers.type" },
  "phoneNumbers.primary": { field: "phoneNumbers.primary" },
  "phoneNumbers.display": { field: "phoneNumbers.display" },
  phoneNumbers: { field: "phoneNumbers", array: true },
  "enterprise.employeeNumber": { field: "enterprise.employeeNumber" },
  "enterprise.costCenter": { field: "enterprise.costCenter" },
  "enterprise.organization": { field: "enterprise.organization" },
  "enterprise.division": { field: "enterprise.division" },
  "enterprise.department": { field: "enterprise.department" },
  "enterprise.manager.value": { field: "enterprise.managerId" },
  workingDays: { field: "workingDays", array: true },
  "meta.created": { field: "created" },
  "meta.lastModified": { field: "lastModified" },
};

/** Fields of one element inside a value path (`emails[type eq "work"]`). */
const element: FieldMap = {
  value: { field: "valueLower", lowered: true },
  type: { field: "type" },
  primary: { field: "primary" },
  display: { field: "display" },
};
export const userElementFields: Record<string, FieldMap> = {
  emails: element,
  phoneNumbers: { ...element, value: { field: "value" } },
};
