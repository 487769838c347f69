#!/usr/bin/env python3
"""Runs the reference Suricata (../shared/reference) on suricata-verify style
test folders, the way suricata-verify runs them, and keeps each test's EVE
output as OUT/<test name>/eve.json.

    scripts/suricata-oracle.py OUT ../shared/corpus/suricata-verify-app/*/
    ORACLE_ARGS="--runmode single" scripts/suricata-oracle.py OUT tests/data/conformance/*/
    mirrorids verify --judge-eve OUT ../shared/corpus/suricata-verify-app/*/

The second command judges Suricata's own output with our check evaluator:
the pass rate Suricata itself reaches on the same checks, and the records
to diff ours against. Development tool only: mirrorids never calls Suricata.
"""
import json, os, subprocess, sys, tempfile
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "reference", "suricata-8.0.6"))


def discover(root, base, depth, out):
    if os.path.isfile(os.path.join(root, "test.yaml")):
        out.append((root, os.path.relpath(root, base)))
        return
    if depth == 0:
        return
    for d in sorted(os.listdir(root)):
        p = os.path.join(root, d)
        if os.path.isdir(p):
            discover(p, base, depth - 1, out)


def run(test_dir, name, out_root):
    t = yaml.safe_load(open(os.path.join(test_dir, "test.yaml"))) or {}
    out = os.path.join(out_root, name)
    if os.path.exists(os.path.join(out, "eve.json")):
        return "cached"
    pcap = t.get("pcap")
    if pcap is False:
        return "no pcap"
    manifest = os.path.join(test_dir, "manifest.json")
    listed = json.load(open(manifest)).get("pcaps") if os.path.isfile(manifest) else None
    if listed:
        pcap = os.path.join(test_dir, listed[0])
    elif isinstance(pcap, str):
        pcap = os.path.join(test_dir, pcap)
    else:
        caps = sorted(f for f in os.listdir(test_dir) if f.endswith((".pcap", ".pcapng")))
        if not caps:
            return "no pcap"
        pcap = os.path.join(test_dir, caps[0])
    os.makedirs(out, exist_ok=True)
    listed = json.load(open(manifest)).get("rule_files") if os.path.isfile(manifest) else None
    rules = [os.path.join(test_dir, r) for r in listed] if listed is not None else \
        sorted(os.path.join(test_dir, f) for f in os.listdir(test_dir) if f.endswith(".rules"))
    tmp = None
    if isinstance(t.get("rules"), str):
        tmp = tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False)
        tmp.write(t["rules"])
        tmp.close()
        rules.append(tmp.name)
    if len(rules) > 1:
        merged = os.path.join(out, "all.rules")
        with open(merged, "w") as m:
            for r in rules:
                m.write(open(r, errors="replace").read() + "\n")
        rules = [merged]
    conf = os.path.join(test_dir, "suricata.yaml")
    if not os.path.isfile(conf):
        conf = os.path.join(REF, "etc", "suricata.yaml")
    else:
        # An `include:` of the upstream tree maps to a copied file.
        includes = json.load(open(manifest)).get("included_configs", {}) if os.path.isfile(manifest) else {}
        if includes:
            text = open(conf).read()
            for orig, copied in includes.items():
                text = text.replace(orig, os.path.join(test_dir, copied))
            conf = os.path.join(out, "suricata.yaml")
            open(conf, "w").write(text)
    cmd = [os.path.join(REF, "bin", "suricata"), "-c", conf, "-l", out, "-r", pcap,
           "--set", "classification-file=" + os.path.join(REF, "etc", "classification.config"),
           "--set", "reference-config-file=" + os.path.join(REF, "etc", "reference.config"),
           "--set", "threshold-file=" + os.path.join(REF, "etc", "threshold.config"),
           "-S", rules[0] if rules else "/dev/null"]
    if os.path.isfile(os.path.join(test_dir, "threshold.config")):
        cmd[-3] = "threshold-file=" + os.path.join(test_dir, "threshold.config")
    args = t.get("args") or []
    if isinstance(args, str):
        args = [args]
    for a in args:
        cmd.extend(str(a).split(None, 1) if str(a).startswith("--set") else str(a).split())
    # ORACLE_ARGS="--runmode single": one packet thread, so state shared
    # between flows (xbits, FTP data connections) is seen in capture order.
    cmd.extend(os.environ.get("ORACLE_ARGS", "").split())
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (t.get("env") or {}).items()})
    r = subprocess.run(cmd, cwd=test_dir, env=env, capture_output=True, text=True, timeout=300)
    open(os.path.join(out, "cmd.txt"), "w").write(" ".join(cmd) + "\n" + r.stderr[-4000:])
    if tmp:
        os.unlink(tmp.name)
    if not os.path.isfile(os.path.join(out, "eve.json")):
        open(os.path.join(out, "eve.json"), "w").close()
        return "failed (rc %d)" % r.returncode
    return "ok"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_root = sys.argv[1]
    tests = []
    for d in sys.argv[2:]:
        d = os.path.abspath(d.rstrip("/"))
        discover(d, os.path.dirname(d), 4, tests)
    for test_dir, name in tests:
        print(name, run(test_dir, name, out_root), flush=True)


if __name__ == "__main__":
    main()
