#!/usr/bin/env bash
# Replays the bundled captures (pcaps/, made by `mirrorids generate`) with
# the bundled signatures (signatures/) and shows the alerts. Installs what is
# missing and builds first.
#
#   ./scripts/demo.sh          offline: `mirrorids replay`
#   ./scripts/demo.sh --live   as deployed: `mirrorids run` on loopback, fed
#                              the same captures over UDP by `mirrorids send`,
#                              stopped with SIGTERM
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q
out=$(mktemp -d)
bin=./target/release/mirrorids
if [[ "${1:-}" == "--live" ]]; then
    # Port 0: the kernel picks a free port; the sensor logs which.
    $bin run --listen 127.0.0.1:0 --rules signatures/ --eve "$out/eve.json" \
        --set control.health_listen=127.0.0.1:0 --set control.metrics_listen="''" 2> "$out/sensor.log" &
    sensor=$!
    trap 'kill $sensor 2>/dev/null; rm -rf "$out"' EXIT
    for _ in $(seq 200); do grep -q inspecting "$out/sensor.log" && break; sleep 0.05; done
    port=$(sed -n 's/.*source=vxlan 127\.0\.0\.1:\([0-9]*\) #0.*/\1/p' "$out/sensor.log" | head -n 1)
    $bin send --to "127.0.0.1:$port" --rate 50000 pcaps/*.pcap
    sleep 1
    kill -TERM $sensor
    wait $sensor || true
    cat "$out/sensor.log"
else
    trap 'rm -rf "$out"' EXIT
    $bin replay --rules signatures/ --eve "$out/eve.json" pcaps/*.pcap
fi
echo
echo "== alerts (from $(wc -l < "$out/eve.json") EVE records of every type; one line per alert: time, signature, source -> destination, VNI)"
python3 - "$out/eve.json" <<'PY' 2>/dev/null || cat "$out/eve.json"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert":
        continue
    a = e["alert"]
    src = f'{e["src_ip"]}:{e.get("src_port", "")}'
    dst = f'{e["dest_ip"]}:{e.get("dest_port", "")}'
    vni = e.get("mirrorids", {}).get("vni", "-")
    print(f'{e["timestamp"][11:23]}  [{a["signature_id"]}] {a["signature"]:<60.60}  {src} -> {dst}  vni={vni}')
PY
