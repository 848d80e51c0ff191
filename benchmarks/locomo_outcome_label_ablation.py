"""Outcome-only training labels for the trained proxy, on the LoCoMo development folds (issue 16, session 5).

Which labels, derived from the LLM-free reader alone (the reference answer, never the evidence
labels), train the best scoring head? Per development fold this builds the shortlists once (the
fold's outcome query encoder, hybrid top 80 + same-session neighbours of the top 10, the query
adapter of a protocol checkpoint), **strips every evidence label from the training queries**, and
then trains only the head per variant (seed 0) and scores the held-out fold, categories 1-4
(the held-out evidence is read only to score).

Label variants (keys of one variant, JSON):

* ``qw``: the reader's question weight (a turn's answer F1 scaled by the share of the question's
  words it holds; 0 = the answer anywhere counts);
* ``stem``: crude stemming and number words (``two`` -> ``2``) before matching;
* ``parts``: the answer split at commas / ``and`` / ``or``; each part's best turns are positives
  (multi-hop answers listed over several turns);
* ``mode``: ``pr`` (positives = the reader's best turns, score >= max(floor, share x best), at most
  ``limit``) or ``soft`` (the same turns weighted by their reader score);
* ``self``: self-training rounds: train, then relabel with the reader's score plus ``alpha`` x the
  head's own (squashed, z-scored) score among turns the reader scores >= ``self_floor``, retrain;
* ``ens``: at test time, z(proxy) + ens x z(stage-1 score) (an ensemble with hybrid);
* ``cfg``: :class:`ProxyConfig` fields (``rl_epochs`` > 0 adds MemSifter policy-gradient epochs with
  the same reader as ``s(k)``).

    python benchmarks/locomo_outcome_label_ablation.py                        # all named variants
    python benchmarks/locomo_outcome_label_ablation.py --variants qw0 qw1 qw0-rl30
    python benchmarks/locomo_outcome_label_ablation.py --encoders DIR0 DIR1 --adapters CKPT0 CKPT1

Defaults: the protocol's outcome query encoder of each fold (trained here if missing, as
``locomo_retrieval_bench.py`` would) and the adapter of its ``dev/outcome/seed0/fold<f>`` checkpoint
(zero when there is none). Writes ``benchmarks/results/locomo_outcome_label_ablation.{json,md}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VARIANTS: dict[str, dict[str, Any]] = {
    "qw0": {"qw": 0.0},
    "qw0.25": {"qw": 0.25},
    "qw0.5": {"qw": 0.5},
    "qw1": {"qw": 1.0},
    "qw0-soft": {"qw": 0.0, "mode": "soft"},
    "qw0-stem": {"qw": 0.0, "stem": True},
    "qw0-parts": {"qw": 0.0, "parts": True},
    "qw0-limit3": {"qw": 0.0, "limit": 3},
    "qw1-parts": {"qw": 1.0, "parts": True},
    "qw0-rl30": {"qw": 0.0, "cfg": {"warm_epochs": 10, "rl_epochs": 30}},
    "qw0-rl10": {"qw": 0.0, "cfg": {"warm_epochs": 10, "rl_epochs": 10, "lr": 0.002}},
    "qw0-self1": {"qw": 0.0, "self": 1, "alpha": 0.5},
    "qw0-ens0.3": {"qw": 0.0, "ens": 0.3},
}

NUMBER_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "once": "1", "twice": "2"}
PARTS = re.compile(r",|;|\band\b|\bor\b", re.I)


def stem(w: str) -> str:
    w = NUMBER_WORDS.get(w, w)
    for suf in ("ing", "ed", "es", "s", "ly"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)]
    return w


class LabelReader:
    """The reader with the variant's options; texts keyed ``<sample_id>#<turn id>`` (turn ids repeat across conversations)."""

    def __init__(self, refs: dict[str, str], tasks: dict[str, str], texts: dict[str, str], v: dict[str, Any]) -> None:
        self.refs, self.tasks, self.texts = refs, tasks, texts
        self.qw, self.stem, self.parts = float(v.get("qw", 0.0)), bool(v.get("stem")), bool(v.get("parts"))
        self.memo: dict[tuple[str, str], list[float]] = {}

    def _toks(self, text: str) -> list[str]:
        from agentmem.retrieval.proxy.reward import answer_tokens

        t = answer_tokens(text)
        return [stem(w) for w in t] if self.stem else t

    def text(self, qid: str, iid: str) -> str:
        return self.texts.get(qid.split("#")[0] + "#" + iid, "")

    def part_scores(self, qid: str, iid: str) -> list[float]:
        from agentmem.retrieval.proxy.features import analyse, content_words
        from agentmem.retrieval.proxy.reward import token_f1

        key = (qid, iid)
        if key not in self.memo:
            ref = self.refs.get(qid, "")
            refs = [p for p in PARTS.split(ref) if self._toks(p)] if self.parts else []
            refs = refs if len(refs) > 1 else [ref]
            text = self.text(qid, iid)
            toks = self._toks(text)
            words = set(content_words(self.tasks.get(qid, "")))
            cov = len(words & analyse(text)[1]) / len(words) if words else 1.0
            out = []
            for r in refs:
                rt = self._toks(r)
                rs, best = set(rt), 0.0
                for i, w in enumerate(toks):
                    if w in rs:
                        for j in range(i + 1, min(len(toks), i + len(rt) + 3) + 1):
                            if toks[j - 1] in rs:
                                best = max(best, token_f1(toks[i:j], rt))
                out.append(best * ((1 - self.qw) + self.qw * cov) if best > 0 else 0.0)
            self.memo[key] = out
        return self.memo[key]

    def item_score(self, qid: str, iid: str) -> float:
        return max(self.part_scores(qid, iid), default=0.0)

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        """``s(k)``: the best turn's score; with ``parts``, the mean over answer parts of each part's best turn."""
        rows = [self.part_scores(query_id, i) for i in top_ids]
        return float(np.mean(np.max(np.array(rows), axis=0))) if rows else 0.0


