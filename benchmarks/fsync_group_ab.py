"""Two versions of ``agentmem/fileio.py`` side by side in one process: the CPU and wall time of one
overlap fsync group shaped like a ``remember``'s (a journal line, an atomic write, a second journal
line, a second atomic write), the two versions alternating in random order.

    git show 37cdef0:agentmem/fileio.py > /tmp/fileio_old.py
    nice python benchmarks/fsync_group_ab.py --a /tmp/fileio_old.py --b agentmem/fileio.py --groups 800

Run it twice with --a and --b swapped, so neither version always loads first.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _load(name: str, path: Path):  # noqa: ANN202 - a module
    import agentmem  # noqa: F401 - the package the module's relative imports resolve in

    spec = importlib.util.spec_from_file_location(f"agentmem.{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _group(m, root: str, j: int) -> None:  # noqa: ANN001
    with m.fsync_group(), open(f"{root}/log", "a") as fh:
        fh.write("P line\n")
        fh.flush()
        m.fsync_barrier(fh.fileno())
        m.atomic_write_bytes(f"{root}/items/i{j % 50}.json", b"{}" * 100)
        fh.write("line\n")
        fh.flush()
        m.fsync_barrier(fh.fileno())
        m.atomic_write_bytes(f"{root}/buf{j % 3}.json", b"[]" * 50)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", type=Path, required=True, help="One fileio.py.")
    ap.add_argument("--b", type=Path, required=True, help="The other.")
    ap.add_argument("--groups", type=int, default=800)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    arms = {"a": _load("fileio_ab_a", args.a), "b": _load("fileio_ab_b", args.b)}
    rng = random.Random(args.seed)
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    wall: dict[str, list[float]] = {k: [] for k in arms}
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as root:
        for j in range(args.groups):
            order = list(arms)
            rng.shuffle(order)
            for k in order:
                c0, t0 = time.process_time(), time.perf_counter()  # process time: the fsync threads' CPU too
                _group(arms[k], root, j)
                cpu[k].append(1000 * (time.process_time() - c0))
                wall[k].append(1000 * (time.perf_counter() - t0))
    print(json.dumps({
        "groups": args.groups, "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()],
        **{k: {"file": str(getattr(args, k)), "cpu_ms_mean": round(statistics.mean(cpu[k]), 3), "cpu_ms_p50": round(statistics.median(cpu[k]), 3),
               "wall_ms_p50": round(statistics.median(wall[k]), 2), "wall_ms_mean": round(statistics.mean(wall[k]), 2)} for k in arms},
    }, indent=2))


if __name__ == "__main__":
    main()
