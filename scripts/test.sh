#!/usr/bin/env bash
# Runs every test of the workspace, installing first what the tests need: the README's test
# command, and exactly what `bash .ci/run test` runs.
#
#   bash scripts/test.sh                   # everything
#   bash scripts/test.sh -p vouch-keys     # arguments go on to `cargo test --workspace --locked`
#   bash scripts/test.sh --no-run          # build the tests, run none
#   VOUCH_TEST_INSTALL_ONLY=1 bash scripts/test.sh   # check and install, then stop before cargo
#
# Checks first, and says where to get them (they are not installed: they are the user's choice):
#   - Rust 1.88 or newer (cargo, rustc) from rustup; Debian 12's rustc 1.63 is too old;
#   - a C compiler (`cc`): aws-lc-sys and ring, under rustls, build C code (Debian: gcc or
#     build-essential);
#   - Node.js 20 or newer with npm, for the sigstore-js peer; Debian 12's nodejs 18 is too old.
#     The tests are run and pass on Node 20 (20.20.2). The peer's package.json declares no
#     engines; of the packages pinned in its package-lock.json, most accept Node 20, but 19 (the
#     @sigstore ones, sigstore, tuf-js, @npmcli/*, cacache, ...) declare node ^22.22.2 || ^24.15.0
#     || >=26.0.0, and npm warns EBADENGINE for them. After `npm ci` the script prints which
#     declarations the running node does not meet (a package.json engines field it does not meet
#     fails the run).
# Then installs, only what is missing, as root directly or through sudo as another user (without
# either it stops and prints the commands to run as root):
#   - Debian packages: openssl (the interop peer), util-linux (unshare, for the no-network tests),
#     zstd, gzip and tar (archives of image layouts),
#     time (`cargo xtask bench`), ca-certificates: the list of `.ci/run packages`;
#   - the image peers, testdata/peers/registry/install-peers.sh: docker-registry, umoci, htpasswd
#     (Debian 12) and skopeo 1.18 unpacked from Debian 13 into /opt/vouch-peers
#     (VOUCH_PEERS_DIR, VOUCH_DEBIAN_MIRROR and VOUCH_SKOPEO_SUITE are passed on, through sudo too);
#   - the sigstore-js peer's node_modules: `npm ci` (pinned by package-lock.json) when
#     node_modules is missing or older than package-lock.json.
# Finally: `cargo test --workspace --locked "$@"`. Every command is printed before it runs; a
# second run installs nothing.
#
# Environment: VOUCH_TEST_INSTALL_ONLY=1 checks and installs, then exits 0 without running cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
# The same list as `.ci/run packages`.
PACKAGES=(openssl curl time ca-certificates util-linux zstd gzip tar)
PEERS=testdata/peers/registry/install-peers.sh
JS=testdata/peers/sigstore-js
MIN_RUST_MINOR=88
MIN_NODE_MAJOR=20
TESTED_NODE=20.20.2

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'scripts/test.sh: error: %s\n' "$*" >&2
  exit 1
}
run() {
  printf '+ %s\n' "$*"
  "$@"
}

# --- what cannot be installed here: checked, all at once ------------------------------------------
problems=()
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  problems+=("cargo/rustc not found: install Rust 1.${MIN_RUST_MINOR} or newer with rustup: https://rustup.rs (Debian 12's rustc 1.63 is too old)")
else
  rustc_version=$(rustc --version)
  rust_minor=$(sed -n 's/^rustc 1\.\([0-9]*\)\..*/\1/p' <<<"$rustc_version")
  if [ -z "$rust_minor" ] || [ "$rust_minor" -lt "$MIN_RUST_MINOR" ]; then
    problems+=("$rustc_version ($(command -v rustc)) is too old: vouch needs Rust 1.${MIN_RUST_MINOR} or newer; install with rustup: https://rustup.rs (or \`rustup update\`), and put ~/.cargo/bin first on PATH")
  fi
fi
if ! command -v cc >/dev/null; then
  problems+=("no C compiler (cc): aws-lc-sys and ring build C code; install one, on Debian: apt-get install gcc (or build-essential)")
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  problems+=("node and npm not found: the sigstore-js peer needs Node.js ${MIN_NODE_MAJOR} or newer with npm (tested: ${TESTED_NODE}). Debian 12's nodejs is 18, too old: use NodeSource's packages (https://github.com/nodesource/distributions) or https://nodejs.org; on Debian 13: apt-get install nodejs npm")
else
  node_version=$(node --version)
  node_major=$(sed -n 's/^v\([0-9]*\)\..*/\1/p' <<<"$node_version")
  if [ -z "$node_major" ] || [ "$node_major" -lt "$MIN_NODE_MAJOR" ]; then
    problems+=("node $node_version is too old: the sigstore-js peer needs Node.js ${MIN_NODE_MAJOR} or newer (tested: ${TESTED_NODE}; its packages declare node >=20, @sigstore/* ^22.22.2 || ^24.15.0 || >=26). Debian 12's nodejs is 18: use NodeSource's packages (https://github.com/nodesource/distributions) or https://nodejs.org")
  fi