def label(queries: list[Any], reader: LabelReader, v: dict[str, Any]) -> list[Any]:
    """Positives (and soft targets) from the reader alone: per answer part, the turns scoring >= max(floor, share x best)."""
    from agentmem.retrieval.proxy.reward import answer_tokens

    floor, share, limit, soft = v.get("floor", 0.3), v.get("share", 0.75), v.get("limit", 5), v.get("mode") == "soft"
    out = []
    for q in queries:
        assert not q.relevant, "training queries must carry no evidence label"
        P = np.array([reader.part_scores(q.qid, i) for i in q.ids])
        task = set(answer_tokens(reader.tasks.get(q.qid, "")))
        overlap = [len(task & set(answer_tokens(t))) / max(1, len(task)) for t in q.texts]
        rel: set[str] = set()
        targets: dict[str, float] = {}
        for p in range(P.shape[1]):
            col = P[:, p]
            if not len(col) or col.max() < floor:
                continue
            bar = max(floor, share * float(col.max()))
            for j in sorted((j for j in range(len(col)) if col[j] >= bar), key=lambda j: (-round(float(col[j]), 6), -overlap[j]))[:limit]:
                rel.add(q.ids[j])
                targets[q.ids[j]] = max(targets.get(q.ids[j], 0.0), float(col[j]) if soft else 1.0)
        out.append(dataclasses.replace(q, relevant=rel, n_relevant=len(rel), targets=targets if soft else {}))
    return out


