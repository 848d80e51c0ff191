"""``make bench``: run the quick configuration of every benchmark, one after the other.

Each entry is a real benchmark script with small arguments (minutes on a laptop CPU, no API key,
no model download beyond the packaged MiniLM); every script prints what it measures and writes
its JSON + Markdown under ``benchmarks/results/`` as usual. The full configurations (the figures
in the README and docs) are the scripts' defaults; run them one by one.

Usage::

    python benchmarks/run_all.py                 # every quick benchmark
    python benchmarks/run_all.py --only skill_router_bench learning_demo
    python benchmarks/run_all.py --list

A benchmark whose data is missing (ALFWorld games, LoCoMo, ARC under ``$AGENTMEM_DATA``) fails
on its own and the run goes on; the summary at the end lists each script's exit status and time,
and the exit status is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK_OUT = ROOT / "benchmarks" / "results" / "quick"

#: script -> arguments of its quick configuration.
QUICK: dict[str, list[str]] = {
    "learning_demo": ["--seeds", "1", "--rounds", "3", "--train-tasks", "20", "--test-tasks", "60", "--out", str(QUICK_OUT)],
    "skill_router_bench": ["--seeds", "1", "--embedder", "hash", "--train", "300", "--test", "100", "--epochs", "40", "--out", str(QUICK_OUT)],
    "memskill_controller_bench": ["--seeds", "1", "--embedder", "hash", "--k", "2", "--updates", "10", "--test-spans", "60", "--out", str(QUICK_OUT)],
    "recall_latency_bench": ["--sizes", "2000", "--queries", "50", "--out", str(QUICK_OUT)],
    "index_bench": ["--sizes", "2000", "--queries", "50", "--embed-sample", "200", "--out", str(QUICK_OUT)],
    "skills_overhead": ["--repeats", "3", "--out", str(QUICK_OUT)],
    "subroutine_scale_bench": ["--scales", "5000", "--systems", "agentmem", "--queries", "50", "--minilm-sample", "0", "--out", str(QUICK_OUT)],
    "behavior_dedup_threshold": [],
    "locomo_context": ["--embedder", "hash", "--out", str(QUICK_OUT)],
    "alfworld_expert": ["--limit", "5", "--out", str(QUICK_OUT)],
    "arc_skills_bench": ["--train-limit", "10", "--eval-split", "eval100", "--workers", "1", "--max-candidates", "5000", "--max-seconds", "5",
                         "--work", str(ROOT / ".bench" / "arc_skills_quick"), "--results", str(QUICK_OUT)],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", default=None, help="Run only these scripts (names without .py).")
    ap.add_argument("--list", action="store_true", help="List the quick configurations and exit.")
    ap.add_argument("--timeout", type=float, default=1800, help="Seconds allowed per script.")
    args = ap.parse_args(argv)
    names = args.only or list(QUICK)
    unknown = [n for n in names if n not in QUICK]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; known: {', '.join(QUICK)}")
    if args.list:
        for n in names:
            print(f"{n}.py {' '.join(QUICK[n])}")
        return 0
    QUICK_OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    summary: list[tuple[str, int, float]] = []
    for n in names:
        cmd = [sys.executable, str(ROOT / "benchmarks" / f"{n}.py"), *QUICK[n]]
        print(f"\n=== {n}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        try:
            rc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=args.timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            rc = 124
        summary.append((n, rc, time.perf_counter() - t0))
    print("\nbenchmark                      status   seconds")
    for n, rc, secs in summary:
        print(f"{n:30} {'ok' if rc == 0 else f'exit {rc}':8} {secs:8.1f}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"machine load (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if all(rc == 0 for _, rc, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
