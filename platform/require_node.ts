/**
 * Fails fast with a clear message on a Node.js older than 24 (the system node on these machines is
 * 20; `npm start` / `npm test` use the pinned Node 24 from node_modules). Import this first.
 */
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `moodpoll: Node.js >= 24 is required, this is ${process.version}. Run through npm (npm start, npm test), ` +
      "which uses the pinned Node 24 from node_modules/.bin/node.",
  );
  process.exit(1);
}
