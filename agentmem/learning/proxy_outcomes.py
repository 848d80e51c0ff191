"""Train the proxy retriever from the home's outcome log (rows the controller loop writes).

Each run of the reflective controller logs, per recalled item, the task text, the item (store,
id, rank in context) and the run's outcome score (:mod:`agentmem.learning.outcome_log`). That is
all this learner reads: no gold labels.

* **Tasks**: every distinct task text with at least one run that had items in context.
* **Shortlist**: today's stage 1 for the task (``Memory.candidates``, top ``candidates``), so the
  proxy learns on exactly what it will rerank at recall time.
* **s(k)** (:class:`OutcomeLogScorer`): the best observed outcome among the top-k items: for an
  item, the mean score of the task's runs that had it in context; an item never in context of
  the task scores the task's mean. ``s_0`` is the mean score of the task's runs with nothing
  in context, or the task's mean when there is none. The head's listwise warm start and the
  query adapter use the items whose mean outcome beats the task's mean; MemSifter's
  Fibonacci/DCG reward with REINFORCE follows for ``rl_epochs`` epochs (default 0 here, as for
  the LoCoMo outcome row: on its development folds the listwise head on the outcome's best items
  scored R@10 79.2 and 30 REINFORCE epochs on top 78.6, at 20x the CPU; unmeasured on a real log).

Example::

    from agentmem.learning.proxy_outcomes import train_from_outcome_log
    record = train_from_outcome_log(memory, outcome_log.rows(), out_dir)
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..retrieval.proxy.model import ProxyConfig, save_checkpoint
from ..retrieval.proxy.train import AdapterGroup, Log, ShortlistQuery, fit_proxy
from .outcome_log import OutcomeRow


def _key(store: str, item_id: str) -> str:
    return f"{store}/{item_id}"


class OutcomeLogScorer:
    """``s(k)`` from logged runs: the best mean outcome among the top-k items (see the module docstring)."""

    name = "outcome-log"

    def __init__(self, rows: Sequence[OutcomeRow]) -> None:
        runs: dict[str, dict[str, Any]] = {}
        for r in rows:
            run = runs.setdefault(r.run_id, {"task": r.task_text, "score": r.reward, "items": set()})
            if r.item_id:
                run["items"].add(_key(r.store, r.item_id))
        by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for run in runs.values():
            by_task[run["task"]].append(run)
        self.mean: dict[str, float] = {}
        self.empty: dict[str, float] = {}
        self.utility: dict[str, dict[str, float]] = {}
        for task, rs in by_task.items():
            self.mean[task] = float(np.mean([x["score"] for x in rs]))
            bare = [x["score"] for x in rs if not x["items"]]
            self.empty[task] = float(np.mean(bare)) if bare else self.mean[task]
            seen: dict[str, list[float]] = defaultdict(list)
            for x in rs:
                for i in x["items"]:
                    seen[i].append(x["score"])
            self.utility[task] = {i: float(np.mean(v)) for i, v in seen.items()}

    @property
    def tasks(self) -> list[str]:
        return [t for t, u in self.utility.items() if u]

    def item_score(self, task: str, item: str) -> float:
        return self.utility.get(task, {}).get(item, self.mean.get(task, 0.0))

    def score(self, query_id: str, top_ids: Sequence[str]) -> float:
        if not top_ids:
            return self.empty.get(query_id, 0.0)
        return max(self.item_score(query_id, i) for i in top_ids)

    def helpful(self, task: str, ids: Sequence[str], limit: int = 5) -> list[str]:
        """Items whose mean outcome beats the task's mean (best first)."""
        base = self.mean.get(task, 0.0)
        good = sorted((i for i in ids if self.utility.get(task, {}).get(i, base) > base + 1e-9), key=lambda i: -self.utility[task][i])
        return good[:limit]


def outcome_queries(memory: Any, scorer: OutcomeLogScorer, embedder: Any, candidates: int) -> list[ShortlistQuery]:
    """One shortlist per logged task, from today's stage 1 of ``memory`` (query id = the task text)."""
    out = []
    for task in scorer.tasks:
        shortlist, _ = memory.candidates(task, memory.namespace, None)
        head = shortlist[:candidates]
        if not head:
            continue
        ids = [_key(r.record.store, r.record.id) for r in head]
        texts = [r.record.text for r in head]
        vecs = np.asarray(embedder.embed([task, *texts]), dtype=np.float32)
        rel = set(scorer.helpful(task, ids))
        out.append(ShortlistQuery(qid=task, query=task, q_vec=vecs[0], ids=ids, texts=texts, stage1=np.array([r.score for r in head], dtype=np.float32),
                                  d_vecs=vecs[1:], metadatas=[dict(r.record.metadata) for r in head], relevant=rel, n_relevant=len(rel)))
    return out


