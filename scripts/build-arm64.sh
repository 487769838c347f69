#!/usr/bin/env bash
# Cross-compiles mirrorids for arm64 (Graviton) on an x86-64 Debian 12 host with
# Debian's cross gcc and the arm64 Vectorscan (Hyperscan's API-compatible port),
# then runs --version, `rules check` and the demo replay under qemu-user; the
# alerts per signature must match the native build's ($MIRRORIDS_NATIVE_BIN,
# default $CARGO_TARGET_DIR/release/mirrorids; without it, only "> 0 alerts").
# Installs what is missing; idempotent. Vectorscan is unpacked into
# $MIRRORIDS_ARM64_SYSROOT (~/.cache/mirrorids/arm64-sysroot), not installed:
# libvectorscan5:arm64 conflicts with libhyperscan5:amd64 and apt would remove it.
#
#   ./scripts/build-arm64.sh [--tests] [--deb]
#     --tests  also runs the library unit tests under qemu
#     --deb    also packages the arm64 .deb with cargo-deb (skipped if not installed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target=aarch64-unknown-linux-gnu
triple=aarch64-linux-gnu
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build-arm64: FAILED: $*" >&2; exit 1; }
step() { echo "== $*" >&2; }

tests=0 deb=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    --deb) deb=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-arm64: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
t0=$SECONDS

# --- toolchain: only what is missing, so a second run touches nothing ---
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  step "adding the arm64 architecture to dpkg"
  $sudo dpkg --add-architecture arm64
fi
pkgs=("gcc-$triple" "g++-$triple" libc6-dev-arm64-cross qemu-user file pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # The update is needed anyway: lists fetched before arm64 was added lack its packages.
  step "installing ${missing[*]}"
  $sudo apt-get update -qq || die "apt-get update"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]}"
fi
sysroot=${MIRRORIDS_ARM64_SYSROOT:-$HOME/.cache/mirrorids/arm64-sysroot}
hs_lib=$sysroot/usr/lib/$triple
if [ ! -e "$hs_lib/pkgconfig/libhs.pc" ]; then
  # apt-get download needs the arm64 lists but installs nothing (and needs no root).
  step "unpacking libvectorscan-dev:arm64 into $sysroot"
  dl=$(mktemp -d)
  (cd "$dl" && apt-get download -qq libvectorscan-dev:arm64 libvectorscan5:arm64) \
    || { $sudo apt-get update -qq && (cd "$dl" && apt-get download -qq libvectorscan-dev:arm64 libvectorscan5:arm64); } \
    || die "apt-get download libvectorscan-dev:arm64 libvectorscan5:arm64"
  mkdir -p "$sysroot"
  for d in "$dl"/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
  rm -rf "$dl"
  [ -e "$hs_lib/pkgconfig/libhs.pc" ] || die "no libhs.pc under $hs_lib after unpacking"
fi
rustup target list --installed | grep -qx $target || rustup target add $target || die "rustup target add $target"
command -v cargo >/dev/null || die "cargo not found (run scripts/setup.sh first)"

# --- cross environment; target-scoped names so host build scripts and proc
# macros keep the host toolchain and the host's pkg-config files ---
tu=${target//-/_}
TU=${tu^^}
export "CARGO_TARGET_${TU}_LINKER=$triple-gcc"
export "CC_$tu=$triple-gcc" "CXX_$tu=$triple-g++" "AR_$tu=$triple-ar"
# hyperscan-sys finds libhs through pkg-config (no HYPERSCAN_ROOT) and, on a
# 64-bit build host, copies its bundled bindings instead of running bindgen,
# so no libclang is needed. Only the unpacked arm64 libhs.pc may be seen; the
# sysroot variable moves its /usr paths under $sysroot.
export "PKG_CONFIG_ALLOW_CROSS_$tu=1" "PKG_CONFIG_SYSROOT_DIR_$tu=$sysroot"
export "PKG_CONFIG_LIBDIR_$tu=$hs_lib/pkgconfig" "PKG_CONFIG_PATH_$tu=$hs_lib/pkgconfig"
# pcre2 compiled in, as on x86-64 (no libpcre2-dev there): the .deb depends on
# libc6 and libhs only, so an arm64 libpcre2-8.pc must not be picked up.
export PCRE2_SYS_STATIC=1
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) || die "qemu-aarch64 not found"
# The guest's loader (-E: not qemu's own) searches libhs.so.5 in the sysroot,
# then the cross libc that matches the cross ld.so. Without the second entry a
# host with libc6:arm64 installed serves libc from /etc/ld.so.cache instead; a
# libc and ld.so of different builds hang in pthread_create (seen: 2.36-9 vs 2.36-8).
qemu_args=(-L "/usr/$triple" -E "LD_LIBRARY_PATH=$hs_lib:/usr/$triple/lib")
export "CARGO_TARGET_${TU}_RUNNER=$qemu ${qemu_args[*]}"
run_arm() { "$qemu" "${qemu_args[@]}" "$@"; }
tdir=${CARGO_TARGET_DIR:-$PWD/target}
bin=$tdir/$target/release/mirrorids

