#!/usr/bin/env python3
"""Draws qurable-http-bench's output as an SVG bar chart (no dependencies beyond Python 3).

    build/benchmarks/http/qurable-http-bench > http-bench.txt
    benchmarks/http/chart.py http-bench.txt docs/performance-http.svg

One bar per server (requests/s), grouped by HTTP stack, bare servers in grey; each bar is labelled with its
requests/s and p50/p99 latency, and each example with its ratio to its bare stack from the `summary:` line.
"""
import re
import sys
from html import escape


def parse(text):
    rows, ratios = [], {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 5 and re.fullmatch(r"[0-9]+", cells[2]):
            rows.append({"server": cells[0], "stack": cells[1], "rps": float(cells[2]),
                         "p50": float(cells[3]), "p99": float(cells[4])})
        elif line.startswith("summary:"):
            for name, value in re.findall(r"(\S+)_vs_bare=([0-9.]+)", line):
                ratios[name] = float(value)
    return rows, ratios


def svg(rows, ratios, title):
    bar_h, gap, group_gap, left, right, top = 22, 6, 16, 170, 290, 48
    width = 900
    plot_w = width - left - right
    peak = max(r["rps"] for r in rows) or 1.0
    y, parts, stack = top, [], None
    for r in rows:
        if r["stack"] != stack:
            if stack is not None:
                y += group_gap
            stack = r["stack"]
            parts.append(f'<text x="8" y="{y + 14}" font-weight="bold">{escape(stack)}</text>')
            y += 20
        bare = r["server"].startswith("bare_")
        w = max(1.0, plot_w * r["rps"] / peak)
        color = "#9e9e9e" if bare else "#1f77b4"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(r["server"])}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        label = f'{r["rps"]:,.0f} req/s  p50 {r["p50"]:.2f} ms  p99 {r["p99"]:.1f} ms'
        if r["server"] in ratios:
            label += f'  ({ratios[r["server"]]:.2f}x bare)'
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}">{escape(label)}</text>')
        y += bar_h + gap
    height = y + 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="8" y="22" font-size="15" font-weight="bold">{escape(title)}</text>\n')
    return head + "\n".join(parts) + "\n</svg>\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py BENCH_OUTPUT.txt OUT.svg")
    with open(sys.argv[1], encoding="utf-8") as f:
        rows, ratios = parse(f.read())
    if not rows:
        sys.exit("chart.py: no result rows in " + sys.argv[1])
    title = "Receiver examples vs bare servers of their stacks: requests/s, 16 keep-alive connections, loopback"
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(svg(rows, ratios, title))


if __name__ == "__main__":
    main()