def finetune_from_outcomes(queries: Sequence[ShortlistQuery], embedder: Any, out: str | Path, seed: int = 0, log: Log | None = None, min_tasks: int = 8) -> tuple[Any | None, dict[str, Any]]:
    """Fine-tune the MiniLM query encoder on the logged tasks (positives: the items that helped,
    negatives: the rest of each task's shortlist; items keep the store's vectors) into
    ``<out>/query-encoder``. Returns the encoder (``None`` when skipped) and what was done."""
    from ..retrieval.proxy.trained import QUERY_ENCODER

    path = getattr(embedder, "model_path", None)
    if not str(getattr(embedder, "name", "")).startswith("minilm:") or not path:
        return None, {"query_encoder": f"skipped: the store embedder {getattr(embedder, 'name', None)!r} is not MiniLM"}
    groups = [([q.query], [[q.ids.index(i) for i in q.relevant]], q.d_vecs) for q in queries if q.relevant]
    if len(groups) < min_tasks:
        return None, {"query_encoder": f"skipped: {len(groups)} task(s) with an item that helped, need {min_tasks}"}
    from ..retrieval.embedder import MiniLMEmbedder
    from ..retrieval.proxy.finetune import finetune_query_encoder

    target = Path(out) / QUERY_ENCODER
    info = finetune_query_encoder(groups, target, base_path=str(path), seed=seed, record={"source": "outcome-log", "tasks": len(groups)}, log=log)
    return MiniLMEmbedder(model_path=str(target)), {"query_encoder": QUERY_ENCODER, "query_encoder_seconds": info.get("seconds"), "query_encoder_tasks": len(groups)}


def train_from_outcome_log(memory: Any, rows: Sequence[OutcomeRow], out: str | Path, embedder: Any, config: ProxyConfig | None = None, log: Log | None = None, min_tasks: int = 2,
                           finetune_encoder: bool = False) -> dict[str, Any]:
    """Train a proxy from logged outcomes and save it to ``out``; returns the training record.

    ``finetune_encoder``: first fine-tune the MiniLM query encoder on the logged tasks
    (:func:`finetune_from_outcomes`, saved in the checkpoint; recall then embeds tasks with it);
    skipped, with the reason in the record, for another embedder or too few tasks.
    Raises :class:`~agentmem.errors.ConfigError` when the log holds fewer than ``min_tasks`` tasks
    with recalled items (nothing to learn from).
    """
    config = config or ProxyConfig(adapter_l2_grid=[], refit_all=False, validation_share=0.0, rl_epochs=0)
    scorer = OutcomeLogScorer(rows)
    queries = outcome_queries(memory, scorer, embedder, config.candidates)
    if len(queries) < min_tasks:
        raise ConfigError(f"the outcome log holds {len(queries)} task(s) with recalled items that stage 1 still finds; need at least {min_tasks} "
                          "(run tasks through the controller first, or train with --corpus FILE)")
    encoder, done = finetune_from_outcomes(queries, embedder, out, seed=config.seed, log=log) if finetune_encoder else (None, {"query_encoder": "off"})
    if encoder is not None:
        qv = np.asarray(encoder.embed([q.query for q in queries]), dtype=np.float32)
        queries = [dataclasses.replace(q, q_vec=v) for q, v in zip(queries, qv)]
    groups = [AdapterGroup(corpus=q.d_vecs, queries=q.q_vec[None, :], positives=[[q.ids.index(i) for i in q.relevant]]) for q in queries]
    weights, record = fit_proxy(groups, queries, scorer, config, log=log)
    record.update(reward="outcome-log", reward_source=f"outcome:{OutcomeLogScorer.name}", tasks=len(queries), runs=len({r.run_id for r in rows}), **done)
    save_checkpoint(out, weights, config, getattr(embedder, "name", "unknown"), record)
    return {k: v for k, v in record.items() if k != "history"} | {"checkpoint": str(out)}


def train_proxy_from_home(settings: Any, out: str | Path, config: ProxyConfig | None = None, log: Log | None = None, finetune_encoder: bool = True) -> dict[str, Any]:
    """``agentmem retriever train`` with no source: the home's stores give today's shortlists, its
    outcome log the reward. ``config`` overrides ``candidates``, the epoch counts and the seed;
    with few logged tasks nothing is held out (no adapter strength grid, no refit).
    ``finetune_encoder``: also fine-tune the MiniLM query encoder on the logged tasks (when the
    home's embedder is MiniLM and at least 8 tasks had an item that helped)."""
    from ..memory import Memory
    from ..retrieval.factory import make_embedder
    from .outcome_log import OutcomeLog
    from .wiring import open_memory

    state, _ = open_memory(settings)
    memory = Memory(list(state.stores.values()), settings=settings)
    rows = OutcomeLog(settings.paths.home / "outcomes.sqlite").rows()
    cfg = ProxyConfig(adapter_l2_grid=[], refit_all=False, validation_share=0.0, rl_epochs=0)
    if config is not None:
        keep = ("candidates", "rl_epochs", "warm_epochs", "adapter_epochs", "seed")
        cfg = cfg.model_copy(update={k: v for k, v in config.model_dump().items() if k in keep})
    return train_from_outcome_log(memory, rows, out, make_embedder(settings), cfg, log=log, finetune_encoder=finetune_encoder)
