import type { User } from "../../../gen/moodpoll/identity/v1/identity_pb.ts";
import { errors } from "../../../platform/mod.ts";

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * True for an IANA time zone name (RFC 6557) such as "Europe/Paris" or "UTC". Offsets such as
 * "+01:00", which Intl also accepts, are not zone names and are refused.
 */
export function isIanaTimeZone(name: string): boolean {
  if (!IANA_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Domain checks on a user's attributes, shared by create and replace. */
export function validateUser(user: User): void {
  if (!user.userName.trim()) throw errors.invalidValue('"userName" is required');
  if (user.userName.length > 256) throw errors.invalidValue('"userName" is longer than 256 characters');
  if (user.timezone !== undefined && !isIanaTimeZone(user.timezone)) {
    throw errors.invalidValue(
      `"timezone" must be an IANA time zone name such as "Europe/Paris" (got "${user.timezone}")`,
    );
  }
  if (user.workingDays.some((d) => d < 1 || d > 7))
    throw errors.invalidValue('"workingDays" has an unknown day');
}

const emailSet = (user: Pick<User, "emails">) =>
  [...new Set(user.emails.map((e) => e.value.toLowerCase()))].sort().join("\n");

/**
 * Product rule 3: userName and email addresses cannot be changed through SCIM (compared
 * case-insensitively; resending the same values is fine). Returns the incoming user with omitted
 * userName/emails filled from the stored one.
 */
export function enforceImmutables(stored: User, incoming: User): User {
  const userName = incoming.userName || stored.userName;
  if (userName.toLowerCase() !== stored.userName.toLowerCase()) {
    throw errors.mutability(`"userName" cannot be changed (it is "${stored.userName}")`);
  }
  const emails = incoming.emails.length > 0 ? incoming.emails : stored.emails;
  if (emailSet({ emails }) !== emailSet(stored)) {
    throw errors.mutability('"emails" cannot be changed: email addresses are managed by Moodpoll');
  }
  incoming.userName = userName;
  incoming.emails = emails;
  return incoming;
}
