#!/usr/bin/env python3
"""Checks a chart page as Chromium rendered it (--dump-dom) against the database.

usage: check_chart.py DOM_FILE DB_CSV SERIES...

DB_CSV: `COPY (SELECT date, open, high, low, close, volume, <columns>...) TO STDOUT CSV HEADER`
for the symbol, ordered by date, restricted to the chart's range. SERIES: the line series that must
be drawn (data-series of a <path class="l">). Checks that:
  - the page's script ran (svg data-ready="1");
  - the page's JSON (#chart-data) holds exactly the database's dates and values (same doubles);
  - every drawn line, inverted through its panel's scale (data-top/height/min/max) and the x
    scale (data-x0/step), lands on the JSON value of its bar within 0.01 px.
Prints a summary line; exits 1 with the first difference.
"""
import csv
import html.parser
import json
import math
import re
import sys


def fail(msg):
    print("check_chart: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None
        self.panels = []  # stack of (panel attrs) for open <g>
        self.paths = []  # (series, class, d, panel attrs)
        self.in_json = False
        self.json = ""
        self.levels = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("id") == "chart":
            self.svg = a
        elif tag == "g":
            self.panels.append(a if "data-panel" in a else None)
        elif tag == "path" and "data-series" in a:
            panel = next((p for p in reversed(self.panels) if p), None)
            self.paths.append((a["data-series"], a.get("class", ""), a.get("d", ""), panel))
        elif tag == "line" and "data-level" in a:
            panel = next((p for p in reversed(self.panels) if p), None)
            self.levels.append((panel["data-panel"] if panel else None, a["data-level"]))
        elif tag == "script" and a.get("id") == "chart-data":
            self.in_json = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "g":
            self.panels.pop()

    def handle_endtag(self, tag):
        if tag == "g" and self.panels:
            self.panels.pop()
        elif tag == "script":
            self.in_json = False

    def handle_data(self, data):
        if self.in_json:
            self.json += data


def main():
    if len(sys.argv) < 3:
        fail("usage: check_chart.py DOM_FILE DB_CSV SERIES...")
    dom = Dom()
    with open(sys.argv[1], encoding="utf-8") as f:
        dom.feed(f.read())
    if dom.svg is None:
        fail("no <svg id=chart> in the page")
    if dom.svg.get("data-ready") != "1":
        fail("the page's script did not run to its end (svg data-ready is not 1)")
    data = json.loads(dom.json)
    with open(sys.argv[2], newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if data["dates"] != [r[0] for r in rows]:
        fail("dates differ: page %d (%s..%s), database %d" % (
            len(data["dates"]), data["dates"][:1], data["dates"][-1:], len(rows)))
    values = 0
    for key, series in data["series"].items():
        if key not in header:
            fail("series %s of the page is not in the database extract %s" % (key, header))
        j = header.index(key)
        for i, r in enumerate(rows):
            want = float(r[j]) if r[j] != "" else None
            got = series[i]
            if got is None or want is None:
                if got is not want:
                    fail("%s %s: page %r, database %r" % (key, rows[i][0], got, r[j]))
                continue
            if float(got) != want:
                fail("%s %s: page %r, database %r" % (key, rows[i][0], got, r[j]))
            values += 1
    x0 = float(dom.svg["data-x0"])
    step = float(dom.svg["data-step"])
    drawn = {}
    for key, cls, d, panel in dom.paths:
        if "l" not in cls.split():
            continue
        if panel is None:
            fail("path %s outside a panel" % key)
        top, height = float(panel["data-top"]), float(panel["data-height"])
        lo, hi = float(panel["data-min"]), float(panel["data-max"])
        series = data["series"][key]
        tolerance = (hi - lo) / height * 0.01
        points = re.findall(r"[ML](-?[0-9.]+),(-?[0-9.]+)", d)
        finite = sum(1 for v in series if v is not None)
        if len(points) != finite:
            fail("%s: %d points drawn, %d values" % (key, len(points), finite))
        for xs, ys in points:
            i = round((float(xs) - x0) / step - 0.5)
            if abs((float(xs) - x0) / step - 0.5 - i) > 0.01:
                fail("%s: x %s is not on a bar" % (key, xs))
            value = hi - (float(ys) - top) / height * (hi - lo)
            if series[i] is None or abs(value - series[i]) > tolerance:
                fail("%s %s: drawn at %s (= %r), value %r" % (key, data["dates"][i], ys, value, series[i]))
        drawn[key] = (panel["data-panel"], len(points))
    for key in sys.argv[3:]:
        if key not in drawn or drawn[key][1] == 0:
            fail("series %s is not drawn (drawn: %s)" % (key, sorted(drawn)))
    if ("rsi", "30") not in dom.levels or ("rsi", "70") not in dom.levels:
        fail("the RSI panel lacks its 30/70 lines: %s" % dom.levels)
    print("check_chart: %d bars, %d values equal to the database, %d lines checked point by point: %s"
          % (len(rows), values, len(drawn), ", ".join("%s(%s)" % (k, v[0]) for k, v in sorted(drawn.items()))))


if __name__ == "__main__":
    main()