# --- build; nice so a build beside this one keeps its share of the cores ---
step "cargo build --release --target $target"
tb=$SECONDS
nice -n 10 cargo build --release --locked --target $target || die "cargo build --target $target"
build_s=$((SECONDS - tb))
arch=$(file -b "$bin")
echo "$arch"
[[ "$arch" == *"ARM aarch64"* ]] || die "$bin is not an aarch64 binary"

# --- run it under qemu ---
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tr=$SECONDS
run_arm "$bin" --version || die "mirrorids --version under qemu"
run_arm "$bin" rules check signatures/ || die "mirrorids rules check under qemu"
run_arm "$bin" replay --rules signatures/ --eve "$out/arm64.json" pcaps/*.pcap >"$out/arm64.log" 2>&1 \
  || { cat "$out/arm64.log" >&2; die "mirrorids replay under qemu"; }
grep -E '^(input|alerts) ' "$out/arm64.log" >&2 || true
run_s=$((SECONDS - tr))
# Alerts per signature id, so equal totals made of different alerts still differ.
sids() { grep -o '"signature_id":[0-9]*' "$1" | sort | uniq -c || true; }
alerts=$(grep -c '"event_type":"alert"' "$out/arm64.json" || true)
native=${MIRRORIDS_NATIVE_BIN:-$tdir/release/mirrorids}
if [ -x "$native" ]; then
  "$native" replay --rules signatures/ --eve "$out/x86.json" pcaps/*.pcap >/dev/null 2>&1 || die "native replay ($native)"
  native_alerts=$(grep -c '"event_type":"alert"' "$out/x86.json" || true)
  echo "alerts: arm64 $alerts, x86-64 $native_alerts ($native)"
  [ "$alerts" = "$native_alerts" ] || die "arm64 raised $alerts alerts, x86-64 $native_alerts"
  diff <(sids "$out/x86.json") <(sids "$out/arm64.json") >&2 || die "alerts per signature differ (x86-64 <, arm64 >)"
else
  native_alerts="n/a (no native binary at $native)"
  [ "$alerts" -gt 0 ] || die "no alerts from the arm64 replay"
fi

# --- optional: unit tests under qemu (the runner makes `cargo test` run them there) ---
tests_msg="not run (--tests)"
if [ $tests -eq 1 ]; then
  step "cargo test --release --target $target --lib (under qemu)"
  tt=$SECONDS
  # qemu-user 7.2 (bookworm) answers setsockopt(SO_RXQ_OVFL) with ENOPROTOOPT, so
  # open_udp (the live receive path) cannot work under it; an arm64 kernel takes it.
  set +e; nice -n 10 cargo test --release --locked --target $target --lib -- \
    --skip source::socket::tests::drops_are_read_without_a_later_datagram 2>&1 | tee "$out/tests.log"
  test_rc=${PIPESTATUS[0]}; set -e
  tests_msg="$(grep -E '^test result:' "$out/tests.log" | tail -n 1) ($((SECONDS - tt)) s)"
  [ "$test_rc" -eq 0 ] || die "lib tests under qemu: $tests_msg"
fi

# --- optional: the .deb, from the binary just built ---
deb_msg="not built (--deb)"
if [ $deb -eq 1 ]; then
  if cargo deb --version >/dev/null 2>&1; then
    # No dpkg-shlibdeps pass to go wrong: Cargo.toml spells out depends (libhyperscan5 | libvectorscan5).
    deb_msg=$(cargo deb --target $target --no-build | tail -n 1) || die "cargo deb --target $target"
  else
    deb_msg="skipped: cargo-deb not installed"
  fi
fi

echo
echo "== arm64 build"
echo "binary    $bin"
echo "size      $(stat -c %s "$bin") bytes ($(du -h "$bin" | cut -f1))"
echo "arch      $arch"
echo "alerts    arm64 $alerts, x86-64 $native_alerts"
echo "lib tests $tests_msg"
echo "deb       $deb_msg"
echo "elapsed   build ${build_s} s, qemu runs ${run_s} s, total $((SECONDS - t0)) s"
