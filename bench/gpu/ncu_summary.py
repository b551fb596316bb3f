#!/usr/bin/env python3
"""Sums Nsight Compute's per-launch kernel times (ncu --csv --metrics gpu__time_duration.sum) by
kernel name and launch shape: where a GpuRnn pass spends its GPU time, largest first.
    python3 bench/gpu/ncu_summary.py ncu.csv
"""
import csv, collections, sys


def main(path):
    rows = [line for line in open(path, encoding="utf-8", errors="replace") if line.startswith('"')]
    table = collections.defaultdict(lambda: [0, 0.0])
    for r in csv.DictReader(rows):
        if r.get("Metric Name") != "gpu__time_duration.sum":
            continue
        key = (r["Kernel Name"][:70], r["Grid Size"], r["Block Size"])
        table[key][0] += 1
        table[key][1] += float(r["Metric Value"].replace(",", "")) / 1000.0  # ns -> us
    total = sum(v[1] for v in table.values())
    print(f"{'kernel':70} {'grid':>16} {'block':>12} {'launches':>8} {'total us':>10} {'us each':>9} {'share':>6}")
    for (name, grid, block), (count, us) in sorted(table.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:70} {grid:>16} {block:>12} {count:8d} {us:10.1f} {us / count:9.2f} {100 * us / total:5.1f}%")
    print(f"total GPU time {total:.1f} us over {sum(v[0] for v in table.values())} launches")


if __name__ == "__main__":
    main(sys.argv[1])
