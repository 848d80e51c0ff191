"""What one ``Memory.remember`` costs as the home grows: the controller's whole write path
(validation, gate, journal pre-image, the fact store's files and index, audit row, provenance).

Two growth modes, both measured with the same remember loop afterwards:

* ``--sizes``: a home whose fact store is seeded with N facts through the store's own insert (fast
  seeding; the controller then meets a store of N item files it never wrote);
* ``--provenance-runs``: a home grown *through* ``Memory.remember`` itself (audit and provenance
  grow with it), reporting the per-remember p50 in windows, so a cost that grows with history shows.

The hash embedder keeps the embedding out of the figure (it is the same at every size); the point
is what grows with N. Prints a table and writes JSON + Markdown to ``benchmarks/results/``.

    python benchmarks/write_path_bench.py --sizes 300,3000,30000 --remembers 30 --provenance-runs 3000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentmem.memory import Memory  # noqa: E402
from agentmem.settings import Settings  # noqa: E402
from agentmem.stores.facts import FactStore  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def _home(root: str) -> tuple[Settings, FactStore]:
    s = Settings.load(home=root, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    return s, FactStore.from_settings(s)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def seeded(n: int, remembers: int) -> dict:
    with tempfile.TemporaryDirectory() as root:
        s, fs = _home(root)
        t = time.perf_counter()
        for i in range(n):
            fs.insert(f"seed fact number {i} about topic {i % 97}", namespace=s.namespace)
        seed_s = time.perf_counter() - t
        mem = Memory.from_settings(s, stores=[fs])
        ts = []
        for i in range(remembers):
            t = time.perf_counter()
            mem.remember(f"new fact {i} learned today")
            ts.append(time.perf_counter() - t)
        rest = ts[1:] or ts
        return {"n": n, "seed_s": round(seed_s, 2), "first_ms": round(1000 * ts[0], 1), "p50_ms": round(1000 * statistics.median(rest), 1),
                "p95_ms": round(1000 * _pct(rest, 0.95), 1)}


def grown(runs: int, window: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as root:
        s, fs = _home(root)
        mem = Memory.from_settings(s, stores=[fs])
        win: list[float] = []
        for i in range(runs):
            t = time.perf_counter()
            mem.remember(f"new fact {i} learned today about {i % 53}")
            win.append(time.perf_counter() - t)
            if (i + 1) % window == 0:
                prov = sum(os.path.getsize(p) for p in (Path(root) / "provenance.json", Path(root) / "provenance.log") if p.exists())
                rows.append({"after": i + 1, "p50_ms": round(1000 * statistics.median(win), 1), "p95_ms": round(1000 * _pct(win, 0.95), 1), "provenance_kb": prov // 1024})
                print(f"  grown through remember: {rows[-1]}", flush=True)
                win = []
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="300,3000,30000", help="comma-separated fact counts for seeded homes")
    ap.add_argument("--remembers", type=int, default=30, help="remembers timed per seeded home")
    ap.add_argument("--provenance-runs", type=int, default=3000, help="remembers for the grown-through-remember home (0: skip)")
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--name", default="write_path")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    cpu0 = time.process_time()
    seeded_rows = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        r = seeded(n, args.remembers)
        print(f"  seeded {n:,}: {r}", flush=True)
        seeded_rows.append(r)
    grown_rows = grown(args.provenance_runs, args.window) if args.provenance_runs else []
    res = {"seeded": seeded_rows, "grown": grown_rows, "load_start": load0, "load_end": os.getloadavg()[0], "cpu_s": round(time.process_time() - cpu0, 1),
           "command": " ".join(sys.argv)}
    lines = [f"# Memory.remember cost as the home grows\n\n`{res['command']}`; load {load0:.1f} → {res['load_end']:.1f}; {res['cpu_s']} CPU-s.\n",
             "| facts in store (seeded) | first remember ms | p50 ms | p95 ms |", "|---|---|---|---|"]
    lines += [f"| {r['n']:,} | {r['first_ms']} | {r['p50_ms']} | {r['p95_ms']} |" for r in seeded_rows]
    if grown_rows:
        lines += ["", "| remembers so far (grown through remember) | p50 ms in window | p95 ms | provenance KB |", "|---|---|---|---|"]
        lines += [f"| {r['after']:,} | {r['p50_ms']} | {r['p95_ms']} | {r['provenance_kb']} |" for r in grown_rows]
    md = "\n".join(lines) + "\n"
    print(md)
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.name}.json").write_text(json.dumps(res, indent=1))
    (OUT / f"{args.name}.md").write_text(md)


if __name__ == "__main__":
    main()
