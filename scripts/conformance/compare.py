#!/usr/bin/env python3
"""Prints, for each conformance check, the expected count, the reference
Suricata's and mirrorids' (a table; the rows that differ are marked).

    scripts/suricata-oracle.py /tmp/ref tests/data/conformance
    mirrorids verify --keep-output /tmp/ours tests/data/conformance
    scripts/conformance/compare.py /tmp/ref /tmp/ours [CASE...]

Only plain `key: value` matches (dotted paths) are evaluated here; the
verdict on a case is `mirrorids verify`'s."""
import json
import os
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     "tests", "data", "conformance"))


def lookup(rec, path):
    for part in path.split("."):
        if not isinstance(rec, dict) or part not in rec:
            return None
        rec = rec[part]
    return rec


def count(records, match):
    return sum(all(lookup(r, k) == v for k, v in match.items()) for r in records)


def load(d, name):
    p = os.path.join(d, "conformance", name, "eve.json")
    if not os.path.isfile(p):
        return None
    return [json.loads(line) for line in open(p) if line.strip()]


def main(ref, ours, names):
    names = names or sorted(n for n in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, n, "test.yaml")))
    for name in names:
        t = yaml.safe_load(open(os.path.join(ROOT, name, "test.yaml")))
        r, o = load(ref, name), load(ours, name)
        for chk in t.get("checks", []):
            f = chk.get("filter")
            if not f:
                continue
            want = f["count"]
            got_r = "-" if r is None else count(r, f["match"])
            got_o = "-" if o is None else count(o, f["match"])
            mark = "" if want == got_r == got_o else "  <=="
            keys = ", ".join(f"{k}={v}" for k, v in f["match"].items() if k != "event_type")
            print(f"{name:32} {keys:60} want {want:3} suricata {got_r!s:3} mirrorids {got_o!s:3}{mark}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
