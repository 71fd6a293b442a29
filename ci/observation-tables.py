#!/usr/bin/env python3
"""Regenerate each lab README's "What each observation rests on" table from
its lab.json: one row per observation id, every assertion of it, and which
ifindexes it holds as the article printed them (the lab's own `index N`,
placed through the index plan where fallback devices move indexes) and which
only as a relation (a placeholder such as {host.veth0.ifindex}, or a device a
CNI plugin numbered).

Usage: ci/observation-tables.py [labs/LAB ...]   (all labs by default)
"""
import json
import re
import sys
from pathlib import Path

HEAD = "| id | assertions (step: what must hold) | ifindexes: the article's, or a relation |"


def expand(items):
    """`each` templates as the items they stand for."""
    out = []
    for it in items:
        if isinstance(it, dict) and "each" in it:
            for row in it["each"]:
                for t in it["do"]:
                    s = json.dumps(t)
                    for k, v in row.items():
                        # A whole-string placeholder keeps the value's type.
                        s = s.replace(f'"${{{k}}}"', json.dumps(v))
                        s = s.replace(f"${{{k}}}", str(v))
                    out.append(json.loads(s))
        else:
            out.append(it)
    return out


def link_parts(e):
    keys = [("index", "ifindex"), ("at", "at"), ("peer", "peer"), ("mac", "mac"),
            ("mtu", "mtu"), ("state", "state"), ("flags", "flags"),
            ("txqueuelen", "txqueuelen"), ("master", "master"), ("kind", "kind")]
    parts = []
    for k, name in keys:
        if k in e:
            v = e[k]
            parts.append(f"{name} {','.join(v) if isinstance(v, list) else v}")
    return "; ".join(parts)


def describe(e):
    k = e["expect"]
    n = e.get("node")
    d = e.get("dev")
    if k == "links":
        return f"links of {n} are exactly {', '.join(e['names'])}"
    if k == "link":
        return f"link {d} in {n}: {link_parts(e)}"
    if k == "addr":
        brd = f" brd {e['brd']}" if "brd" in e else ""
        if "exactly" in e:
            x = e["exactly"]
            return f"{d} in {n} holds no IPv4 address" if not x else f"{d} in {n} holds {', '.join(x)}{brd}"
        return f"{d} in {n} holds {', '.join(e['has'])}{brd} (among others)"
    if k == "routes":
        q = lambda v: ", ".join(f"`{l}`" for l in v)
        parts = []
        if e.get("has"):
            parts.append(f"have {q(e['has'])}")
        if e.get("lacks"):
            parts.append(f"lack {q(e['lacks'])}")
        return f"routes of {n} {'; '.join(parts)}"
    if k == "neigh":
        ll = f", lladdr {e['lladdr']}" if "lladdr" in e else ""
        return f"neighbour {e['ip']} on {d} in {n} is {' or '.join(e['state'])}{ll}"
    if k == "sysctl":
        return f"{e['key']} = {e['value']} in {n}"
    if k == "peer-index":
        i = f", ifindex {e['index']}," if "index" in e else ""
        return f"peer of {d} in {n} is {e['peer']}{i} by {', '.join(e['methods'])}"
    if k == "bridge":
        i = f" (id {e['bridge_id']})" if "bridge_id" in e else ""
        return f"bridge {d} in {n}{i} has exactly [{', '.join(e['members'])}]"
    if k == "same-frames":
        return f"frames on {e['a']} and {e['b']} are byte-identical"
    if k == "bgp":
        return f"BIRD in {n} has a BGP session Established"
    if k == "ipam":
        return f"host-local holds exactly [{', '.join(e['allocated'])}] for network {e['network']}"
    return k


def numbers(e):
    """(held, relation) texts for the ifindexes an assertion reads."""
    held, rel = [], []
    k = e["expect"]
    d = e.get("dev", "")
    plugin = "{cni:" in json.dumps(e)
    if k == "link":
        at = e.get("at", "")
        lit = [f"{e['index']}"] if "index" in e else []
        if re.fullmatch(r"if\d+", at):
            lit.append(f"@{at}")
        if lit:
            held.append(f"`{d}` {' '.join(lit)}")
        if "{" in at or (plugin and "peer" in e):
            rel.append(f"`{d}`'s peer")
    elif k == "peer-index":
        if "index" in e:
            held.append(f"`{d}`'s peer_ifindex {e['index']}")
        else:
            rel.append(f"`{d}`'s peer = `{e['peer']}`'s ifindex")
    return held, rel


def table(lab):
    rows = {}
    for s in lab["steps"]:
        sid = s.get("id")
        items = expand(s.get("do", []))
        for it in items:
            if isinstance(it, dict) and "expect" in it:
                i, text = it.get("id", sid), describe(it)
            elif isinstance(it, dict) and "ping" in it:
                i = it.get("id", sid)
                r = it.get("result", "reply")
                ttl = f", ttl {it['ttl']}" if "ttl" in it else ""
                text = f"`ping {it['ping']}` from {it['from']} " + ("fails" if r == "fail" else f"replies{ttl}")
            elif isinstance(it, dict) and "udp" in it:
                i = it.get("id", sid)
                text = f"UDP to {it['udp']} from {it['from']} answered by {it['server']}"
            elif isinstance(it, dict) and "daemon" in it:
                i = it.get("id", sid)
                text = f"`{it['daemon']}` runs in {it['node']}"
            elif isinstance(it, dict) and "cni" in it:
                i = it.get("id", sid)
                text = f"CNI {it['cni']} `{it['config'].get('type', '?')}` for {it.get('as', it.get('netns'))}"
            elif isinstance(it, dict) and "answer" in it:
                i = it.get("id", sid)
                text = f"answer: the {it['answer']} of {it['node']}:{it['dev']}"
            else:
                continue
            if not i:
                continue
            row = rows.setdefault(i, ([], [], []))
            row[0].append(f"{s['name']}: {text}")
            if isinstance(it, dict) and "expect" in it:
                h, r = numbers(it)
                row[1].extend(f"{s['name']}: {x}" for x in h)
                row[2].extend(f"{s['name']}: {x}" for x in r)
        for point, cid in (s.get("capture") or {}).items():
            i = cid or sid
            node, dev = point.split(":")
            rows.setdefault(i, ([], [], []))[0].append(
                f"{s['name']}: capture on {point} matches `fixtures/{lab['lab']}/{s['name']}/{node}-{dev}.txt`")
    out = [HEAD, "|---|---|---|"]
    for i, (a, h, r) in rows.items():
        nums = []
        if h:
            nums.append("the article's: " + "; ".join(h))
        if r:
            nums.append("relation: " + "; ".join(r))
        out.append(f"| {i} | {'<br>'.join(a)} | {'<br>'.join(nums) or '—'} |")
    return out


def main(args):
    root = Path(__file__).resolve().parent.parent / "labs"
    dirs = [Path(a) for a in args] or sorted(p for p in root.iterdir() if (p / "lab.json").is_file())
    for d in dirs:
        lab = json.loads((d / "lab.json").read_text())
        readme = d / "README.md"
        lines = readme.read_text().split("\n")
        start = next(i for i, l in enumerate(lines) if l.startswith("| id | assertions"))
        end = start
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines[start:end] = table(lab)
        readme.write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
