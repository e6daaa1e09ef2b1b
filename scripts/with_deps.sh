#!/bin/sh
# Runs a TypeScript entry point under the project's pinned Node.js 24 (the `node` devDependency),
# installing dependencies first when node_modules is missing or older than package-lock.json.
# This is what lets `npm start` and `npm test` be the very first commands on a fresh clone,
# while the machine's own node may be an older version.
set -e
cd "$(dirname "$0")/.."
stamp=node_modules/.moodpoll-deps
want=$(cat package.json package-lock.json | sha256sum | cut -c1-64)
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "moodpoll: installing dependencies (npm ci), this takes about a minute the first time..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || {
    echo "moodpoll: 'npm ci' failed; check network access to the npm registry and retry." >&2
    exit 1
  }
  echo "$want" >"$stamp"
fi
exec node_modules/.bin/node "$@"
