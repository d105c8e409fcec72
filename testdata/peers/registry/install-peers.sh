#!/usr/bin/env bash
# Installs the real peers of the image-verification tests (see README.md beside this file):
#
#   - from Debian 12 (bookworm), with the system's apt: docker-registry (distribution 2.8.2, the
#     OCI registry), umoci (builds images without a Docker engine), apache2-utils (htpasswd, for
#     the registry's basic auth) and openssl (the token server's certificate);
#   - skopeo 1.18 from Debian 13 (trixie), the independent sigstore signer and verifier, unpacked
#     with its own glibc into a private folder, default /opt/vouch-peers/skopeo-1.18 (override with
#     VOUCH_PEERS_DIR), run through the wrapper <folder>/skopeo. Debian 12's skopeo 1.9.3 cannot
#     sign or verify sigstore signatures, and trixie's needs glibc 2.38, so it is not installed with
#     dpkg: apt is pointed at trixie with private state folders, the system's apt sources and dpkg
#     database stay untouched.
#
# Idempotent: installs only what is missing, and downloads skopeo only if the wrapper is missing or
# is not 1.18.x. `bash scripts/test.sh` runs it (as root, or through sudo). On its own, as root
# (CI does), or with sudo where there is sudo:
#
#   bash testdata/peers/registry/install-peers.sh           # as root
#   sudo bash testdata/peers/registry/install-peers.sh      # as a user with sudo
#   bash testdata/peers/registry/install-peers.sh --check   # any user: installs nothing, exits 0
#                                                           # if every peer is there, 1 if not
#
# Environment: VOUCH_PEERS_DIR (skopeo folder), VOUCH_DEBIAN_MIRROR (default
# http://deb.debian.org/debian), VOUCH_SKOPEO_SUITE (default trixie).
set -euo pipefail

check_only=false
case "${1:-}" in
  "") ;;
  --check) check_only=true ;;
  *)
    echo "usage: bash $0 [--check]" >&2
    exit 2
    ;;
esac

SKOPEO_SERIES=1.18
PEERS_DIR=${VOUCH_PEERS_DIR:-/opt/vouch-peers/skopeo-${SKOPEO_SERIES}}
MIRROR=${VOUCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${VOUCH_SKOPEO_SUITE:-trixie}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# skopeo and every shared library it loads (checked below with ld.so --list): gpgme needs assuan
# and gpg-error; libc6 brings the dynamic loader. Nothing else is needed for the docker:// and
# oci: transports and sigstore signing (containers-common's /etc files are replaced by the
# --policy and --registries.d flags the tests pass).
SKOPEO_PACKAGES=(skopeo libc6 libgpgme11t64 libassuan9 libgpg-error0 libsqlite3-0)
SYSTEM_PACKAGES=(docker-registry umoci apache2-utils openssl curl ca-certificates)

export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'install-peers.sh: error: %s\n' "$*" >&2
  exit 1
}
run() {
  printf '+ %s\n' "$*"
  "$@"
}
# "run this script as root…", completed for messages: through sudo only where there is sudo.
as_root_hint() {
  if command -v sudo >/dev/null; then
    echo ": sudo bash $0"
  else
    echo " (there is no sudo here: from a root shell, e.g. su -): bash $(readlink -f "$0")"
  fi
}
skopeo_version() {
  [ -x "$PEERS_DIR/skopeo" ] && "$PEERS_DIR/skopeo" --version 2>/dev/null
}
skopeo_ok() {
  skopeo_version | grep -q "^skopeo version ${SKOPEO_SERIES//./\\.}\."
}

start=$SECONDS

