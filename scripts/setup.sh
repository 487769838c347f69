#!/usr/bin/env bash
# Installs what mirrorids needs to build and test, if missing. Idempotent.
#   - Hyperscan (Debian libhyperscan-dev on x86-64; the API-compatible
#     libvectorscan-dev on ARM/Graviton), pkg-config, a C toolchain
#   - the runtime libraries of the reference Suricata in ../shared/reference
#     (the differential test runs it), when that folder is there
#   - a Rust toolchain (checked; installed with rustup if absent)
#   - with --lint (the test suite), also the deployment linters (see
#     scripts/setup-lint.sh) and the fleet test's kernel tools: iproute2,
#     nftables, tcpreplay, ipvsadm (tests/fleet_netns.rs), and the sink
#     tests' receivers: rsyslog with its GnuTLS driver rsyslog-gnutls
#     (tests/sink_syslog*.rs), redis-server (tests/sink_redis.rs)
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q " ok installed$"; }  # "hold ok installed" too

arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$arch" in
  amd64|x86_64) hs_pkg=libhyperscan-dev ;;
  *) hs_pkg=libvectorscan-dev ;;
esac
if ! have_pkg libhyperscan-dev && ! have_pkg libvectorscan-dev; then need_pkgs+=("$hs_pkg"); fi
for p in pkg-config build-essential ca-certificates curl python3-venv; do
  have_pkg "$p" || need_pkgs+=("$p")
done
if [ "${1:-}" = "--lint" ]; then
  for p in iproute2 nftables tcpreplay ipvsadm rsyslog rsyslog-gnutls redis-server; do
    have_pkg "$p" || need_pkgs+=("$p")
  done
fi
ref=../shared/reference/suricata-8.0.6
if [ -f "$ref/RUNTIME-PACKAGES" ] && ! "$ref/bin/suricata" -V >/dev/null 2>&1; then
  for p in $(cat "$ref/RUNTIME-PACKAGES"); do
    have_pkg "$p" || need_pkgs+=("$p")
  done
fi

if ((${#need_pkgs[@]})); then
  echo "setup: installing ${need_pkgs[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing Rust with rustup" >&2
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy >&2
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
if { ! cargo fmt --version || ! cargo clippy --version; } >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >&2
fi
if [ "${1:-}" = "--lint" ]; then
  ./scripts/setup-lint.sh
fi
echo "setup: ok ($(cargo --version))" >&2
