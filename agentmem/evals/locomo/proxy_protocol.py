"""The trained proxy's LoCoMo protocol (issue 16): development folds, a final split, rewards x seeds.

* **Development**: the two contiguous conversation folds of the original benchmark (train on
  five conversations, test on the other five, then swap). Design choices were made here.
* **Final**: a third split, chosen once before tuning and committed
  (``benchmarks/splits/locomo_final.json``); it is only used for the reported figure.
* **Rewards**: ``gold`` (LoCoMo's evidence labels as ``s(k)``) and ``outcome`` (the LLM-free
  :class:`~agentmem.retrieval.proxy.reward.ReaderScorer`: best span F1 of the reference answer
  in the top k; no evidence label is read in training).
* **Seeds**: every (protocol, reward) is trained once per seed; tables give the mean over
  seeds and the standard deviation of the main figures.

Baselines (bm25, dense, hybrid) are deterministic and scored once on the same queries.

Example::

    from agentmem.evals.locomo.proxy_protocol import run_protocol
    report = run_protocol(seeds=(0, 1, 2), rewards=("gold", "outcome"))
    report["final"]["proxy:gold"]["main"]["R@10"]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentmem.errors import ConfigError
from agentmem.evals.locomo.data import default_locomo_path, load_locomo
from agentmem.evals.locomo.proxy_data import REWARDS, reader_for, run_proxy_folds
from agentmem.evals.locomo.retrieval import (
    ConversationCorpus,
    DiskCachedEmbedder,
    Progress,
    baseline_rows,
    build_corpora,
    default_embedder,
    queries_of,
    score_rankings,
    two_folds,
)
from agentmem.fileio import sha256_file
from agentmem.retrieval.proxy.model import ProxyConfig

METRICS = ("R@1", "R@5", "R@10", "R@20", "session_hit@3")


def finetune_groups(corpora: Sequence[ConversationCorpus], reward: str) -> list[tuple[list[str], list[list[int]], np.ndarray]]:
    """Per training conversation: its questions, each question's positive turns, and the turns' base vectors.

    ``gold``: the labelled evidence turns. ``outcome``: the turns the LLM-free reader answers
    best from (:meth:`ReaderScorer.pseudo_relevant`); no evidence label is read."""
    reader = reader_for(corpora) if reward == "outcome" else None
    groups = []
    for corpus in corpora:
        qs = queries_of(corpus.conv)
        if not qs or corpus.embeddings is None:
            continue
        if reader is not None:
            pos = [[corpus.pos[i] for i in reader.pseudo_relevant(f"{corpus.conv.sample_id}#{j}", corpus.ids)] for j in range(len(qs))]
        else:
            pos = [[corpus.pos[e] for e in qa.evidence if e in corpus.pos] for qa in qs]
        groups.append(([qa.question for qa in qs], pos, corpus.embeddings))
    return groups


def finetuned_query_embedder(corpora: Sequence[ConversationCorpus], reward: str, root: Path, tag: str, seed: int = 0, log: Callable[[str], None] | None = None) -> Any:
    """MiniLM fine-tuned as the query encoder on these (training) conversations for ``reward``
    (:func:`~agentmem.retrieval.proxy.finetune.finetune_query_encoder`; turns keep their base
    vectors); reused when the folder under ``root`` was trained on the same conversations,
    reward and seed. The folder name carries a hash of that, so its embedder name (and the
    embedding cache keyed by it) never mixes two trainings."""
    import hashlib

    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.proxy.finetune import finetune_query_encoder, read_finetune_record

    ids = sorted(c.conv.sample_id for c in corpora)
    from agentmem.evals.locomo.proxy_data import READER_QUESTION_WEIGHT, READER_VERSION

    tag_parts: list[Any] = [ids, reward, seed, "query-encoder"]
    if reward == "outcome":  # another reader gives other positives: another encoder
        tag_parts.append(f"reader-question-weight={READER_QUESTION_WEIGHT},reader-version={READER_VERSION}")
    key = hashlib.sha1(json.dumps(tag_parts).encode()).hexdigest()[:8]
    folder = Path(root) / f"minilm-qft-{tag}-{reward}-{key}"
    rec = read_finetune_record(folder)
    if not (rec and rec.get("conversations") == ids and rec.get("reward") == reward and rec.get("seed") == seed):
        groups = finetune_groups(corpora, reward)
        if log:
            log(f"fine-tuning the MiniLM query encoder on {sum(len(g[0]) for g in groups)} {reward} questions of {', '.join(ids)} -> {folder}")
        source = "locomo-evidence-labels" if reward == "gold" else f"outcome:reader-pseudo-relevant(question_weight={READER_QUESTION_WEIGHT},reader_version={READER_VERSION})"
        finetune_query_encoder(groups, folder, seed=seed, record={"conversations": ids, "reward": reward, "positives": source}, log=log)
    elif log:
        log(f"reusing the fine-tuned query encoder {folder}")
    return MiniLMEmbedder(model_path=str(folder))


def load_split(path: str | Path, sample_ids: Sequence[str]) -> dict[str, Any]:
    """Read a split file (``{"train": [...], "test": [...]}`` of sample ids) and check it against the data."""
    path = Path(path)
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable split file ({exc})") from exc
    for key in ("train", "test"):
        if not isinstance(split.get(key), list) or not split[key]:
            raise ConfigError(f"{path}: field {key!r} must be a non-empty list of sample ids")
        unknown = set(split[key]) - set(sample_ids)
        if unknown:
            raise ConfigError(f"{path}: field {key!r} names unknown sample ids {sorted(unknown)}")
    if set(split["train"]) & set(split["test"]):
        raise ConfigError(f"{path}: train and test share conversations {sorted(set(split['train']) & set(split['test']))}")
    return split


def mean_tables(tables: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean over seeds of :func:`score_rankings` outputs, with the standard deviation of each main metric."""
    first = tables[0]

    def avg(key_path: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        base = dict(key_path(first))
        for m in METRICS:
            vals = [key_path(t).get(m) for t in tables]
            if all(v is not None for v in vals):
                base[m] = round(float(np.mean([float(v) for v in vals if v is not None])), 2)
        return base

    out = {"main": avg(lambda t: t["main"]), "category_5": avg(lambda t: t["category_5"]),
           "per_category": {c: avg(lambda t, c=c: t["per_category"][c]) for c in first["per_category"]}}
    out["main_sd"] = {m: round(float(np.std([t["main"][m] for t in tables])), 2) for m in METRICS if first["main"].get(m) is not None}
    out["seeds"] = len(tables)
    return out


def run_protocol(
    data_path: str | Path | None = None,
    split_file: str | Path | None = None,
    rewards: Sequence[str] = REWARDS,
    seeds: Sequence[int] = (0, 1, 2),
    dev_seeds: Sequence[int] | None = None,
    folds: int = 2,
    settings: Any | None = None,
    embedder: Any | None = None,
    config: ProxyConfig | None = None,
    checkpoint_root: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    finetune: bool = False,
    reward_config: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Baselines once, then one proxy per (protocol, reward, seed); returns the JSON report.

    ``reward_config``: per reward, :class:`ProxyConfig` fields that differ from ``config``
    (e.g. ``{"gold": {"rl_epochs": 0}}``); each proxy row records the configuration it used.

    ``finetune``: per fold and reward, MiniLM is first fine-tuned contrastively as the query
    encoder on the training conversations (:func:`finetune_groups`; saved under
    ``checkpoint_root/embedders``); stage 1 and the proxy embed questions with it while turns
    keep their base vectors; a ``hybrid-ft:<reward>`` row gives that stage 1 alone.

    ``dev_seeds`` (default: ``seeds``) are the seeds for the development folds; pass ``()`` to
    skip them and report the final split only. Checkpoints go under
    ``checkpoint_root/<protocol>/<reward>/seed<s>/fold<f>`` and are reused when they match.
    """
    for r in rewards:
        if r not in REWARDS:
            raise ConfigError(f"reward {r!r}: expected one of {', '.join(REWARDS)}")
    t0 = time.perf_counter()
    path = Path(data_path) if data_path else default_locomo_path()
    convs = load_locomo(path)
    ids = [c.sample_id for c in convs]
    split = load_split(split_file, ids) if split_file else None
    if embedder is None:
        embedder = default_embedder(settings)
    corpora, embedder = build_corpora(convs, embedder, cache_dir, progress)
    base = config or ProxyConfig()
    protocols: dict[str, list[tuple[list[int], list[int]]]] = {}
    seed_sets: dict[str, Sequence[int]] = {}
    if dev_seeds is None or len(dev_seeds):
        protocols["dev"] = two_folds(convs, folds)
        seed_sets["dev"] = seeds if dev_seeds is None else dev_seeds
    if split:
        protocols["final"] = [([ids.index(s) for s in split["train"]], [ids.index(s) for s in split["test"]])]
        seed_sets["final"] = seeds
    report: dict[str, Any] = {
        "benchmark": "locomo-retrieval-proxy-protocol",
        "data": str(path),
        "data_sha256": sha256_file(path),
        "embedder": getattr(embedder, "name", None),
        "config": base.model_dump(),
        "rewards": list(rewards),
        "finetune": finetune,
        "split": split,
        "protocols": {},
    }
    base_rows = {mode: baseline_rows(corpora, embedder, mode, progress) for mode in ("bm25", "dense", "hybrid")}
    for name, splits in protocols.items():
        test_ids = {ids[i] for _, test in splits for i in test}
        entry: dict[str, Any] = {"splits": [{"train": [ids[i] for i in tr], "test": [ids[i] for i in te]} for tr, te in splits], "seeds": list(seed_sets[name]), "rankers": {}}
        for mode, rows in base_rows.items():
            entry["rankers"][mode] = {**score_rankings([r for r in rows if r["conversation"] in test_ids]), "ranker": mode}
        for reward in rewards:
            cfg_r = base.model_copy(update=(reward_config or {}).get(reward, {}))
            per_seed_rows: dict[int, list[dict[str, Any]]] = {seed: [] for seed in seed_sets[name]}
            training: list[list[dict[str, Any]]] = [[] for _ in seed_sets[name]]
            cand: list[float] = []
            stage1_rows: list[dict[str, Any]] = []
            embedders: list[str | None] = []
            paths: list[str | None] = []
            for f, (train, test) in enumerate(splits):
                emb_f, corp_f = embedder, corpora
                if finetune and checkpoint_root is not None:
                    # the query encoder is fine-tuned; turns keep their base vectors (corpora unchanged)
                    emb_f = finetuned_query_embedder([corpora[i] for i in train], reward, Path(checkpoint_root) / "embedders", f"{name}{f}", log=log)
                    if cache_dir is not None:
                        emb_f = DiskCachedEmbedder(emb_f, Path(cache_dir) / f"locomo-embeddings-{emb_f.name.replace(':', '_').replace('/', '_')}.npz")
                    stage1_rows += baseline_rows([corpora[i] for i in test], emb_f, "hybrid", progress)
                embedders.append(getattr(emb_f, "name", None))
                paths.append(getattr(getattr(emb_f, "inner", emb_f), "model_path", None) if finetune else None)
                for n_seed, seed in enumerate(seed_sets[name]):
                    if log:
                        log(f"{name}: fold {f} reward={reward} seed={seed}")
                    folder = Path(checkpoint_root) / name / reward / f"seed{seed}" if checkpoint_root else None
                    res = run_proxy_folds(convs, corp_f, emb_f, [(train, test)], config=cfg_r.model_copy(update={"seed": seed}), checkpoint_dir=folder, progress=progress, log=log, reward=reward, first_fold=f)
                    per_seed_rows[seed] += res["_rows"]
                    cand.append(res["candidate_recall"])
                    training[n_seed] += [{k: t.get(k) for k in ("reward", "reward_source", "conversations", "adapter_l2", "adapter_epochs", "seconds")} for t in res["training"]]
                save = getattr(emb_f, "save", None)
                if callable(save):
                    save()
            per_seed = [score_rankings(rows) for rows in per_seed_rows.values()]
            if stage1_rows:
                entry["rankers"][f"hybrid-ft:{reward}"] = {**score_rankings(stage1_rows), "ranker": f"hybrid RRF with the MiniLM query encoder fine-tuned on the training conversations ({reward} positives)", "embedders": embedders}
            entry["rankers"][f"proxy:{reward}"] = {**mean_tables(per_seed), "ranker": f"trained proxy ({reward} reward)", "per_seed": [s["main"] for s in per_seed],
                                                   "candidate_recall": float(np.mean(cand)), "candidates": cfg_r.candidates, "neighbours": cfg_r.neighbours, "training": training, "config": cfg_r.model_dump(),
                                                   "embedders": embedders, "embedder_paths": paths}
        report["protocols"][name] = entry
    save = getattr(embedder, "save", None)
    if callable(save):
        save()
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def _pct(xs: Sequence[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 2), "p95": round(float(np.percentile(xs, 95)), 2), "n": len(xs)}


def measure_latency(report: dict[str, Any], checkpoint_root: str | Path, data_path: str | Path | None = None, settings: Any | None = None,
                    cache_dir: str | Path | None = None, queries: int = 200) -> dict[str, Any]:
    """Milliseconds per question of the reported proxy (first split, first seed, best reward) on its held-out conversations.

    ``proxy_50``: the proxy stage alone (features + head, candidate vectors at hand as recall
    has them) for the stage-1 top 50; ``proxy_shortlist``: the same for the configured shortlist
    (top ``candidates`` plus neighbours); ``query_embed``: one live MiniLM query embedding;
    ``whole``: query embedding + BM25 + dense + RRF + shortlist + proxy over one conversation.
    With a fine-tuned query encoder, questions go through it and turns keep their base vectors.
    """
    import time as _time

    from agentmem.evals.locomo.proxy_data import turn_metadata, with_neighbours
    from agentmem.evals.locomo.retrieval import rank_from_scores, rrf_indices
    from agentmem.retrieval.proxy.trained import load_proxy

    name = "final" if "final" in report["protocols"] else "dev"
    entry = report["protocols"][name]
    proxies = {k: v for k, v in entry["rankers"].items() if k.startswith("proxy:")}
    best = max(proxies, key=lambda k: proxies[k]["main"]["R@10"])
    reward, seed = best.split(":", 1)[1], entry["seeds"][0]
    path = (proxies[best].get("embedder_paths") or [None])[0]
    doc_embedder = default_embedder(settings)  # turns keep the base model's vectors
    from agentmem.retrieval.embedder import MiniLMEmbedder, encode_normalized

    if path:
        embedder: Any = MiniLMEmbedder(model_path=path)  # the fine-tuned query encoder
    else:
        embedder = doc_embedder
    folder = Path(checkpoint_root) / name / reward / f"seed{seed}" / "fold0"
    proxy = load_proxy(folder, embedder)
    test = set(entry["splits"][0]["test"])
    convs = [c for c in load_locomo(Path(data_path) if data_path else default_locomo_path()) if c.sample_id in test]
    corpora, _ = build_corpora(convs, doc_embedder, cache_dir)
    loader = getattr(embedder, "_load", None)
    live: Any = loader() if callable(loader) else None
    times: dict[str, list[float]] = {"query_embed": [], "stage1": [], "proxy_50": [], "proxy_shortlist": [], "whole": []}
    shortlist_sizes = []
    for corpus in corpora:
        metas = turn_metadata(corpus)
        qs = queries_of(corpus.conv)
        if qs:
            corpus.bm25_scores(qs[0].question)  # builds the BM25 index (done at write time in a store)
        for qa in qs[: max(1, queries // max(1, len(corpora)))]:
            t0 = _time.perf_counter()
            if live is not None:
                qv = encode_normalized(live, [qa.question], 1)[0]
            else:
                qv = np.asarray(embedder.embed([qa.question])[0], dtype=np.float32)
            t1 = _time.perf_counter()
            bm = rank_from_scores(corpus.bm25_scores(qa.question), only_positive=True)
            order, fused = rrf_indices([bm, rank_from_scores(corpus.dense_scores(qv))])
            top = with_neighbours(order, proxy.config.candidates, proxy.config.neighbours, metas)
            t2 = _time.perf_counter()
            proxy.score_arrays(qa.question, [corpus.texts[i] for i in top], np.array([fused[i] for i in top], dtype=np.float32), qv, corpus.embeddings[top] if corpus.embeddings is not None else np.zeros((len(top), 0)), [metas[i] for i in top])
            t3 = _time.perf_counter()
            t50 = order[:50]
            proxy.score_arrays(qa.question, [corpus.texts[i] for i in t50], np.array([fused[i] for i in t50], dtype=np.float32), qv, corpus.embeddings[t50] if corpus.embeddings is not None else np.zeros((len(t50), 0)), [metas[i] for i in t50])
            t4 = _time.perf_counter()
            for key, dt in (("query_embed", t1 - t0), ("stage1", t2 - t1), ("proxy_shortlist", t3 - t2), ("whole", t3 - t0), ("proxy_50", t4 - t3)):
                times[key].append(1000 * dt)
            shortlist_sizes.append(len(top))
    import os

    return {"ranker": best, "checkpoint": str(folder), "embedder": getattr(embedder, "name", None), "conversations": sorted(test),
            "shortlist_mean": round(float(np.mean(shortlist_sizes)), 1) if shortlist_sizes else 0, "load": [round(x, 2) for x in os.getloadavg()],
            **{k: _pct(v) for k, v in times.items() if v}}