def relabel_self(queries: list[Any], scores: list[np.ndarray], reader: LabelReader, v: dict[str, Any]) -> list[Any]:
    """Self-training: the reader's score plus ``alpha`` x tanh(z(head score) / 2), among turns the reader scores >= ``self_floor``."""
    out = []
    for q, s in zip(queries, scores):
        r = np.array([reader.item_score(q.qid, i) for i in q.ids])
        if not len(r) or r.max() < v.get("floor", 0.3):
            out.append(dataclasses.replace(q, relevant=set(), n_relevant=0))
            continue
        comb = r + v.get("alpha", 0.5) * np.tanh((s - s.mean()) / (s.std() + 1e-6) / 2)
        comb[r < v.get("self_floor", 0.15)] = -9.0
        idx = [j for j in np.argsort(-comb) if comb[j] > -9.0][: v.get("limit", 5)]
        idx = [j for j in idx if comb[j] >= comb[idx[0]] - v.get("margin", 0.3)]
        rel = {q.ids[j] for j in idx}
        out.append(dataclasses.replace(q, relevant=rel, n_relevant=len(rel), targets={}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="*", default=None, help=f"Named variants (default all): {', '.join(VARIANTS)}.")
    ap.add_argument("--encoders", nargs=2, type=Path, default=None, help="Query-encoder folders of dev folds 0 and 1 (default: the protocol's outcome encoders).")
    ap.add_argument("--adapters", nargs=2, type=Path, default=None, help="Proxy checkpoints whose adapter W to use for folds 0 and 1 (default: the protocol's dev/outcome/seed0 ones).")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    names = args.variants or list(VARIANTS)
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"--variants: unknown {sorted(unknown)} (known: {', '.join(VARIANTS)})")
    import torch

    torch.set_num_threads(1)
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.proxy_data import build_queries
    from agentmem.evals.locomo.proxy_protocol import finetuned_query_embedder
    from agentmem.evals.locomo.retrieval import DiskCachedEmbedder, build_corpora, default_embedder, queries_of, two_folds
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.proxy.base import ProxyCheckpointError
    from agentmem.retrieval.proxy.model import ProxyConfig, ProxyWeights, load_checkpoint
    from agentmem.retrieval.proxy.train import shortlist_features, shortlist_recall, train_head
    from agentmem.settings import Settings

    t0, cpu0, load0 = time.time(), sum(os.times()[:4]), os.getloadavg()
    settings = Settings.load().ensure_home()
    root = settings.paths.checkpoints / "proxy-locomo-protocol"
    convs = load_locomo()
    corpora, _ = build_corpora(convs, default_embedder(settings), settings.paths.cache)
    refs, tasks, texts = {}, {}, {}
    for c in convs:
        texts.update((f"{c.sample_id}#{t.dia_id}", t.render()) for t in c.turns)
        for j, qa in enumerate(queries_of(c)):
            refs[f"{c.sample_id}#{j}"], tasks[f"{c.sample_id}#{j}"] = qa.answer or qa.adversarial_answer or "", qa.question
    folds, info = [], []
    for f, (train, test) in enumerate(two_folds(convs, 2)):
        train_c, test_c = [corpora[i] for i in train], [corpora[i] for i in test]
        emb: Any = MiniLMEmbedder(model_path=str(args.encoders[f])) if args.encoders else finetuned_query_embedder(train_c, "outcome", root / "embedders", f"dev{f}", log=print)
        emb = DiskCachedEmbedder(emb, settings.paths.cache / f"locomo-embeddings-{emb.name.replace(':', '_').replace('/', '_')}.npz")
        adapter_path = args.adapters[f] if args.adapters else root / "dev" / "outcome" / "seed0" / f"fold{f}"
        try:
            W = load_checkpoint(adapter_path)[0].W
        except ProxyCheckpointError:
            W, adapter_path = np.zeros((384, 384), np.float32), Path("none")
        _, tq, _ = build_queries(train_c, emb, 80, neighbours=10)
        _, vq, extra = build_queries(test_c, emb, 80, neighbours=10)
        tq = [dataclasses.replace(q, relevant=set(), n_relevant=0) for q in tq]  # no evidence label in training data
        keep = [i for i, (_, qa, _) in enumerate(extra) if qa.category in (1, 2, 3, 4)]
        vq = [vq[i] for i in keep]
        folds.append({"W": W, "tq": tq, "vq": vq, "tf": [shortlist_features(q, W) for q in tq], "vf": [shortlist_features(q, W) for q in vq]})
        save = getattr(emb, "save", None)
        if callable(save):
            save()
        info.append({"train": [c.conv.sample_id for c in train_c], "test": [c.conv.sample_id for c in test_c], "encoder": emb.name, "adapter": str(adapter_path), "queries": len(vq)})
        print(f"fold {f}: {len(tq)} training / {len(vq)} held-out queries", flush=True)
    table: dict[str, Any] = {}
    for name in names:
        v = VARIANTS[name]
        rows = []
        for f, d in enumerate(folds):
            c0 = time.process_time()
            reader = LabelReader(refs, tasks, texts, v)
            tq = label(d["tq"], reader, v)
            cfg = ProxyConfig(candidates=80, neighbours=10, seed=0, **v.get("cfg", {"warm_epochs": 10, "rl_epochs": 0}))
            for _ in range(v.get("self", 0)):
                head, mean, std, _ = train_head(tq, d["tf"], reader, cfg, cfg.warm_epochs, cfg.rl_epochs)
                w = ProxyWeights(W=d["W"], mean=mean, std=std, **head)
                tq = relabel_self(tq, [w.score(x) for x in d["tf"]], reader, v)
            head, mean, std, _ = train_head(tq, d["tf"], reader, cfg, cfg.warm_epochs, cfg.rl_epochs)
            w = ProxyWeights(W=d["W"], mean=mean, std=std, **head)
            scores = []
            for x in d["vf"]:
                s = w.score(x)
                if v.get("ens"):
                    s = (s - s.mean()) / (s.std() + 1e-6) + v["ens"] * (x[:, 0] - x[:, 0].mean()) / (x[:, 0].std() + 1e-6)
                scores.append(s)
            rows.append({"fold": f, "R@5": shortlist_recall(d["vq"], scores, 5), "R@10": shortlist_recall(d["vq"], scores, 10), "queries": len(d["vq"]),
                         "labelled": sum(1 for q in tq if q.relevant), "cpu_s": round(time.process_time() - c0, 1)})
        n = sum(r["queries"] for r in rows)
        table[name] = {**v, "R@5": round(100 * sum(r["R@5"] * r["queries"] for r in rows) / n, 2), "R@10": round(100 * sum(r["R@10"] * r["queries"] for r in rows) / n, 2), "per_fold": rows}
        per_fold = ", ".join("fold %d %.1f" % (r["fold"], 100 * r["R@10"]) for r in rows)
        print(f"{name}: R@5 {table[name]['R@5']:.1f} R@10 {table[name]['R@10']:.1f} ({per_fold})", flush=True)
    report = {"benchmark": "locomo-outcome-label-ablation", "folds": info, "variants": table, "seconds": round(time.time() - t0, 1),
              "cpu_seconds": round(sum(os.times()[:4]) - cpu0, 1), "load_start": [round(x, 2) for x in load0], "load_end": [round(x, 2) for x in os.getloadavg()]}
    cmd = "python benchmarks/locomo_outcome_label_ablation.py " + " ".join(sys.argv[1:])
    md = ["# Outcome-only labels for the proxy head (LoCoMo development folds, seed 0)", "",
          f"Command: `{cmd.strip()}`. Categories 1-4, {sum(i['queries'] for i in info)} held-out queries over the two folds; encoders {', '.join(i['encoder'] for i in info)};"
          f" adapters {', '.join(i['adapter'] for i in info)}. No evidence label is read in training. Run time {report['seconds']} s, CPU {report['cpu_seconds']} s,"
          f" load {report['load_start']} -> {report['load_end']}.", "", "| variant | settings | R@5 | R@10 | labelled training queries |", "|---|---|---|---|---|"]
    for name, t in table.items():
        settings_txt = json.dumps(VARIANTS[name])
        md.append(f"| {name} | `{settings_txt}` | {t['R@5']:.1f} | {t['R@10']:.1f} | {sum(r['labelled'] for r in t['per_fold'])} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stem_ = args.out / "locomo_outcome_label_ablation"
    stem_.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem_.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
