"""Head-only ablations of the trained proxy on the LoCoMo development folds (issue 16 design choices).

The design choices of session 4 (the 19 context features, 10 warm-start epochs, no policy
gradient for the gold row, the question-aware reader for the outcome row) were measured this
way, on the two development folds only (never the final split). Per fold it reuses what the
protocol benchmark (``locomo_retrieval_bench.py --split none``) built: the fold's fine-tuned query
encoder (trained here if missing, as the benchmark would) and the query adapter ``W`` of the
benchmark's seed-0 checkpoint for the reward (zero when there is none). It builds each fold's
shortlists once (hybrid top 80 + same-session neighbours of the top 10), then trains only the
scoring head per variant (seed 0) and scores the held-out fold, categories 1-4.

Variants (``--variants``; default: all of the reward's):

* ``f19-w30-rl30``: the session-3 head (first 19 feature columns, 30 + 30 epochs);
* ``f19-w10``: 19 columns, 10 listwise epochs, no policy gradient;
* ``f38-w10``: all 38 columns (the context features), 10 listwise epochs;
* ``f38-w10-rl30``: the same plus 30 policy-gradient epochs with the reward's ``s(k)``;
* outcome only, ``qw0-...`` / ``qw1-...``: the reader's question weight (0 = session 3's reader).

The committed outcome report (``locomo_proxy_head_ablation_outcome.md``) is session 4's, measured
while the reader read every training conversation's turns from the last conversation (LoCoMo turn
ids repeat); session 5 fixed that and compared outcome labels with
``benchmarks/locomo_outcome_label_ablation.py``.

    python benchmarks/locomo_proxy_head_ablation.py --reward gold      # -> benchmarks/results/locomo_proxy_head_ablation_gold.{json,md}
    python benchmarks/locomo_proxy_head_ablation.py --reward outcome
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "gold": {
        "f19-w30-rl30": {"cols": 19, "warm": 30, "rl": 30},
        "f19-w10": {"cols": 19, "warm": 10, "rl": 0},
        "f38-w10": {"cols": 38, "warm": 10, "rl": 0},
        "f38-w10-rl30": {"cols": 38, "warm": 10, "rl": 30},
    },
    "outcome": {
        "qw0-f38-w10": {"cols": 38, "warm": 10, "rl": 0, "qw": 0.0},
        "qw0-f38-w10-rl30": {"cols": 38, "warm": 10, "rl": 30, "qw": 0.0},
        "qw1-f38-w10": {"cols": 38, "warm": 10, "rl": 0, "qw": 1.0},
        "qw1-f38-w10-rl30": {"cols": 38, "warm": 10, "rl": 30, "qw": 1.0},
    },
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reward", choices=["gold", "outcome"], default="gold")
    ap.add_argument("--variants", nargs="*", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.proxy_data import build_queries, outcome_labels, reader_for
    from agentmem.evals.locomo.proxy_protocol import finetuned_query_embedder
    from agentmem.evals.locomo.retrieval import DiskCachedEmbedder, build_corpora, default_embedder, two_folds
    from agentmem.retrieval.proxy.base import ProxyCheckpointError
    from agentmem.retrieval.proxy.model import ProxyConfig, ProxyWeights, load_checkpoint
    from agentmem.retrieval.proxy.reward import EvidenceRecallScorer
    from agentmem.retrieval.proxy.train import shortlist_features, shortlist_recall, train_head
    from agentmem.settings import Settings

    t0, cpu0, load0 = time.time(), sum(os.times()[:4]), os.getloadavg()
    settings = Settings.load().ensure_home()
    root = settings.paths.checkpoints / "proxy-locomo-protocol"
    convs = load_locomo()
    corpora, _ = build_corpora(convs, default_embedder(settings), settings.paths.cache)
    names = args.variants or list(VARIANTS[args.reward])
    unknown = set(names) - set(VARIANTS[args.reward])
    if unknown:
        raise SystemExit(f"--variants: unknown for {args.reward}: {sorted(unknown)} (known: {', '.join(VARIANTS[args.reward])})")
    results: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    folds_info = []
    for f, (train, test) in enumerate(two_folds(convs, 2)):
        train_c, test_c = [corpora[i] for i in train], [corpora[i] for i in test]
        emb: Any = finetuned_query_embedder(train_c, args.reward, root / "embedders", f"dev{f}", log=print)
        emb = DiskCachedEmbedder(emb, settings.paths.cache / f"locomo-embeddings-{emb.name.replace(':', '_').replace('/', '_')}.npz")
        try:
            W = load_checkpoint(root / "dev" / args.reward / "seed0" / f"fold{f}", emb.name)[0].W
            adapter = "protocol checkpoint"
        except ProxyCheckpointError:
            W, adapter = np.zeros((384, 384), np.float32), "none (no protocol checkpoint)"
        tg, tq, _ = build_queries(train_c, emb, 80, neighbours=10)
        _, vq, extra = build_queries(test_c, emb, 80, neighbours=10)
        keep = [i for i, (_, qa, _) in enumerate(extra) if qa.category in (1, 2, 3, 4)]
        vq = [vq[i] for i in keep]
        feats, vfeats = [shortlist_features(q, W) for q in tq], [shortlist_features(q, W) for q in vq]
        save = getattr(emb, "save", None)
        if callable(save):
            save()
        folds_info.append({"train": [c.conv.sample_id for c in train_c], "test": [c.conv.sample_id for c in test_c], "encoder": emb.name, "adapter": adapter, "queries": len(vq)})
        for name in names:
            v = VARIANTS[args.reward][name]
            cfg = ProxyConfig(candidates=80, neighbours=10, warm_epochs=v["warm"], rl_epochs=v["rl"], seed=0)
            queries, scorer = tq, EvidenceRecallScorer({q.qid: sorted(q.relevant) for q in tq}, totals={q.qid: q.n_relevant for q in tq})
            if args.reward == "outcome":  # the reader's labels and s(k); no evidence label read
                scorer = reader_for(train_c, question_weight=v["qw"])
                queries = outcome_labels(tg, tq, train_c, scorer)[1]
            c = v["cols"]
            c0 = time.process_time()
            head, mean, std, _ = train_head(queries, [x[:, :c] for x in feats], scorer, cfg, cfg.warm_epochs, cfg.rl_epochs)
            w = ProxyWeights(W=W, mean=mean, std=std, **head)
            scores = [w.score(x[:, :c]) for x in vfeats]
            results[name].append({"fold": f, "R@5": shortlist_recall(vq, scores, 5), "R@10": shortlist_recall(vq, scores, 10), "queries": len(vq), "cpu_s": round(time.process_time() - c0, 1)})
            print(f"fold {f} {name}: R@5 {100 * results[name][-1]['R@5']:.1f} R@10 {100 * results[name][-1]['R@10']:.1f}", flush=True)
    table = {}
    for name, rows in results.items():
        n = sum(r["queries"] for r in rows)
        table[name] = {**VARIANTS[args.reward][name], "R@5": round(100 * sum(r["R@5"] * r["queries"] for r in rows) / n, 2), "R@10": round(100 * sum(r["R@10"] * r["queries"] for r in rows) / n, 2),
                       "per_fold": rows, "head_cpu_s": round(sum(r["cpu_s"] for r in rows), 1)}
    report = {"benchmark": "locomo-proxy-head-ablation", "reward": args.reward, "folds": folds_info, "variants": table, "seconds": round(time.time() - t0, 1),
              "cpu_seconds": round(sum(os.times()[:4]) - cpu0, 1), "load_start": [round(x, 2) for x in load0], "load_end": [round(x, 2) for x in os.getloadavg()]}
    cmd = "python benchmarks/locomo_proxy_head_ablation.py " + " ".join(sys.argv[1:])
    md = [f"# LoCoMo proxy head ablation ({args.reward} reward, development folds, seed 0)", "",
          f"Command: `{cmd.strip()}`. Categories 1-4, {sum(f['queries'] for f in folds_info)} held-out queries over the two folds; shortlist hybrid top 80 + neighbours of the top 10;"
          f" per fold the protocol's fine-tuned query encoder and adapter ({', '.join(f['adapter'] for f in folds_info)}). Run time {report['seconds']} s, CPU {report['cpu_seconds']} s,"
          f" load {report['load_start']} -> {report['load_end']}.", "",
          "| variant | feature columns | warm epochs | policy-gradient epochs | reader question weight | R@5 | R@10 |", "|---|---|---|---|---|---|---|"]
    for name, t in table.items():
        md.append(f"| {name} | {t['cols']} | {t['warm']} | {t['rl']} | {t.get('qw', '-')} | {t['R@5']:.1f} | {t['R@10']:.1f} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"locomo_proxy_head_ablation_{args.reward}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
