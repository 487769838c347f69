#!/usr/bin/env bash
# Fuzzes mirrorids' parsers (cargo-fuzz targets in fuzz/, a workspace of its own), one
# target at a time, each for a fixed time. Installs cargo-fuzz if missing.
#
#   ./scripts/fuzz.sh [TARGET...] [--seconds N] [--ledger]
#   ./scripts/fuzz.sh --report
#
# TARGET (default: all nineteen): decode (decoders, defragmentation), datagram (the live
# path from a tunnel datagram through the whole engine), stream (TCP reassembly through the
# engine), http, dns, tls, ssh, ftp, asn1, datasets, rules, config, threshold, pcap,
# control_http, redis_reply, http_sink_replies, ocsf, mpm_cache. N: seconds per target
# (default 600). Seeds are fuzz/corpus/<target>/ (fuzz/make_seeds.py); what libFuzzer adds
# goes to fuzz/work/<target>/ and its log to fuzz/work/<target>.log, so the committed seeds
# stay as they are. Exits non-zero if a target crashes (panic, sanitizer report, timeout,
# out of memory), naming the input libFuzzer wrote under fuzz/artifacts/<target>/.
# --ledger appends each run (date, commit, target, seconds, inputs, result) to
# fuzz/ledger.tsv, the committed record of how long each target has run; --report sums it.
#
# Toolchain: cargo-fuzz needs unstable rustc flags (-Zsanitizer,
# sanitizer coverage). Nightly is used when installed; otherwise stable with
# RUSTC_BOOTSTRAP=1, which accepts the same flags (checked with stable 1.95:
# the AddressSanitizer runtime ships with the stable x86_64 Linux standard
# library, so the address sanitizer stays on). FUZZ_TOOLCHAIN=stable|nightly
# forces a choice.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

all_targets=(decode datagram stream http dns tls ssh asn1 ftp datasets rules config threshold pcap control_http redis_reply http_sink_replies ocsf mpm_cache)
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

seconds=600
targets=()
ledger=""
ledger_file=fuzz/ledger.tsv
# FUZZ_WORK: where libFuzzer's corpus and logs go (the test suite uses a
# fresh directory, so its short runs start from the committed seeds only).
work="${FUZZ_WORK:-fuzz/work}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    --ledger) ledger=1; shift ;;
    --report)
      [ -f "$ledger_file" ] || { echo "no $ledger_file yet"; exit 0; }
      printf '%-18s %9s %14s  %s\n' target minutes inputs "crashed runs"
      awk -F'\t' 'NR > 1 { s[$3] += $4; n[$3] += $5; if ($6 != "ok") bad[$3]++ }
        END { for (t in s) printf "%-18s %9.1f %14d  %d\n", t, s[t] / 60, n[t], bad[t] }' "$ledger_file" | sort
      exit 0 ;;
    decode | datagram | stream | http | dns | tls | ssh | asn1 | ftp | datasets | rules | config | threshold | pcap | control_http | redis_reply | http_sink_replies | ocsf | mpm_cache) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: --seconds needs a number" >&2; exit 2 ;; esac
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

toolchain="${FUZZ_TOOLCHAIN:-}"
if [ -z "$toolchain" ]; then
  if command -v rustup >/dev/null && rustup toolchain list 2>/dev/null | grep '^nightly' >/dev/null; then
    toolchain=nightly
  else
    toolchain=stable
  fi
fi
cargo_cmd=(cargo)
if command -v rustup >/dev/null; then
  cargo_cmd=(cargo "+$toolchain")
fi
[ "$toolchain" = nightly ] || export RUSTC_BOOTSTRAP=1
# FUZZ_PROFILE=dev: unoptimized, much quicker to build (the test suite's
# short runs); the default, release with debug assertions, for long runs.
profile=()
[ "${FUZZ_PROFILE:-release}" = dev ] && profile=(--dev)
echo "== toolchain: $("${cargo_cmd[@]}" --version) (sanitizer: address)"

failed=()
for t in "${targets[@]}"; do
  # Built apart from the run so that a build error stops here, loudly.
  "${cargo_cmd[@]}" fuzz build "${profile[@]}" --sanitizer address "$t"
  mkdir -p "$work/$t" "fuzz/artifacts/$t"
  log="$work/$t.log"
  echo "== fuzz $t for ${seconds}s (log: $log)"
  # One process (no -jobs/-workers: libFuzzer then runs in the foreground on
  # one core, and its final stats reach this log). -timeout: an input that
  # takes over 10 s is a hang, not a slow machine.
  started=$SECONDS
  set +e
  "${cargo_cmd[@]}" fuzz run "${profile[@]}" --sanitizer address "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  if [ -n "$ledger" ]; then
    [ -f "$ledger_file" ] || printf 'date\tcommit\ttarget\tseconds\tinputs\tresult\n' >"$ledger_file"
    inputs=$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
    # libFuzzer's own time ("Done N runs in S second(s)"); the wall clock
    # (which includes any rebuild cargo fuzz run does) only after a crash.
    ran=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || true)
    result=ok
    [ $rc -eq 0 ] || result="crash"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$(git rev-parse --short HEAD 2>/dev/null || echo -)" \
      "$t" "${ran:-$((SECONDS - started))}" "${inputs:-0}" "$result" >>"$ledger_file"
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  if [ $rc -ne 0 ]; then
    artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/^Test unit written to //')
    grep -E '^(==[0-9]+==ERROR|SUMMARY|thread .* panicked)|panicked at' "$log" | head -n 5 || true
    echo "!! $t failed (exit $rc): artifact ${artifact:-none, see $log}"
    [ -z "$artifact" ] || echo "   reproduce: cargo fuzz run $t $artifact"
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== failed: ${failed[*]}"
  exit 1
fi
echo "== all targets ran ${seconds}s without a crash"
