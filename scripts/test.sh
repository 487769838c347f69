#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit/integration tests (including
# the suricata-verify corpus when ../shared is present), a short run of every
# fuzz target and a benchmark smoke run. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --lint
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
# The `ci` profile (Cargo.toml) is release optimisation without LTO: the
# corpus and rule-loading tests run at real speed, and the ~35 test binaries
# link in seconds instead of a whole-program LTO each.
echo "== cargo test"
cargo test --profile ci
echo "== benchmarks compile"
cargo bench --no-run -q --profile ci
# Every fuzz target, briefly: its committed seeds and what libFuzzer derives
# from them in a few seconds, under AddressSanitizer, unoptimized (quicker to
# build). Long runs: ./scripts/fuzz.sh.
echo "== fuzz targets, ${MIRRORIDS_FUZZ_SECONDS:-5} s each"
fuzz_work=$(mktemp -d)
FUZZ_PROFILE=dev FUZZ_WORK="$fuzz_work" ./scripts/fuzz.sh --seconds "${MIRRORIDS_FUZZ_SECONDS:-5}"
rm -rf "$fuzz_work"
if [ -d ../shared/corpus/suricata-verify ]; then
  echo "== mirrorids verify ../shared/corpus/suricata-verify"
  # The binary `cargo test` built for the integration tests: `cargo run`
  # would build it again without the dev-dependencies' features (minutes).
  ./target/ci/mirrorids verify ../shared/corpus/suricata-verify/* | tail -n 12 || true
fi
echo "== all tests passed"
