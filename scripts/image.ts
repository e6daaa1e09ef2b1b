// `npm run image`: builds the service image from deploy/Containerfile (tagged with the package
// version). With Podman and no registry access (this project's machines) the Node 24 base is
// assembled from the machine's own binaries; `--official` builds on the official image instead.
import "../platform/require_node.ts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { buildImage } from "../deploy/local/image.ts";

const run = promisify(execFile);
const has = (command: string) =>
  run("sh", ["-c", `command -v ${command}`]).then(
    () => true,
    () => false,
  );

const cli = (await has("podman")) ? "podman" : (await has("docker")) ? "docker" : undefined;
if (!cli) {
  console.error("moodpoll: neither podman nor docker is installed");
  process.exit(1);
}
try {
  const tag = await buildImage({
    cli,
    localBase: cli === "podman" && !process.argv.includes("--official"),
    log: (line) => console.error(line),
  });
  console.log(tag);
} catch (error) {
  console.error(`moodpoll: the image could not be built: ${(error as Error).message}`);
  process.exit(1);
}
