"""Where the time of one ``Memory.remember`` goes: fsyncs by caller, the item's embedding, the rest.

Opens a home through :class:`~agentmem.mcp_server.MemoryService` (the production wiring), warms it
(one recall, one remember), then runs ``--steps`` remembers with ``os.fsync`` and the embedder's
model call wrapped, and prints per remember: wall and CPU ms, the number of fsyncs and their ms
grouped by the function that asked for them, the model's ms, the time the calling thread was
blocked on the disk (its own fsyncs plus waits for the overlapped ones), and optionally a cProfile
top list. ``--inline`` runs the write path without overlapped fsyncs (as before they existed: every
fsync waited for in turn, the item embedded before its write).

    nice python benchmarks/remember_profile.py --home .bench/recall/home-10000 --steps 40
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--namespace", default="bench/agent")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--profile", action="store_true", help="Also print a cProfile top list of the remembers.")
    ap.add_argument("--inline", action="store_true", help="No overlapped fsyncs and no embedding during them (the write path before them).")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings

    settings = Settings.load(home=args.home, namespace=args.namespace).ensure_home()
    svc = MemoryService(settings)
    mem = svc.memory()
    tag = f"{os.getpid()}-{int(time.time())}"
    mem.recall(f"warm up question {tag}")
    mem.remember(f"warm-up note {tag}", namespace=args.namespace)

    fsyncs: dict[str, list[float]] = defaultdict(list)
    real_fsync = os.fsync
    import threading

    import agentmem.fileio as fileio
    import agentmem.learning.provenance as provenance
    import agentmem.retrieval.write_buffer as write_buffer

    if args.inline:
        def no_group(*a, **kw) -> bool:  # noqa: ANN002, ANN003, ARG001
            return False

        fileio.defer_fsync = write_buffer.defer_fsync = provenance.defer_fsync = no_group  # type: ignore[assignment]
        fileio.while_syncing = no_group  # type: ignore[assignment]
    main = threading.main_thread()
    blocked: list[float] = []
    real_wait = fileio._wait

    def timed_wait(pending):  # noqa: ANN001, ANN202
        t0 = time.perf_counter()
        try:
            return real_wait(pending)
        finally:
            blocked.append(1000 * (time.perf_counter() - t0))

    fileio._wait = timed_wait

    def timed_fsync(fd: int) -> None:
        t0 = time.perf_counter()
        real_fsync(fd)
        dt = 1000 * (time.perf_counter() - t0)
        if threading.current_thread() is main:
            blocked.append(dt)
        frames = [f for f in traceback.extract_stack(limit=6)[:-1] if "agentmem" in f.filename]
        where = " < ".join(f"{Path(f.filename).stem}.{f.name}" for f in reversed(frames[-3:])) or "?"
        fsyncs[where].append(dt)

    os.fsync = timed_fsync  # type: ignore[assignment]
    model_ms: list[float] = []
    import agentmem.retrieval.embedder as embedder_mod

    real_encode = getattr(embedder_mod, "encode_normalized", None)
    if real_encode is not None:  # the adapter's model call (a tree from before it existed: no model times)
        def timed_encode(*a, **kw):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            out = real_encode(*a, **kw)
            model_ms.append(1000 * (time.perf_counter() - t0))
            return out

        embedder_mod.encode_normalized = timed_encode  # type: ignore[assignment]
    wall, cpu = [], []
    prof = cProfile.Profile() if args.profile else None
    for j in range(args.steps):
        text = f"profile note {j} ({tag}): the quick brown fox {j} jumps over the lazy dog number {j * 7}"
        c0, t0 = time.process_time(), time.perf_counter()
        if prof is not None:
            prof.enable()
        mem.remember(text, namespace=args.namespace)
        if prof is not None:
            prof.disable()
        wall.append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
    os.fsync = real_fsync  # type: ignore[assignment]
    n = args.steps
    out = {
        "home": str(args.home), "steps": n, "load": [round(x, 2) for x in os.getloadavg()],
        "remember_wall_ms": {"p50": round(float(np.percentile(wall, 50)), 1), "p95": round(float(np.percentile(wall, 95)), 1), "mean": round(float(np.mean(wall)), 1)},
        "remember_cpu_ms_mean": round(float(np.mean(cpu)), 1),
        "model_ms_per_remember": round(sum(model_ms) / n, 1), "model_calls_per_remember": round(len(model_ms) / n, 2),
        "fsyncs_per_remember": round(sum(len(v) for v in fsyncs.values()) / n, 2),
        "fsync_ms_per_remember": round(sum(sum(v) for v in fsyncs.values()) / n, 1),
        "blocked_on_disk_ms_per_remember": round(sum(blocked) / n, 1), "write_path": "inline" if args.inline else "overlapped",
        "fsync_by_caller": {k: {"per_remember": round(len(v) / n, 2), "ms_mean": round(float(np.mean(v)), 2), "ms_p95": round(float(np.percentile(v, 95)), 2)} for k, v in sorted(fsyncs.items(), key=lambda kv: -sum(kv[1]))},
    }
    print(json.dumps(out, indent=2))
    if prof is not None:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("PROFILE_TOP", "45")))
        print(s.getvalue())


if __name__ == "__main__":
    main()
