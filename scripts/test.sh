#!/usr/bin/env bash
# `npm test`: the harness's own tests, the catalogue drift check, then the negative-conformance matrix on the virtual lab.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup-host.sh
export PATH="/usr/local/bin:$PATH"
step() { printf '\n=== %s\n' "$*"; }

step "type check"
npx --no-install tsc --noEmit -p .

step "catalogue drift (suites/catalog.yaml vs the suites)"
node harness/cli/bin.js catalog --check

step "harness tests (vitest: core, inventory, allocator, transports, virtual lab, control plane, matrix)"
npx --no-install vitest run "$@"
