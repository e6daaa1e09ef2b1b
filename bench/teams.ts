export async function benchTeams(_options: {
  members: number;
  concurrency: number;
}): Promise<Record<string, unknown>> {
  return Promise.reject(new Error("teams benchmark: see bench/teams.ts"));
}
