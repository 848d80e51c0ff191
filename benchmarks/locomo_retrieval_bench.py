"""LoCoMo retrieval benchmark (LLM-free): BM25, dense MiniLM, hybrid RRF and the trained proxy, side by side.

Protocol (issue 5 metrics, issue 16 splits): per conversation the corpus is its turns rendered
``[<session date>] <speaker>: <text>`` (+ `` [image: <caption>]``); queries are QA items with
evidence; evidence recall@k (k = 1, 5, 10, 20) and session hit@3; categories 1-4 together
(main), 5 separately, and per category.

The proxy is trained with two rewards side by side: ``gold`` (evidence labels) and ``outcome``
(LLM-free reader: best span token F1 of the reference answer in the top k; no evidence label
read), once per seed, on

* ``dev``: the two contiguous folds (train five conversations, test the other five, swap);
* ``final``: the split in ``benchmarks/splits/locomo_final.json``, chosen once before tuning.

First stage (default): per fold and reward, the MiniLM query encoder is fine-tuned for one epoch on
the fold's training conversations only (evidence positives for ``gold``, the reader's best turns for
``outcome``; turns keep their base vectors), and the shortlist is the hybrid top 80 plus the
same-session neighbours of the top 10 (``--no-finetune --candidates 50 --neighbours 0`` = the
previous protocol). A ``hybrid-ft:<reward>`` row reports that stage 1 alone. The proxy stage's
latency is measured for 50 candidates and for the configured shortlist, beside the whole query.

    python benchmarks/locomo_retrieval_bench.py [--seeds 0 1 2] [--dev-seeds 0] [--rewards gold outcome] [--fresh]

Defaults: final split with seeds 0, 1, 2; development folds with seed 0; both rewards. Checkpoints
are kept under ``<home>/checkpoints/proxy-locomo-protocol`` and reused when a rerun matches
(same conversations, reward and seed), so ``--split none`` and ``--dev-seeds`` (empty) runs
can be done in parallel processes and the default command then only evaluates.

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
HEAD = "| ranker | R@1 | R@5 | R@10 | R@20 | session hit@3 | queries |\n|---|---|---|---|---|---|---|"


def row(name: str, t: dict, sd: dict | None = None) -> str:
    def cell(c: str) -> str:
        if t.get(c) is None:
            return "-"
        return f"{t[c]:.1f}" + (f" ± {sd[c]:.1f}" if sd and c in sd and c in ("R@5", "R@10") else "")

    return f"| {name} | " + " | ".join(cell(c) for c in COLS) + f" | {t['queries']} |"


def section(title: str, entry: dict) -> list[str]:
    out = [f"## {title}", "", "Splits: " + "; ".join(f"train {', '.join(s['train'])} / test {', '.join(s['test'])}" for s in entry["splits"]) + f". Seeds: {entry['seeds']}.", "",
           "### Categories 1-4", "", HEAD]
    for name, r in entry["rankers"].items():
        out.append(row(name, r["main"], r.get("main_sd")))
    for name, r in entry["rankers"].items():
        if "candidate_recall" in r:
            out.append("")
            nb = f" + same-session neighbours of the top {r['neighbours']}" if r.get("neighbours") else ""
            ft = ", questions embedded by the MiniLM query encoder fine-tuned on the fold's training conversations" if any("minilm-qft" in str(e) for e in r.get("embedders") or []) else ""
            out.append(f"{name}: shortlist hybrid top {r['candidates']}{nb}{ft} (evidence recall of the shortlist {r['candidate_recall']:.1f}%); per seed R@10 " + ", ".join(f"{s['R@10']:.1f}" for s in r["per_seed"]) + "; trained on " + "; ".join(sorted({str(t[0].get('reward_source')) for t in r['training']}))
                       + (f"; head: {r['config']['warm_epochs']} listwise epochs + {r['config']['rl_epochs']} policy-gradient epochs (MemSifter reward)" if r.get("config") else "") + ".")
    out += ["", "### Category 5 (adversarial)", "", HEAD]
    for name, r in entry["rankers"].items():
        out.append(row(name, r["category_5"]))
    out += ["", "### Per category (R@5 / R@10)", "", "| category | " + " | ".join(entry["rankers"]) + " |", "|---|" + "---|" * len(entry["rankers"])]
    first = next(iter(entry["rankers"].values()))
    for c, t in first["per_category"].items():
        cells = [f"{r['per_category'][c]['R@5']:.1f} / {r['per_category'][c]['R@10']:.1f}" for r in entry["rankers"].values()]
        out.append(f"| {c} {t['name']} ({t['queries']}) | " + " | ".join(cells) + " |")
    return out + [""]


def markdown(report: dict, command: str) -> str:
    out = [
        "# LoCoMo retrieval (LLM-free)",
        "",
        f"Data: {Path(report['data']).name} (sha256 {report['data_sha256'][:12]}...). Embedder: {report['embedder']}. Command: `{command}`.",
        f"Machine: {report.get('machine')}; load average at start {report.get('load_start')}, at end {report.get('load_end')}. Run time {report['seconds']} s, CPU time of the process {report.get('cpu_seconds', '?')} s (CPU shared with other jobs).",
        "",
        "Rankers: `bm25`, `dense`, `hybrid` (RRF k=60) are stage 1; `proxy:gold` is the trained proxy with LoCoMo's evidence labels as the reward;"
        " `proxy:outcome` never reads an evidence label: the LLM-free reader (each question reads its own conversation's turns) scores a turn by the best span token F1"
        " of the reference answer in it (MemSifter's s(k) = the best over the top k); the query encoder, the adapter and the listwise head learn from the turns the reader answers"
        " best from, and the row's policy-gradient epochs (listed per row; 0 by default since session 5) use that s(k) in the MemSifter reward. Proxy rows are the mean over seeds (± sd).",
        "",
    ]
    if report.get("finetune"):
        out += ["`hybrid-ft:gold` / `hybrid-ft:outcome` are stage 1 alone (BM25 + MiniLM, RRF k=60) where questions go through a MiniLM query encoder fine-tuned"
                " for one epoch on each fold's training conversations only (softmax of each question over every turn of its conversation; turns keep their base"
                " MiniLM vectors): positives are the evidence turns (gold) or the turns the reader answers best from (outcome; no evidence label read)."
                " The proxy row of the same reward reranks that stage 1's shortlist with the same query vectors.", ""]
    lat = report.get("latency")
    if lat:
        out += ["## Latency (ms per question)", "",
                f"Ranker {lat['ranker']} ({lat['checkpoint']}), embedder {lat['embedder']}, held-out conversations {', '.join(lat['conversations'])}; mean shortlist {lat['shortlist_mean']} candidates; load average at the end {lat['load']}.", "",
                "| stage | p50 | p95 | n |", "|---|---|---|---|"]
        for key, label in (("proxy_50", "proxy stage, 50 candidates"), ("proxy_shortlist", "proxy stage, configured shortlist"), ("query_embed", "live MiniLM query embedding"),
                           ("stage1", "stage 1 (BM25 + dense + RRF + shortlist, one conversation)"), ("whole", "whole query (embedding + stage 1 + proxy)")):
            if key in lat:
                out.append(f"| {label} | {lat[key]['p50']} | {lat[key]['p95']} | {lat[key]['n']} |")
        out.append("")
    if "final" in report["protocols"]:
        out += section("Final split (chosen once before tuning; reported figure)", report["protocols"]["final"])
    if "dev" in report["protocols"]:
        out += section("Development folds (two contiguous folds; design choices were made here)", report["protocols"]["dev"])
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--split", default=str(ROOT / "benchmarks" / "splits" / "locomo_final.json"), help="Final split file ('none' = development folds only).")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--dev-seeds", type=int, nargs="*", default=[0], help="Seeds for the development folds (default 0; give none to run the final split only).")
    ap.add_argument("--rewards", nargs="+", default=["gold", "outcome"], choices=["gold", "outcome"])
    ap.add_argument("--finetune", action=argparse.BooleanOptionalAction, default=True, help="Fine-tune the MiniLM query encoder contrastively on each fold's training conversations (evidence positives for the gold row, reader positives for the outcome row) and use it for stage 1 and the proxy (default on).")
    ap.add_argument("--candidates", type=int, default=80, help="Shortlist size: the stage-1 top N (default 80; the proxy's latency is also measured at 50).")
    ap.add_argument("--neighbours", type=int, default=10, help="Add the same-session neighbours of the stage-1 top N to the shortlist (default 10).")
    ap.add_argument("--gold-rl-epochs", type=int, default=0, help="Policy-gradient epochs of the gold row (default 0: listwise on the evidence labels alone measured best on the development folds).")
    ap.add_argument("--outcome-rl-epochs", type=int, default=0, help="Policy-gradient epochs of the outcome row (default 0: with the reader reading each question's own conversation, the listwise head on the reader's best turns was chosen on the development folds; session 4 used 30).")
    ap.add_argument("--latency-queries", type=int, default=200, help="Questions timed for the proxy-stage and whole-query latency (0 = skip).")
    ap.add_argument("--checkpoints", type=Path, default=None, help="Checkpoint root (default <home>/checkpoints/proxy-locomo-protocol).")
    ap.add_argument("--fresh", action="store_true", help="Retrain every checkpoint even if present.")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--name", default="locomo_retrieval", help="Report file name (without extension).")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, help="Combine the protocols of reports written by parallel runs (e.g. --split none and --dev-seeds) into one report; trains nothing.")
    args = ap.parse_args()
    if args.merge:
        parts = [json.loads(p.read_text()) for p in args.merge]
        protocols: dict = {}
        for part in parts:  # the same protocol from two runs (e.g. one per reward): rankers are combined
            for k, v in part["protocols"].items():
                protocols[k] = {**v, "rankers": {**protocols[k]["rankers"], **v["rankers"]}} if k in protocols else v
        report = {**parts[0], "protocols": protocols, "merged_from": [str(p) for p in args.merge],
                  "seconds": round(sum(p["seconds"] for p in parts), 1)}
        report["split"] = next((p["split"] for p in parts if p.get("split")), None)
        report["latency"] = next((p["latency"] for p in parts if p.get("latency")), None)
        report["cpu_seconds"] = round(sum(p.get("cpu_seconds", 0) for p in parts), 1)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2))
        md = markdown(report, "python benchmarks/locomo_retrieval_bench.py (run as: " + "; ".join(p.get("command", "?") for p in parts) + "; then --merge)")
        (args.out / f"{args.name}.md").write_text(md)
        print(md)
        return

    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.proxy_protocol import run_protocol
    from agentmem.settings import Settings

    settings = Settings.load().ensure_home()
    ckpt = args.checkpoints or settings.paths.checkpoints / "proxy-locomo-protocol"
    if args.fresh and ckpt.exists():
        shutil.rmtree(ckpt)
    t0 = time.time()
    load_start = os.getloadavg()
    from agentmem.retrieval.proxy.model import ProxyConfig

    config = ProxyConfig(**{k: v for k, v in (("candidates", args.candidates), ("neighbours", args.neighbours)) if v is not None})
    report = run_protocol(
        args.data, None if args.split == "none" else Path(args.split), rewards=args.rewards, seeds=args.seeds, dev_seeds=args.dev_seeds, folds=args.folds, settings=settings,
        checkpoint_root=ckpt, cache_dir=settings.paths.cache, config=config, finetune=args.finetune,
        reward_config={"gold": {"rl_epochs": args.gold_rl_epochs}, "outcome": {"rl_epochs": args.outcome_rl_epochs}},
        progress=lambda s, n, N: print(f"[{time.time() - t0:7.1f}s] {s} {n + 1}/{N}", flush=True),
        log=lambda m: print(f"[{time.time() - t0:7.1f}s] {m}", flush=True),
    )
    if args.latency_queries:
        from agentmem.evals.locomo.proxy_protocol import measure_latency

        report["latency"] = measure_latency(report, ckpt, args.data, settings, cache_dir=settings.paths.cache, queries=args.latency_queries)
    report["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    report["cpu_seconds"] = round(sum(os.times()[:4]), 1)
    report["load_start"] = [round(x, 2) for x in load_start]
    report["load_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/locomo_retrieval_bench.py " + " ".join(sys.argv[1:])
    report["command"] = cmd.strip()
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2))
    md = markdown(report, cmd.strip())
    (args.out / f"{args.name}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
