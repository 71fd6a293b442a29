#!/usr/bin/env python3
"""The HTML report in a real browser (Debian's chromium, headless).

For each page: a copy with a small script added that measures the laid-out
page (getBoundingClientRect, the browser's own layout and fonts) and writes
what it found into the DOM; `chromium --dump-dom` prints that DOM, and this
reads the verdict back. Then a screenshot of the whole page.

What a page must satisfy, in every SVG picture:
  - no two text boxes overlap;
  - no text runs past the edge of its SVG;
  - no ladder arrow (line.hop, line.encap) crosses a ladder label;
  - no topology cable (polyline.cable) passes through a box (node or
    interface) that does not hold one of its two ends;
  - both ends a cable or bridge port names in data-link="NODE:IF NODE:IF"
    are drawn in that step's picture, and a veth cable joins peers (the
    data-peer the kernel gave its first end);
  - no picture is cut by an ancestor that clips (scrolling is fine).
And every href resolves to a file from the page's own directory (no
absolute path, which breaks once the folder moves); index.html is checked
for its links only.
And it must have pictures and text at all (a page with nothing measured
fails: the check cannot pass vacuously).

`--self-test` first runs the same check on pages built to break each rule
and fails unless every one of them is caught.

Chromium runs as root here (and in CI), where its sandbox cannot start:
Chromium refuses to run as root without --no-sandbox. The pages are our
own files, opened from disk with no network, so the sandbox protects
nothing here.

Standard library only. Usage:
  browser.py [--self-test] [--shots DIR] PAGE.html...
  browser.py --picture PAGE.html topology[:STEP]|STEP OUT.png   (README screenshots)
  browser.py --hrefs-only PAGE.html...   (links only, no browser)
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

CHROMIUM = next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
WIDTH = 1400

# Runs in the page once it is laid out; the verdict goes into a <pre>.
PROBE = r"""
<script>
window.addEventListener('load', () => {
  const bad = [];
  const box = e => e.getBoundingClientRect();
  // A text's own words (its <title> tooltip is not drawn).
  const name = e => [...e.childNodes].filter(n => n.nodeName !== 'title')
    .map(n => n.textContent).join(' ').replace(/\s+/g, ' ').trim().slice(0, 60);
  const eps = 0.5;
  const meet = (a, b) => a.left < b.right - eps && b.left < a.right - eps &&
                         a.top < b.bottom - eps && b.top < a.bottom - eps;
  // Does the segment (x1,y1)-(x2,y2) pass through rectangle r? (Liang-Barsky)
  const crosses = (x1, y1, x2, y2, r) => {
    let t0 = 0, t1 = 1; const dx = x2 - x1, dy = y2 - y1;
    const p = [-dx, dx, -dy, dy];
    const q = [x1 - r.left - eps, r.right - eps - x1, y1 - r.top - eps, r.bottom - eps - y1];
    for (let i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) return false; continue; }
      const t = q[i] / p[i];
      if (p[i] < 0) { if (t > t1) return false; if (t > t0) t0 = t; }
      else { if (t < t0) return false; if (t < t1) t1 = t; }
    }
    return t0 < t1;
  };
  // A cable's ends, and the boxes it may touch: those holding an end.
  const holds = (outer, inner) => inner.left >= outer.left - eps && inner.right <= outer.right + eps &&
                                  inner.top >= outer.top - eps && inner.bottom <= outer.bottom + eps;
  const cables = svg => {
    const found = [];
    const boxes = [...svg.querySelectorAll('g.node, g.iface')]
      .map(g => [g.getAttribute('data-if') || g.getAttribute('data-node'), g.querySelector('rect')])
      .filter(([, r]) => r).map(([n, r]) => [n, box(r)]);
    for (const c of svg.querySelectorAll('polyline.cable, [data-link]')) {
      const link = c.getAttribute('data-link') || '';
      const ends = link.split(' ').filter(x => x);
      const gs = ends.map(e => [...svg.querySelectorAll('g.iface')].find(g => g.getAttribute('data-if') === e));
      if (ends.length !== 2 || gs.some(g => !g)) {
        found.push(`data-link "${link}": an end not drawn in this step's picture`);
        continue;
      }
      if (c.classList.contains('veth') && gs[0].getAttribute('data-peer') !== ends[1])
        found.push(`veth cable "${link}" does not join peers (${ends[0]}'s peer is ${gs[0].getAttribute('data-peer')})`);
      if (c.nodeName !== 'polyline') continue;
      cablesSeen++;
      const er = gs.map(g => box(g.querySelector('rect')));
      const m = c.getScreenCTM();
      const pts = (c.getAttribute('points') || '').trim().split(/\s+/).map(xy => {
        const [x, y] = xy.split(',').map(Number);
        return new DOMPoint(x, y).matrixTransform(m);
      });
      for (const [n, r] of boxes) {
        if (er.some(e => holds(r, e))) continue;
        for (let i = 0; i + 1 < pts.length; i++)
          if (crosses(pts[i].x, pts[i].y, pts[i + 1].x, pts[i + 1].y, r)) {
            found.push(`cable "${link}" passes under ${n}, which it does not connect`);
            break;
          }
      }
    }
    return found;
  };
  // Cut: an ancestor that clips (overflow hidden or clip) and does not
  // hold the whole picture; scrolling ancestors show all of it.
  const cut = svg => {
    const r = box(svg);
    for (let e = svg.parentElement; e && e !== document.documentElement; e = e.parentElement) {
      const st = getComputedStyle(e);
      if (/hidden|clip/.test(st.overflowX + st.overflowY) && !holds(box(e), r))
        return [`picture cut by ${e.nodeName.toLowerCase()}.${e.className}`];
    }
    return [];
  };
  let svgs = 0, texts = 0, arrows = 0, cablesSeen = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const sb = box(svg);
    bad.push(...cables(svg), ...cut(svg));
    const ts = [...svg.querySelectorAll('text')].filter(t => name(t) !== '');
    if (ts.length === 0) continue;
    svgs++;
    const rs = ts.map(box);
    texts += ts.length;
    ts.forEach((t, i) => {
      const r = rs[i];
      if (r.left < sb.left - eps || r.right > sb.right + eps ||
          r.top < sb.top - eps || r.bottom > sb.bottom + eps)
        bad.push(`text past its svg (${svg.getAttribute('class')}): "${name(t)}"`);
      for (let j = i + 1; j < ts.length; j++)
        if (meet(r, rs[j]))
          bad.push(`texts overlap (${svg.getAttribute('class')}): "${name(t)}" / "${name(ts[j])}"`);
    });
    const labels = ts.filter(t => t.classList.contains('label'));
    for (const l of svg.querySelectorAll('line.hop, line.encap')) {
      arrows++;
      const m = l.getScreenCTM();
      const pt = (x, y) => new DOMPoint(x, y).matrixTransform(m);
      const a = pt(+l.getAttribute('x1'), +l.getAttribute('y1'));
      const b = pt(+l.getAttribute('x2'), +l.getAttribute('y2'));
      for (const t of labels)
        if (crosses(a.x, a.y, b.x, b.y, box(t)))
          bad.push(`arrow crosses label: "${name(t)}"`);
    }
  }
  const out = document.createElement('pre');
  out.id = 'vethlab-layout';
  out.textContent = JSON.stringify({
    svgs, texts, arrows, cables: cablesSeen, bad,
    height: Math.ceil(document.documentElement.scrollHeight),
    // The widest picture's own width: a screenshot that wide shows it whole.
    widest: Math.ceil(Math.max(0, ...[...document.querySelectorAll('svg')].map(s => +s.getAttribute('width') || 0))),
    width: Math.ceil(document.documentElement.scrollWidth),
  });
  document.body.appendChild(out);
});
</script>
"""


def chromium(*args, timeout=120):
    if not CHROMIUM:
        sys.exit("browser.py: no chromium on PATH (apt-get install chromium)")
    cmd = [
        CHROMIUM,
        "--headless",
        # As root Chromium's sandbox cannot start; see the module docstring.
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        # Local files only: nothing may reach the network.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def measure(page):
    """The probe's verdict on `page`, as laid out by Chromium."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    if "</body>" not in text:
        raise SystemExit(f"{page}: no </body>")
    probed = text.replace("</body>", PROBE + "</body>", 1)
    # Beside the page, so its relative links stay what they are.
    fd, tmp = tempfile.mkstemp(suffix=".html", dir=os.path.dirname(os.path.abspath(page)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(probed)
        r = chromium(f"--window-size={WIDTH},1000", "--virtual-time-budget=5000",
                     "--dump-dom", "file://" + os.path.abspath(tmp))
    finally:
        os.unlink(tmp)
    m = re.search(r'<pre id="vethlab-layout">(.*?)</pre>', r.stdout, re.S)
    if not m:
        raise SystemExit(f"{page}: the probe wrote nothing (chromium exit {r.returncode})\n"
                         + r.stderr[-2000:])
    return json.loads(html.unescape(m.group(1)))


def screenshot(page, png, height, widest=0):
    height = max(600, min(height + 40, 16000))
    # Wide pictures scroll on the page; the screenshot is made wide enough
    # to show them whole.
    width = max(WIDTH, min(widest + 120, 4000))
    r = chromium(f"--window-size={width},{height}", f"--screenshot={os.path.abspath(png)}",
                 "file://" + os.path.abspath(page))
    if r.returncode != 0 or not os.path.exists(png):
        raise SystemExit(f"{page}: no screenshot\n{r.stderr[-2000:]}")


def hrefs(page):
    """Every href of `page` that does not resolve to a file from the page's
    own directory (links to other sites and to anchors are not files)."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    out = []
    base = os.path.dirname(os.path.abspath(page))
    for h in re.findall(r'href="([^"]*)"', text):
        h = html.unescape(h)
        if re.match(r"^[a-z]+:", h) or h.startswith("#"):
            continue
        if h.startswith("/"):
            out.append(f"href {h}: absolute, breaks when the folder moves")
            continue
        target = os.path.join(base, urllib.parse.unquote(h.split("#")[0]))
        if not os.path.isfile(target):
            out.append(f"href {h}: no such file from the page")
    return out


def verdict(page, v):
    """The problems with one page, as lines (none: it passes)."""
    out = list(v["bad"]) + hrefs(page)
    if v["svgs"] == 0 or v["texts"] == 0:
        out.append("no picture with text measured")
    return [f"{page}: {b}" for b in out]


BAD_PAGES = {
    # Each must be caught, by the rule named.
    "texts overlap": '<svg class="t" width="300" height="60"><text x="10" y="30">one label</text>'
                     '<text x="40" y="34">another</text></svg>',
    "text past its svg": '<svg class="t" width="120" height="60"><text x="10" y="30">'
                         'a label much longer than its picture</text></svg>',
    "arrow crosses label": '<svg class="ladder" width="400" height="60"><text class="label" '
                           'x="10" y="30">a label</text><line class="hop" x1="0" y1="26" '
                           'x2="300" y2="26" stroke="#000"/></svg>',
    "no picture with text measured": "<p>no picture at all</p>",
    "passes under": '<svg class="topology" width="400" height="120"><g class="iface" data-if="a:x">'
                    '<rect x="10" y="10" width="60" height="30"/><text x="12" y="30">x</text></g>'
                    '<g class="iface" data-if="b:y"><rect x="300" y="10" width="60" height="30"/>'
                    '<text x="302" y="30">y</text></g><g class="node" data-node="c"><rect x="150" '
                    'y="5" width="60" height="60"/><text x="152" y="90">c</text></g><polyline '
                    'class="cable tunnel" data-link="a:x b:y" points="70,25 300,25" stroke="#000"/></svg>',
    "an end not drawn": '<svg class="topology" width="300" height="60"><g class="iface" data-if="a:x">'
                        '<rect x="10" y="10" width="60" height="30"/><text x="12" y="30">x</text></g>'
                        '<polyline class="cable veth" data-link="a:x b:gone" points="70,25 200,25"/></svg>',
    "does not join peers": '<svg class="topology" width="400" height="60"><g class="iface" data-if="a:x" '
                           'data-peer="b:z"><rect x="10" y="10" width="60" height="30"/><text x="12" '
                           'y="30">x</text></g><g class="iface" data-if="b:y"><rect x="300" y="10" '
                           'width="60" height="30"/><text x="302" y="30">y</text></g><polyline '
                           'class="cable veth" data-link="a:x b:y" points="70,25 300,25"/></svg>',
    "picture cut": '<div style="width:100px;overflow:hidden"><svg class="t" width="300" height="60">'
                   '<text x="10" y="30">wide</text></svg></div>',
    "no such file": '<svg class="t" width="300" height="60"><text x="10" y="30">one</text></svg>'
                    '<a href="pcaps/nowhere.pcapng">x</a>',
    "absolute": '<svg class="t" width="300" height="60"><text x="10" y="30">one</text></svg>'
                '<a href="/etc/hostname">x</a>',
}
GOOD_PAGE = ('<svg class="t" width="300" height="80"><text x="10" y="30">one label</text>'
             '<text class="label" x="10" y="60">another</text>'
             '<line class="hop" x1="200" y1="20" x2="280" y2="60" stroke="#000"/></svg>'
             # A cable around a box, into the box holding its end; a link that resolves.
             '<svg class="topology" width="400" height="120"><g class="node" data-node="a"><rect '
             'x="5" y="5" width="80" height="50"/><text x="8" y="100">a</text></g><g class="iface" '
             'data-if="a:x" data-peer="b:y"><rect x="10" y="10" width="60" height="30"/><text x="12" '
             'y="30">x</text></g><g class="iface" data-if="b:y" data-peer="a:x"><rect x="300" y="10" '
             'width="60" height="30"/><text x="302" y="30">y</text></g><g class="node" data-node="c">'
             '<rect x="150" y="5" width="60" height="60"/><text x="152" y="90">c</text></g><polyline '
             'class="cable veth" data-link="a:x b:y" points="70,25 120,25 120,110 250,110 250,25 300,25"/>'
             '</svg><a href="self-test-page.html">itself</a><a href="https://example.org/">out</a>')


def self_test(d):
    """The check fails each broken page for its reason, and passes a good one."""
    wrong = []
    for rule, body in [*BAD_PAGES.items(), ("", GOOD_PAGE)]:
        p = os.path.join(d, "self-test-page.html")
        with open(p, "w") as f:
            f.write(f'<!DOCTYPE html><html><body style="font-family:monospace">{body}</body></html>')
        found = verdict(p, measure(p))
        if rule and not any(rule in x for x in found):
            wrong.append(f"a page where {rule!r} was not caught: {found}")
        if not rule and found:
            wrong.append(f"a good page failed: {found}")
        print(f"self-test: {rule or 'a good page'}: {'caught' if found else 'passes'}")
    return wrong


def picture(page, which, png):
    """One picture of a page alone, at its own size: `topology`, or the
    ladder of the step named `which` (for the README's screenshots)."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    kind, _, step = which.rpartition(":") if which.startswith("topology") else ("", "", which)
    if kind == "" and which == "topology":
        kind, step = "topology", ""
    if kind == "topology":
        # A step's topology (`topology:STEP`), or the first one.
        sel = f'<svg class="topology" data-step="{html.escape(step)}"' if step else '<svg class="topology"'
        if sel not in text:
            raise SystemExit(f"{page}: no topology {step}")
        at = text.index(sel)
        extra = text[text.index('<ul class="legend">'):]
        extra = extra[:extra.index("</ul>") + 5]
    else:
        sec = re.search(r'<section><h2 class="\w+">\w+ ' + re.escape(step) + r" ", text)
        if not sec:
            raise SystemExit(f"{page}: no step {step}")
        at = text.index('<svg class="ladder"', sec.start())
        extra = ""
    svg = text[at:text.index("</svg>", at) + 6]
    w, h = (float(x) for x in re.match(r'<svg[^>]* width="([0-9.]+)" height="([0-9.]+)"', svg).groups())
    fd, tmp = tempfile.mkstemp(suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:8px;'
                'font-family:sans-serif;font-size:13px}ul{list-style:none;padding:0}'
                f'svg{{vertical-align:middle}}</style></head><body>{svg}{extra}</body></html>')
    try:
        r = chromium(f"--window-size={int(w) + 16},{int(h) + 16 + (150 if extra else 0)}",
                     f"--screenshot={os.path.abspath(png)}", "file://" + tmp)
    finally:
        os.unlink(tmp)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])


def main(argv):
    if argv[:1] == ["--picture"] and len(argv) == 4:
        picture(*argv[1:])
        return 0
    if argv[:1] == ["--hrefs-only"]:
        bad = [f"{p}: {x}" for p in argv[1:] for x in hrefs(p)]
        n = sum(len(re.findall(r'href="', open(p, encoding="utf-8").read())) for p in argv[1:])
        print("\n".join(bad))
        print(f"browser: {n} hrefs in {len(argv) - 1} pages, {len(bad)} not resolving")
        return 1 if bad or n == 0 else 0
    shots = None
    pages = []
    run_self_test = False
    it = iter(argv)
    for a in it:
        if a == "--shots":
            shots = next(it)
        elif a == "--self-test":
            run_self_test = True
        else:
            pages.append(a)
    problems = []
    if run_self_test:
        with tempfile.TemporaryDirectory() as d:
            problems += self_test(d)
        if problems:
            print("\n".join(problems))
            print("the browser check itself is broken")
            return 1
    if shots:
        os.makedirs(shots, exist_ok=True)
    cables = 0
    for p in pages:
        if os.path.basename(p) == "index.html":
            # The run's index: no picture, only links that must resolve.
            found = [f"{p}: {x}" for x in hrefs(p)]
            problems += found
            print(f"{p}: index, " + ("ok" if not found else f"{len(found)} problems"))
            continue
        v = measure(p)
        found = verdict(p, v)
        problems += found
        cables += v["cables"]
        print(f"{p}: {v['svgs']} pictures, {v['texts']} texts, {v['arrows']} arrows, "
              f"{v['cables']} cables: " + ("ok" if not found else f"{len(found)} problems"))
        if shots:
            png = os.path.join(shots, os.path.basename(p).removesuffix(".html") + ".png")
            screenshot(p, png, v["height"], v.get("widest", 0))
    if pages and cables == 0:
        problems.append("browser: no cable measured on any page (the cable checks ran on nothing)")
    for x in problems:
        print(x)
    bad_pages = len({x.split(": ")[0] for x in problems})
    print(f"browser: {len(pages) - bad_pages} of {len(pages)} pages laid out cleanly")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
