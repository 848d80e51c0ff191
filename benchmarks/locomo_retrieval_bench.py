"""LoCoMo retrieval benchmark (LLM-free): BM25, dense MiniLM, hybrid RRF and the trained proxy, side by side.

Protocol (issue 5, kept exactly): per conversation the corpus is its turns rendered
``[<session date>] <speaker>: <text>`` (+ `` [image: <caption>]``); queries are QA items with
evidence; evidence recall@k (k = 1, 5, 10, 20) and session hit@3; categories 1-4 together
(main), 5 separately, and per category. The proxy follows the two-fold protocol: trained on
five conversations, evaluated on the other five, then swapped; the baselines are recomputed
in the same run.

    python benchmarks/locomo_retrieval_bench.py [--data PATH] [--folds 2] [--fresh]

Writes ``benchmarks/results/locomo_retrieval.json`` and ``locomo_retrieval.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

COLS = ["R@1", "R@5", "R@10", "R@20", "session_hit@3"]


def row(name: str, t: dict) -> str:
    return f"| {name} | " + " | ".join(f"{t[c]:.1f}" if t.get(c) is not None else "-" for c in COLS) + f" | {t['queries']} |"


def markdown(report: dict, command: str) -> str:
    head = "| retriever | R@1 | R@5 | R@10 | R@20 | session hit@3 | queries |\n|---|---|---|---|---|---|---|"
    out = [
        "# LoCoMo retrieval (LLM-free)",
        "",
        f"Data: locomo10.json ({len(report['conversations'])} conversations). Embedder: {report['embedder']}. Command: `{command}`.",
        f"Machine: {report.get('machine')}. Run time {report['seconds']} s (CPU shared with other jobs).",
        "",
        f"## Categories 1-4 ({report['main']['queries']} queries), proxy on held-out conversations",
        "",
        head,
    ]
    for name, r in report["retrievers"].items():
        out.append(row(name, r["main"]))
    if "proxy" in report["retrievers"]:
        out += ["", f"Proxy shortlist: hybrid top {report['retrievers']['proxy'].get('candidates')} (evidence recall of the shortlist: {report['retrievers']['proxy'].get('candidate_recall')}%)."]
    for f in report.get("folds", []):
        out += ["", f"### Fold {f['fold']}: train {', '.join(f['train'])}; test {', '.join(f['test'])}", "", head]
        for name in ("bm25", "fts5", "dense", "hybrid", "hybrid_fts5", "proxy"):
            if name in f:
                out.append(row(name, f[name]))
    out += ["", f"## Category 5 (adversarial, {report['category_5']['queries']} queries)", "", head]
    for name, r in report["retrievers"].items():
        out.append(row(name, r["category_5"]))
    out += ["", "## Per category", ""]
    for name, r in report["retrievers"].items():
        out += [f"### {name}", "", "| category | R@1 | R@5 | R@10 | R@20 | session hit@3 | queries |", "|---|---|---|---|---|---|---|"]
        for c, t in r["per_category"].items():
            out.append(row(f"{c} {t['name']}", t))
        out.append("")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--retriever", default="proxy", choices=["bm25", "fts5", "dense", "hybrid", "hybrid_fts5", "proxy"])
    ap.add_argument("--checkpoints", type=Path, default=None, help="Fold checkpoint folder (default <home>/checkpoints/proxy-locomo-folds).")
    ap.add_argument("--fresh", action="store_true", help="Retrain the fold checkpoints even if present.")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.retrieval import evaluate_retrieval
    from agentmem.settings import Settings

    settings = Settings.load().ensure_home()
    ckpt = args.checkpoints or settings.paths.checkpoints / "proxy-locomo-folds"
    if args.fresh and ckpt.exists():
        shutil.rmtree(ckpt)
    t0 = time.time()
    report = evaluate_retrieval(
        args.data, retriever=args.retriever, folds=args.folds, settings=settings, checkpoint_dir=ckpt, cache_dir=settings.paths.cache,
        progress=lambda s, n, N: print(f"[{time.time() - t0:7.1f}s] {s} {n + 1}/{N}", flush=True),
        log=lambda m: print(f"[{time.time() - t0:7.1f}s] {m}", flush=True),
    )
    report["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "locomo_retrieval.json").write_text(json.dumps(report, indent=2))
    md = markdown(report, "python benchmarks/locomo_retrieval_bench.py" + (" --fresh" if args.fresh else ""))
    (args.out / "locomo_retrieval.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
