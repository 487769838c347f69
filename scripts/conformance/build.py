#!/usr/bin/env python3
"""Builds the keyword conformance cases in tests/data/conformance/<case>/:
input.pcap, test.rules, test.yaml (its comment says what the case tests and
why the counts are right) and, where a case needs one, suricata.yaml and
threshold.config. One function per case, in the cases_*.py modules beside
this file; see README.md for how to rerun it and compare with the reference
Suricata.

    scripts/conformance/build.py             # every case
    scripts/conformance/build.py NAME...     # only these
    scripts/conformance/build.py --list
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from casebook import CASES, Case  # noqa: E402


def main(argv):
    import cases_payload  # noqa: F401
    import cases_bytes  # noqa: F401
    import cases_flow  # noqa: F401
    import cases_threshold  # noqa: F401
    import cases_state  # noqa: F401
    import cases_dataset  # noqa: F401
    import cases_decode  # noqa: F401
    import cases_teredo  # noqa: F401
    if argv[:1] == ["--list"]:
        print("\n".join(sorted(CASES)))
        return 0
    names = argv or sorted(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print("unknown case(s): " + ", ".join(unknown), file=sys.stderr)
        return 2
    for n in names:
        c = Case(n)
        CASES[n](c)
        assert c.about and c.rules and c.checks, n
        c.write()
        print(f"{n}: {len(c.cap.packets)} packets, {len(c.rules)} rules, {len(c.checks)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
