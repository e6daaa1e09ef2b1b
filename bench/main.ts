// `npm run bench -- <users|teams> [--users N] [--concurrency C] [--members N]`: benchmarks against a
// fresh local stack (embedded FerretDB on SQLite, NATS, the three services). Figures go to stdout
// as JSON; docs/PERFORMANCE.md records the measured ones.
import "../platform/require_node.ts";
import { parseArgs } from "node:util";
import { benchUsers } from "./users.ts";
import { benchTeams } from "./teams.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    users: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "32" },
    members: { type: "string", default: "10000" },
  },
});
const which = positionals[0];
const started = new Date().toISOString();
let results: Record<string, unknown>;
if (which === "users") {
  results = await benchUsers({ users: Number(values.users), concurrency: Number(values.concurrency) });
} else if (which === "teams") {
  results = await benchTeams({ members: Number(values.members), concurrency: Number(values.concurrency) });
} else {
  console.error(
    "Usage: npm run bench -- users [--users 5000] [--concurrency 32]\n       npm run bench -- teams [--members 10000]",
  );
  process.exit(2);
}
console.log(JSON.stringify({ benchmark: which, started, node: process.version, ...results }, null, 2));
process.exit(0);
