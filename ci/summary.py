#!/usr/bin/env python3
"""A per-step markdown table from `vethlab run --json` reports, for
$GITHUB_STEP_SUMMARY (CI and the GitHub Action).

    python3 ci/summary.py [--title TEXT] REPORT.json... >> "$GITHUB_STEP_SUMMARY"

One row per step: outcome, lab/step, the observation ids it asserts, its
time, and for a failure or a skip the first failing check or the reason.
Text from lab files is escaped for markdown (it is untrusted). Exit 1 when a
report cannot be read (a run that wrote none), so the summary never claims
a pass it did not see.
"""
import json
import sys

ICON = {"pass": "✅ pass", "fail": "❌ fail", "skip": "⏭️ skip"}


def cell(text, limit=160):
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    out = []
    for ch in text:
        if ch in "\\`*_[]<>|~":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
    return "".join(out)


def why(step):
    if step.get("reason"):
        return step["reason"]
    for c in step.get("checks", []):
        if c.get("result") == "fail":
            return "%s: %s" % (c.get("what", ""), c.get("detail", ""))
    return ""


def main(argv):
    title = "vethlab"
    if len(argv) >= 2 and argv[0] == "--title":
        title, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    rows, totals = [], {"passed": 0, "failed": 0, "skipped": 0}
    for path in argv:
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: no report (%s)" % (path, e), file=sys.stderr)
            return 1
        for k in totals:
            totals[k] += int(report.get("summary", {}).get(k, 0))
        for s in report.get("steps", []):
            ids = sorted({o.get("id", "") for o in s.get("observations", [])})
            rows.append(
                "| %s | %s/%s | %s | %s ms | %s |"
                % (
                    ICON.get(s.get("status"), cell(s.get("status", "?"))),
                    cell(s.get("lab", "")),
                    cell(s.get("step", "")),
                    cell(", ".join(ids)),
                    int(s.get("time_ms") or 0),
                    cell(why(s)),
                )
            )
    print("### %s: %d passed, %d failed, %d skipped" % (
        cell(title), totals["passed"], totals["failed"], totals["skipped"]))
    print()
    print("| | step | observations | time | why |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
