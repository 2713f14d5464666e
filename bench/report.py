#!/usr/bin/env python3
"""Table of one benchmark set: lines "name wall_seconds peak_rss_kib" on stdin.
usage: report.py TITLE FILES REFERENCE"""
import sys

title, files, ref = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l.rsplit(None, 2) for l in sys.stdin if l.strip()]
ours = next(float(w) for n, w, r in rows if n == ref)
print(f"\n{title}")
print(f"{'program':<28}{'wall s':>9}{'peak RSS':>12}{'B/file':>9}  ratio")
for n, w, r in rows:
    w, r = float(w), int(r)
    if n == ref:
        rel = "-"
    elif n.startswith("cat"):
        rel = f"{ref} runs at {w / ours:.2f}x the throughput of {n}"
    else:
        rel = f"{w / ours:.2f}x the time of {ref}"
    print(f"{n:<28}{w:>9.2f}{r / 1024:>10.1f}MB{r * 1024 / max(files, 1):>9.0f}  {rel}")
