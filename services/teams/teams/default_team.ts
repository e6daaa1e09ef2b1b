/**
 * Product rule 7, "a user is in the default team if and only if they are in no other team", held
 * as a derivation rather than as stored memberships: the default team's members are the users the
 * teams service knows (from user events) who belong to no live team of their tenant's own making.
 * Pure functions, so the rule has one statement and its tests need no database.
 */

/** The default team's members: every known user who is in no other live team. */
export function defaultTeamMembers(
  known: readonly { _id: string; display: string }[],
  inOtherTeam: ReadonlySet<string>,
): { userId: string; display: string }[] {
  return known.filter((u) => !inOtherTeam.has(u._id)).map((u) => ({ userId: u._id, display: u.display }));
}

/** Completes each user's teams: a user in no other team is in the default team. */
export function withDefaultTeam<T>(
  teamsByUser: Map<string, T[]>,
  defaultTeam: T | undefined,
): Map<string, T[]> {
  if (defaultTeam === undefined) return teamsByUser;
  for (const teams of teamsByUser.values()) if (teams.length === 0) teams.push(defaultTeam);
  return teamsByUser;
}
