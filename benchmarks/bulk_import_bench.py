"""Build a large home through the bulk import path (``agentmem.bulk_import``), for the recall benchmark.

Writes the items of ``recall_latency_bench.py``'s home of N items (LoCoMo turns replicated to N
with distinct suffixes, ids ``f0000000``...) as a JSON Lines file and imports it with
:meth:`Memory.import_file` into ``<workdir>/home-N``: batches of ``add_item`` edits through the
reflective controller (journal, audit, provenance), one group commit and one index write per
batch. The home then carries the marker ``recall_latency_bench.py --reuse-homes`` looks for, so

    nice python benchmarks/bulk_import_bench.py --size 1000000 --workdir W
    nice python benchmarks/recall_latency_bench.py --sizes 1000000 --floor-sizes --reuse-homes --workdir W ...

measures recall on it. Item vectors: by default the recall bench's **pre-computed** ones (each
item's source turn's MiniLM vector plus 0.02 noise, written into the home's embedding cache before
the import, so the importer's embedder finds them there: MiniLM on this CPU embeds about 50 texts
per CPU-second, 1M texts would take about 20,000 CPU-seconds); ``--real-embeddings`` lets MiniLM
embed every text during the import instead (what a user's import costs). Progress, CPU seconds,
memory and load are logged per batch; results go to ``benchmarks/results/bulk_import_<N>.{json,md}``.
``--limit-s`` stops starting new batches after that many seconds (the import is resumable: a rerun
goes on from there); the home's marker then records the rows imported so far only when they form
the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--real-embeddings", action="store_true", help="Let MiniLM embed every text during the import (no pre-computed vectors).")
    ap.add_argument("--limit-s", type=float, default=None, help="Stop starting batches after this many seconds (resumable).")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    import recall_latency_bench as rlb

    from agentmem.bulk_import import BulkImporter
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.retrieval import DiskCachedEmbedder
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.settings import Settings

    load0 = os.getloadavg()
    c_start, t_start = time.process_time(), time.perf_counter()
    n = args.size
    home = args.workdir / f"home-{n}"
    home.mkdir(parents=True, exist_ok=True)
    convs = load_locomo(args.data)
    turns = [t.render() for c in convs for t in c.turns]
    texts: list[str]
    if args.real_embeddings:
        texts = [turns[j % len(turns)] + ("" if j < len(turns) else f" (#{j // len(turns)})") for j in range(n)]
        prep = "texts only (MiniLM embeds them during the import)"
    else:
        live = MiniLMEmbedder()
        cached = DiskCachedEmbedder(live, Settings.load().paths.cache / f"locomo-embeddings-{live.name.replace(':', '_')}.npz")
        base = np.asarray(cached.embed(turns), dtype=np.float32)
        cached.save()
        texts, vecs, _ = rlb.seed_home(home, n, turns, base, write=False)
        rlb.seed_embedding_cache(rlb.settings_for(home), texts, vecs)
        del vecs
        prep = "pre-computed vectors (source turn's MiniLM vector + 0.02 noise) written into the home's embedding cache"
    jsonl = args.workdir / f"items-{n}.jsonl"
    if not jsonl.is_file():
        tmp = jsonl.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for j, t in enumerate(texts):
                fh.write(json.dumps({"id": f"f{j:07d}", "text": t}, ensure_ascii=False) + "\n")
        os.replace(tmp, jsonl)
    del texts
    prep_s = time.perf_counter() - t_start
    prep_cpu = time.process_time() - c_start
    print(f"[{n}] prepared in {prep_s:.0f}s ({prep_cpu:.0f} CPU-s): {prep}", flush=True)

    settings = rlb.settings_for(home)
    svc, _stores, memory = rlb.open_memory(settings)
    importer = BulkImporter(memory, "facts", batch_size=args.batch_size)
    log: list[dict] = []
    printed: list[int] = []
    t_imp, c_imp = time.perf_counter(), time.process_time()

    class Stop(Exception):
        pass

    def progress(done: int, total: int, rep) -> None:  # noqa: ANN001
        el = time.perf_counter() - t_imp
        row = {"rows": done, "total": total, "added": rep.added, "skipped": rep.skipped_existing, "wall_s": round(el, 1),
               "cpu_s": round(time.process_time() - c_imp, 1), "rss_mb": rss_mb(), "load_1m": round(os.getloadavg()[0], 2)}
        if not printed or done - printed[-1] >= 20 * args.batch_size or done == total:
            print(json.dumps(row), flush=True)
            printed.append(done)
        log.append(row)
        if args.limit_s is not None and el > args.limit_s and done < total:
            raise Stop

    stopped = False
    try:
        report = importer.import_file(jsonl, namespace=rlb.NS, progress=progress)
    except Stop:
        stopped = True
        report = importer.last_report
    wall, cpu = time.perf_counter() - t_imp, time.process_time() - c_imp
    svc.close()
    count = svc.facts.hybrid.index.count(svc.facts.hybrid.collection)
    last = log[-1] if log else {}
    if not stopped:
        (home / ".bench-seeded").write_text(str(n))
    out = {
        "size": n, "batch_size": args.batch_size, "vectors": "real MiniLM during the import" if args.real_embeddings else prep,
        "stopped_by_limit": stopped, "rows_done": last.get("rows"), "added_this_run": last.get("added"), "skipped_this_run": last.get("skipped"),
        "vectors_in_index": count, "import_wall_s": round(wall, 1), "import_cpu_s": round(cpu, 1),
        "cpu_ms_per_added_item": round(1000 * cpu / max(1, last.get("added") or 1), 2), "prepare_s": round(prep_s, 1), "prepare_cpu_s": round(prep_cpu, 1),
        "report": report.model_dump() if report is not None else None, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()], "machine": f"{platform.machine()}, {os.cpu_count()} cores shared",
        "command": "python " + " ".join(sys.argv), "progress": log[:: max(1, len(log) // 50)],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"bulk_import_{n}{args.tag}"
    (args.out / f"{stem}.json").write_text(json.dumps(out, indent=2))
    lines = [f"# Bulk import of {n:,} items (`agentmem import`, batches of {args.batch_size})", "",
             f"Command: `{out['command']}` (run with `nice`). Machine: {out['machine']}; load before {out['load_before']}, after {out['load_after']}.", "",
             f"Vectors: {out['vectors']}.", "",
             f"- rows done {out['rows_done']:,} of {n:,}{' (stopped by --limit-s; rerun resumes)' if stopped else ''}; added this run {out['added_this_run']:,}, skipped (already stored) {out['skipped_this_run']:,}; vectors in the index {count:,}",
             f"- import {out['import_wall_s']} s wall, {out['import_cpu_s']} CPU-s, **{out['cpu_ms_per_added_item']} CPU-ms per added item**; peak RSS {out['peak_rss_mb']} MB",
             f"- preparing the file (and the vector cache) {out['prepare_s']} s, {out['prepare_cpu_s']} CPU-s"]
    if report is not None:
        lines.append(f"- phases (s): {report.timings}")
    lines += ["", "| rows | added | wall s | CPU-s | RSS MB | load |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['rows']:,} | {r['added']:,} | {r['wall_s']} | {r['cpu_s']} | {r['rss_mb']} | {r['load_1m']} |" for r in out["progress"]]
    (args.out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "progress"}), flush=True)


if __name__ == "__main__":
    main()
