"""The case registry and what one case folder holds (see build.py)."""
import os
import re
import textwrap

from scapy.all import wrpcap

from traffic import Capture

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                     "tests", "data", "conformance"))

CASES = {}


def case(name):
    """Registers a case builder under its folder name."""
    def register(fn):
        assert name not in CASES, name
        CASES[name] = fn
        return fn
    return register


def _comment(text, indent=""):
    out = []
    for para in textwrap.dedent(text).strip().split("\n\n"):
        if out:
            out.append(indent + "#")
        out += [indent + "# " + line if line else indent + "#"
                for line in textwrap.wrap(" ".join(para.split()), 76 - len(indent))]
    return "\n".join(out)


class Case:
    """What one folder holds: the capture, the rules, and one check per
    rule (or per extra expectation) with the reason for its count."""

    def __init__(self, name):
        self.name = name
        self.cap = Capture()
        self.about = ""
        self.rules = []
        self.checks = []
        self.files = {}
        # Suricata command-line options the case runs with (test.yaml `args`).
        self.args = []
        # The capture's link type when it is not Ethernet (DLT number);
        # its packets are then raw bytes (scapy Raw) of that link type.
        self.linktype = None

    def rule(self, text, count, why, match=None):
        """A rule and how many alerts it must raise on this capture."""
        sid = int(re.search(r"\bsid\s*:\s*(\d+)", text).group(1))
        self.rules.append(text)
        m = {"event_type": "alert", "alert.signature_id": sid}
        m.update(match or {})
        self.checks.append((count, m, why))
        return sid

    def check(self, count, match, why):
        """An extra check (fields of the alert, other event types)."""
        self.checks.append((count, match, why))

    def write(self):
        d = os.path.join(ROOT, self.name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        pcap = os.path.join(d, "input.pcap")
        wrpcap(pcap, self.cap.packets)
        if self.linktype is not None:
            # scapy guesses the link type from the first packet (Ethernet
            # for raw bytes) and takes 0 (NULL) for "guess": set it in the
            # file header (a little-endian u32 at offset 20).
            with open(pcap, "r+b") as f:
                f.seek(20)
                f.write(self.linktype.to_bytes(4, "little"))
        with open(os.path.join(d, "test.rules"), "w") as f:
            f.write("\n".join(self.rules) + "\n")
        lines = [_comment(self.about)]
        if self.args:
            lines += ["args:"] + [f"- {a}" for a in self.args]
        lines.append("checks:")
        for count, match, why in self.checks:
            lines.append(_comment(why, "  "))
            items = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in match.items())
            lines.append(f"  - filter: {{count: {count}, match: {{{items}}}}}")
        with open(os.path.join(d, "test.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        for name, text in self.files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(textwrap.dedent(text).lstrip())


def _yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", s) and s.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sig(proto, opts, sid, msg, action="alert", ports="any any -> any any"):
    """A rule line: `alert <proto> any any -> any any (msg; opts; sid)`."""
    msg = msg.replace(";", ",").replace('"', "'").replace("\\", "/")
    return f'{action} {proto} {ports} (msg:"{msg}"; {opts} sid:{sid}; rev:1;)'


DOCS = "https://docs.suricata.io/en/suricata-8.0.6/"
