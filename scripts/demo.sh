#!/usr/bin/env bash
# Replays the bundled captures (pcaps/, made by `mirrorids generate`) with
# the bundled signatures (signatures/) and shows the alerts. Installs what is
# missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./target/release/mirrorids replay --rules signatures/ --eve "$out/eve.json" pcaps/*.pcap
echo
echo "== alerts (from $(wc -l < "$out/eve.json") EVE lines; one line each: time, signature, source -> destination, VNI)"
python3 - "$out/eve.json" <<'PY' 2>/dev/null || cat "$out/eve.json"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    a = e["alert"]
    src = f'{e["src_ip"]}:{e.get("src_port", "")}'
    dst = f'{e["dest_ip"]}:{e.get("dest_port", "")}'
    vni = e.get("mirrorids", {}).get("vni", "-")
    print(f'{e["timestamp"][11:23]}  [{a["signature_id"]}] {a["signature"]:<60.60}  {src} -> {dst}  vni={vni}')
PY