fi
if ((${#problems[@]})); then
  printf 'scripts/test.sh: error: %s\n' "${problems[@]}" >&2
  exit 1
fi
run rustc --version
run cargo --version
printf '+ cc --version\n'
cc --version | sed -n 1p
run node --version
run npm --version

# --- Debian packages and the image peers: as root, or through sudo --------------------------------
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  # sudo drops the environment: pass on the peers' settings.
  as_root=(sudo env)
  for v in VOUCH_PEERS_DIR VOUCH_DEBIAN_MIRROR VOUCH_SKOPEO_SUITE; do
    if [ -n "${!v:-}" ]; then as_root+=("$v=${!v}"); fi
  done
else
  as_root=(none)
fi

missing=()
if ! command -v dpkg-query >/dev/null; then
  die "dpkg-query not found: the tests' peers come from Debian packages (Debian 12 or later). Install the equivalents of ${PACKAGES[*]} and of $PEERS by hand, then run cargo test --workspace --locked"
fi
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
peers_ready=true
if [ "$(id -u)" != 0 ]; then
  # Read-only check as this user: sudo is asked for only when something is missing.
  run bash "$PEERS" --check || peers_ready=false
fi

if [ "${as_root[*]}" = none ] && { ((${#missing[@]})) || ! $peers_ready; }; then
  {
    echo "scripts/test.sh: error: installing what the tests need takes root, and there is no sudo. As root (e.g. su -), run:"
    echo
    if ((${#missing[@]})); then
      echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    if ! $peers_ready; then
      peers_env=""
      for v in VOUCH_PEERS_DIR VOUCH_DEBIAN_MIRROR VOUCH_SKOPEO_SUITE; do
        if [ -n "${!v:-}" ]; then peers_env+="$v=${!v} "; fi
      done
      echo "    ${peers_env}bash $PWD/$PEERS"
    fi
    echo
    echo "then run bash scripts/test.sh again as this user."
  } >&2
  exit 1
fi

if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  run "${as_root[@]}" apt-get update -q
  run "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "Debian packages already installed: ${PACKAGES[*]}"
fi
if [ "$(id -u)" = 0 ] || ! $peers_ready; then
  # As root: installs what is missing, else only checks and prints the versions (well under 1 s).
  run "${as_root[@]}" bash "$PEERS"
fi

# --- the sigstore-js peer -----------------------------------------------------------------------
if [ ! -d "$JS/node_modules" ] || [ "$JS/package-lock.json" -nt "$JS/node_modules" ]; then
  say "installing the sigstore-js peer (npm ci, pinned by $JS/package-lock.json)"
  run npm ci --prefix "$JS" --no-audit --no-fund
else
  say "sigstore-js peer already installed ($JS/node_modules is newer than package-lock.json)"
fi
# What the peer and its packages declare about Node.js, against the node that runs them. Only the
# project's own package.json can fail the run; the packages' declarations are reported: the tests
# are run on Node ${TESTED_NODE}, which some @sigstore packages do not declare.
say "Node.js $(node --version) against the engines declared in $JS"
node - "$PWD/$JS" <<'EOF'
const path = require("path");
const dir = process.argv[2];
let satisfies;
try {
  satisfies = require(path.join(dir, "node_modules", "semver")).satisfies;
} catch {
  console.log("    (no semver package in node_modules: declarations not checked)");
  process.exit(0);
}
const own = require(path.join(dir, "package.json")).engines?.node;
if (own === undefined) {
  console.log("    package.json: no engines declared");
} else if (satisfies(process.version, own)) {
  console.log(`    package.json: node ${own}: met`);
} else {
  console.error(`scripts/test.sh: error: ${dir}/package.json needs node ${own}; this is ${process.version}`);
  process.exit(1);
}
const unmet = new Map();
let declared = 0;
for (const [key, pkg] of Object.entries(require(path.join(dir, "package-lock.json")).packages ?? {})) {
  const range = pkg.engines?.node;
  if (key === "" || typeof range !== "string") continue;
  declared += 1;
  if (!satisfies(process.version, range)) {
    const name = key.replace(/^.*node_modules\//, "");
    unmet.set(range, [...(unmet.get(range) ?? []), name]);
  }
}
if (unmet.size === 0) {
  console.log(`    package-lock.json: all ${declared} engine declarations met`);
} else {
  const count = [...unmet.values()].reduce((n, names) => n + names.length, 0);
  console.log(`    package-lock.json: ${count} of ${declared} packages declare a node that is not this one (npm warns EBADENGINE; the tests are run and pass on Node 20):`);
  for (const [range, names] of unmet) console.log(`      node ${range}: ${names.join(", ")}`);
}
EOF

if [ "${VOUCH_TEST_INSTALL_ONLY:-}" = 1 ]; then
  say "checked and installed; VOUCH_TEST_INSTALL_ONLY=1: not running cargo test"
  exit 0
fi

# --- the tests ----------------------------------------------------------------------------------
# Unit, integration (openssl interop, Sigstore conformance, sigstore-js, the real registry with
# skopeo, the no-network run) and doc tests: without --all-targets, cargo test runs doctests.
say "cargo test"
run cargo test --workspace --locked "$@"
