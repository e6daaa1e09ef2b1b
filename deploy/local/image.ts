import { execFile } from "node:child_process";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..", "..");

/** The image `deploy/Containerfile` builds, tagged with the package version. */
export async function imageName(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
  return `localhost/moodpoll-provisioning:${pkg.version}`;
}

/**
 * A stand-in for the official `node:24-bookworm-slim` base, assembled from what this machine has,
 * for machines that cannot pull images (ENVIRONMENT.md): the project's pinned Node.js 24 binary
 * with the shared libraries it links, npm, busybox for the `RUN` steps' shell, and the machine's CA
 * bundle (so `npm ci` in the build trusts what the host trusts). Imported with `podman import`.
 */
export async function assembleNodeBase(cli: string, tag: string, log: (line: string) => void): Promise<void> {
  try {
    await run(cli, ["image", "exists", tag]);
    return;
  } catch {
    // not there yet
  }
  log(`moodpoll: assembling the base image ${tag} from this machine's Node.js 24...`);
  const node = join(ROOT, "node_modules", "node", "bin", "node");
  const busybox = (await run("sh", ["-c", "command -v busybox"]).catch(() => ({ stdout: "" }))).stdout.trim();
  if (!busybox)
    throw new Error("busybox is needed for the base image's shell (apt-get install busybox-static)");
  const npm = dirname(dirname((await run("sh", ["-c", 'readlink -f "$(command -v npm)"'])).stdout.trim()));
  const root = await mkdtemp(join(tmpdir(), "moodpoll-node-base-"));
  try {
    for (const dir of [
      "usr/local/bin",
      "usr/local/lib/node_modules",
      "usr/bin",
      "bin",
      "etc/ssl/certs",
      "tmp",
    ])
      await mkdir(join(root, dir), { recursive: true });
    await copyFile(node, join(root, "usr/local/bin/node"));
    await chmod(join(root, "usr/local/bin/node"), 0o755);
    const libraries = (await run("ldd", [node])).stdout.match(/\/lib[^\s]*/g) ?? [];
    for (const library of libraries) {
      await mkdir(join(root, dirname(library)), { recursive: true });
      await copyFile(library, join(root, library));
    }
    await copyFile(busybox, join(root, "bin/busybox"));
    await chmod(join(root, "bin/busybox"), 0o755);
    for (const applet of ["sh", "ls", "cat", "env", "mkdir", "rm", "cp", "mv", "chmod", "ln", "sleep"])
      await symlink("busybox", join(root, "bin", applet));
    await symlink("../../bin/env", join(root, "usr/bin/env"));
    await cp(npm, join(root, "usr/local/lib/node_modules/npm"), { recursive: true });
    await writeFile(
      join(root, "usr/local/bin/npm"),
      '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
      { mode: 0o755 },
    );
    await copyFile("/etc/ssl/certs/ca-certificates.crt", join(root, "etc/ssl/certs/ca-certificates.crt"));
    await writeFile(
      join(root, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nnode:x:10001:10001::/tmp:/bin/sh\n",
    );
    await writeFile(join(root, "etc/group"), "root:x:0:\nnode:x:10001:\n");
    await chmod(join(root, "tmp"), 0o1777);
    const tar = `${root}.tar`;
    await run("tar", ["-C", root, "-cf", tar, "."]);
    await run(cli, [
      "import",
      "--change",
      "ENV PATH=/usr/local/bin:/usr/bin:/bin",
      "--change",
      "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
      "--change",
      'CMD ["node"]',
      tar,
      tag,
    ]);
    await rm(tar, { force: true });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Builds the service image from deploy/Containerfile. With Podman on a machine without registry
 * access the base is assembled locally ({@link assembleNodeBase}); elsewhere the Containerfile's
 * own base (the official Node 24 image) is pulled as usual.
 */
export async function buildImage(options: {
  cli: "podman" | "docker";
  localBase: boolean;
  log: (line: string) => void;
}): Promise<string> {
  const tag = await imageName();
  const args = ["build", "-f", join(ROOT, "deploy", "Containerfile"), "-t", tag];
  if (options.localBase) {
    const base = `localhost/moodpoll-node-base:${process.versions.node}`;
    await assembleNodeBase(options.cli, base, options.log);
    args.push("--build-arg", `NODE_IMAGE=${base}`);
  }
  options.log(`moodpoll: building ${tag} from deploy/Containerfile...`);
  await run(options.cli, [...args, ROOT], { maxBuffer: 64 << 20 });
  return tag;
}
