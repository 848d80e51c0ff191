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
from agentmem.evals.locomo.proxy_data import REWARDS, run_proxy_folds
from agentmem.evals.locomo.retrieval import (
    Progress,
    baseline_rows,
    build_corpora,
    default_embedder,
    score_rankings,
    two_folds,
)
from agentmem.fileio import sha256_file
from agentmem.retrieval.proxy.model import ProxyConfig

METRICS = ("R@1", "R@5", "R@10", "R@20", "session_hit@3")


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
) -> dict[str, Any]:
    """Baselines once, then one proxy per (protocol, reward, seed); returns the JSON report.

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
            per_seed, training, cand = [], [], []
            for seed in seed_sets[name]:
                if log:
                    log(f"{name}: reward={reward} seed={seed}")
                folder = Path(checkpoint_root) / name / reward / f"seed{seed}" if checkpoint_root else None
                res = run_proxy_folds(convs, corpora, embedder, splits, config=base.model_copy(update={"seed": seed}), checkpoint_dir=folder, progress=progress, log=log, reward=reward)
                per_seed.append({k: res[k] for k in ("main", "category_5", "per_category")})
                cand.append(res["candidate_recall"])
                training.append([{k: t.get(k) for k in ("reward", "reward_source", "conversations", "adapter_l2", "adapter_epochs", "seconds")} for t in res["training"]])
            entry["rankers"][f"proxy:{reward}"] = {**mean_tables(per_seed), "ranker": f"trained proxy ({reward} reward)", "per_seed": [s["main"] for s in per_seed],
                                                   "candidate_recall": float(np.mean(cand)), "candidates": base.candidates, "training": training}
        report["protocols"][name] = entry
    save = getattr(embedder, "save", None)
    if callable(save):
        save()
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report