# --- Debian 12 packages, with the system's apt --------------------------------------------------
missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if $check_only; then
  if ((${#missing[@]} == 0)) && skopeo_ok; then
    say "peers installed: ${SYSTEM_PACKAGES[*]}; skopeo ${SKOPEO_SERIES} in $PEERS_DIR"
    exit 0
  fi
  ((${#missing[@]} == 0)) || say "missing Debian packages: ${missing[*]}"
  skopeo_ok || say "missing: skopeo ${SKOPEO_SERIES} in $PEERS_DIR"
  exit 1
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]}. Run this script as root$(as_root_hint)"
  fi
  say "installing Debian packages: ${missing[*]}"
  run apt-get update -q || die "apt-get update failed (are Debian's mirrors reachable?)"
  run apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
else
  say "already installed: ${SYSTEM_PACKAGES[*]}"
fi
for cmd in docker-registry umoci htpasswd openssl; do
  command -v "$cmd" >/dev/null || die "$cmd is not on PATH after installing ${SYSTEM_PACKAGES[*]}"
done

# --- skopeo 1.18 from trixie, into a private folder ---------------------------------------------
case "$(dpkg --print-architecture)" in
  amd64) triplet=x86_64-linux-gnu loader=ld-linux-x86-64.so.2 ;;
  arm64) triplet=aarch64-linux-gnu loader=ld-linux-aarch64.so.1 ;;
  *) die "unsupported architecture $(dpkg --print-architecture) (amd64 and arm64 only)" ;;
esac
arch=$(dpkg --print-architecture)

if skopeo_ok; then
  say "skopeo ${SKOPEO_SERIES} already installed in $PEERS_DIR"
else
  say "installing skopeo ${SKOPEO_SERIES} from Debian ${SUITE} into $PEERS_DIR"
  [ -r "$KEYRING" ] || die "$KEYRING is missing: apt-get install debian-archive-keyring"
  parent=$(dirname "$PEERS_DIR")
  mkdir -p "$parent" || die "cannot create $parent: set VOUCH_PEERS_DIR to a folder you can write, or run this script as root$(as_root_hint)"
  work=$(mktemp -d "$parent/.skopeo-install.XXXXXX") ||
    die "cannot write to $parent: set VOUCH_PEERS_DIR to a folder you can write, or run this script as root$(as_root_hint)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{sources,preferences,lists/partial,cache/archives/partial,debs,root}
  : >"$work/status"
  cat >"$work/sources/$SUITE.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Architectures: $arch
Signed-By: $KEYRING
EOF
  # Private sources, package lists, cache, dpkg status and pinning: nothing of the system's apt
  # state is read or written. Only the system's apt.conf.d (proxies, say) still applies.
  apt_private=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$work/sources"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=$work/preferences"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::State::status=$work/status"
    -o "Dir::Cache=$work/cache"
    -o "APT::Architecture=$arch"
    -o "APT::Architectures=$arch"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false"
    -o "APT::Sandbox::User=root"
  )
  [ "$(id -u)" = 0 ] || apt_private+=(-o "Debug::NoLocking=true")
  run apt-get -q "${apt_private[@]}" update ||
    die "apt-get update against $MIRROR $SUITE failed. Check that the mirror answers (curl -sI $MIRROR/dists/$SUITE/InRelease) or set VOUCH_DEBIAN_MIRROR to one that does"
  candidate=$(apt-cache "${apt_private[@]}" policy skopeo | awk '/Candidate:/ {print $2}')
  case "$candidate" in
    "${SKOPEO_SERIES}".*) ;;
    "" | "(none)") die "Debian $SUITE at $MIRROR has no skopeo package" ;;
    *) die "Debian $SUITE now has skopeo $candidate, not ${SKOPEO_SERIES}.x: update SKOPEO_SERIES in $0 and the README beside it, after checking the tests still pass" ;;
  esac
  (cd "$work/debs" && run apt-get -q "${apt_private[@]}" download "${SKOPEO_PACKAGES[@]}") ||
    die "apt-get download ${SKOPEO_PACKAGES[*]} from $MIRROR $SUITE failed"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root" || die "dpkg-deb -x $deb failed"
    # shellcheck disable=SC2016 # dpkg's format, not shell expansion
    dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$work/packages.txt"
  done
  libdir=$work/root/usr/lib/$triplet
  [ -x "$libdir/$loader" ] || die "the unpacked libc6 has no $libdir/$loader"
  [ -x "$work/root/usr/bin/skopeo" ] || die "the unpacked skopeo package has no usr/bin/skopeo"
  # Every library skopeo needs must come from the folder, not from the system.
  libs=$("$libdir/$loader" --library-path "$libdir" --list "$work/root/usr/bin/skopeo") ||
    die "the bundled loader cannot load skopeo: $libs"
  if grep -q "not found" <<<"$libs"; then
    die "skopeo needs libraries that are not bundled (add their packages to SKOPEO_PACKAGES):
$(grep "not found" <<<"$libs")"
  fi
  if grep -v -e "$work/root" -e linux-vdso <<<"$libs" | grep -q '=>'; then
    die "skopeo loads system libraries instead of bundled ones:
$(grep -v -e "$work/root" -e linux-vdso <<<"$libs")"
  fi
  # The wrapper finds its folder at run time, so the folder can be moved.
  cat >"$work/skopeo" <<EOF
#!/bin/sh
# skopeo from Debian $SUITE with its own glibc (installed by testdata/peers/registry/install-peers.sh).
d=\$(dirname "\$(readlink -f "\$0")")
exec "\$d/root/usr/lib/$triplet/$loader" --library-path "\$d/root/usr/lib/$triplet" "\$d/root/usr/bin/skopeo" "\$@"
EOF
  chmod 755 "$work/skopeo"
  rm -rf "$work/sources" "$work/preferences" "$work/lists" "$work/cache" "$work/debs" "$work/status"
  chmod 755 "$work"
  rm -rf "$PEERS_DIR"
  mv "$work" "$PEERS_DIR"
  trap - EXIT
  say "unpacked into $PEERS_DIR:"
  sed 's/^/    /' "$PEERS_DIR/packages.txt"
fi

version=$(skopeo_version) || die "$PEERS_DIR/skopeo --version failed"
grep -q "^skopeo version ${SKOPEO_SERIES//./\\.}\." <<<"$version" ||
  die "$PEERS_DIR/skopeo is '$version', not ${SKOPEO_SERIES}.x"
say "peers ready in $((SECONDS - start)) s:"
echo "    $PEERS_DIR/skopeo: $version"
echo "    docker-registry: $(dpkg-query -W -f='${Version}' docker-registry)"
echo "    umoci: $(umoci --version)"
echo "    htpasswd: apache2-utils $(dpkg-query -W -f='${Version}' apache2-utils)"
echo "    $(openssl version)"
