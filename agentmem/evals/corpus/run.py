"""Retrieval on any corpus file: score BM25, dense, hybrid and a proxy checkpoint; train a proxy.

The first stage and the metrics are the LoCoMo benchmark's (:mod:`agentmem.evals.locomo.retrieval`):
per group, BM25 through the lexical index, dense cosine with the embedder, hybrid = reciprocal
rank fusion (k = 60) of both; the proxy reranks the hybrid top ``candidates`` (its checkpoint's
setting) and the rest keeps the hybrid order. Metrics: recall@k of the gold ids (k = 1, 5, 10,
20), averaged over queries with gold ids, overall and per category.

Every report records which ranker actually ran (``rankers.<name>.ranker``), the checkpoint it
loaded and what that checkpoint was trained on, and the corpus file's sha256. A checkpoint the
caller names and that cannot be used raises :class:`~agentmem.retrieval.proxy.base.ProxyCheckpointError`
naming it: no silent hybrid fallback.

Example::

    report = evaluate_corpus("corpus.jsonl", checkpoint="~/.agentmem/checkpoints/proxy")
    report["rankers"]["proxy"]["main"]["R@10"]
    record = train_corpus("corpus.jsonl", "ckpt/", reward="outcome")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agentmem.errors import ConfigError
from agentmem.evals.corpus.format import Corpus, CorpusGroup, CorpusQuery, load_corpus
from agentmem.retrieval.proxy.model import ProxyConfig, save_checkpoint
from agentmem.retrieval.proxy.reward import EvidenceRecallScorer, ReaderScorer
from agentmem.retrieval.proxy.train import AdapterGroup, ShortlistQuery, fit_proxy
from agentmem.retrieval.proxy.trained import TrainedProxy

K_VALUES = (1, 5, 10, 20)
RANKERS = ("bm25", "dense", "hybrid", "proxy")
REWARDS = ("gold", "outcome")
Log = Callable[[str], None]


def corpus_embedder(settings: Any | None = None) -> Any:
    """The embedder from ``settings`` (with its on-disk cache), else the packaged MiniLM."""
    if settings is not None:
        from agentmem.retrieval.factory import make_embedder

        return make_embedder(settings)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


@dataclass
class GroupIndex:
    """One group's documents with their BM25 index and embeddings."""

    group: CorpusGroup
    embeddings: np.ndarray
    lexical: Any = None
    pos: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, group: CorpusGroup, embedder: Any) -> GroupIndex:
        from agentmem.retrieval.lexical import BM25Index

        texts = [d.text for d in group.documents]
        lexical = BM25Index()
        lexical.upsert(group.ids, texts)
        return cls(group=group, embeddings=np.asarray(embedder.embed(texts), dtype=np.float32), lexical=lexical, pos={i: n for n, i in enumerate(group.ids)})

    def bm25_order(self, query: str) -> list[int]:
        return [self.pos[h.id] for h in self.lexical.search(query, k=len(self.pos)) if h.score > 0]

    def dense_order(self, q_vec: np.ndarray) -> list[int]:
        return [int(i) for i in np.argsort(-(self.embeddings @ q_vec), kind="stable")]

    def hybrid(self, query: str, q_vec: np.ndarray, rrf_k: int = 60) -> tuple[list[int], dict[int, float]]:
        scores: dict[int, float] = {}
        for ranking in (self.bm25_order(query), self.dense_order(q_vec)):
            for r, i in enumerate(ranking, start=1):
                scores[i] = scores.get(i, 0.0) + 1.0 / (rrf_k + r)
        return sorted(scores, key=lambda i: (-scores[i], i)), scores

    def shortlist(self, q: CorpusQuery, q_vec: np.ndarray, n: int, relevant: Sequence[str]) -> tuple[ShortlistQuery, list[int]]:
        order, fused = self.hybrid(q.text, q_vec)
        top = order[:n]
        docs = self.group.documents
        sq = ShortlistQuery(qid=q.id, query=q.text, q_vec=np.asarray(q_vec, dtype=np.float32), ids=[docs[i].id for i in top], texts=[docs[i].text for i in top],
                            stage1=np.array([fused[i] for i in top], dtype=np.float32), d_vecs=self.embeddings[top], metadatas=[dict(docs[i].metadata) for i in top],
                            relevant={e for e in relevant if e in self.pos}, n_relevant=len(set(relevant)))
        return sq, order


def _recall(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    top = set(ranked[:k])
    return sum(1 for e in set(gold) if e in top) / len(set(gold))


def _tables(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def table(sub: list[dict[str, Any]]) -> dict[str, Any]:
        return {"queries": len(sub), **{f"R@{k}": round(100.0 * float(np.mean([r[f"R@{k}"] for r in sub])), 2) if sub else None for k in K_VALUES}}

    cats = sorted({r["category"] for r in rows if r["category"] is not None})
    return {"main": table(rows), "per_category": {c: table([r for r in rows if r["category"] == c]) for c in cats}}


def evaluate_corpus(
    path: str | Path,
    rankers: Sequence[str] = ("bm25", "dense", "hybrid"),
    checkpoint: str | Path | None = None,
    embedder: Any | None = None,
    settings: Any | None = None,
) -> dict[str, Any]:
    """Score each ranker on the corpus's queries with gold ids; see the module docstring."""
    t0 = time.perf_counter()
    unknown = [r for r in rankers if r not in RANKERS]
    if unknown:
        raise ConfigError(f"--ranker {unknown[0]!r}: expected one of {', '.join(RANKERS)}")
    if "proxy" in rankers and checkpoint is None:
        raise ConfigError("ranker 'proxy' needs a checkpoint: pass --checkpoint DIR (train one with `agentmem retriever train --corpus FILE`)")
    corpus = load_corpus(path)
    embedder = embedder or corpus_embedder(settings)
    assert embedder is not None  # corpus_embedder always returns one
    proxy = TrainedProxy.load(checkpoint, embedder) if "proxy" in rankers and checkpoint is not None else None  # raises, naming the folder
    report: dict[str, Any] = {"benchmark": "corpus-retrieval", "corpus": str(corpus.path), "corpus_sha256": corpus.sha256, "documents": corpus.n_documents,
                              "queries_with_gold": sum(1 for g in corpus.groups.values() for q in g.queries if q.gold), "unknown_gold_ids": corpus.unknown_gold(),
                              "embedder": getattr(embedder, "name", None), "first_stage": "hybrid = RRF(k=60) of BM25 and dense", "rankers": {}}
    rows: dict[str, list[dict[str, Any]]] = {r: [] for r in rankers}
    for group in corpus.groups.values():
        scored = [q for q in group.queries if q.gold]
        if not scored or not group.documents:
            continue
        gi = GroupIndex.build(group, embedder)
        qvecs = np.asarray(embedder.embed([q.text for q in scored]), dtype=np.float32)
        ids = group.ids
        for q, qv in zip(scored, qvecs):
            for r in rankers:
                if r == "bm25":
                    order = gi.bm25_order(q.text)
                elif r == "dense":
                    order = gi.dense_order(qv)
                elif r == "hybrid":
                    order = gi.hybrid(q.text, qv)[0]
                else:
                    assert proxy is not None
                    sq, full = gi.shortlist(q, qv, proxy.config.candidates, q.gold)
                    s = proxy.score_arrays(sq.query, sq.texts, sq.stage1, sq.q_vec, sq.d_vecs, sq.metadatas)
                    head = [gi.pos[sq.ids[int(i)]] for i in np.argsort(-s, kind="stable")]
                    order = head + full[len(head) :]
                ranked = [ids[i] for i in order]
                rows[r].append({"category": q.category, **{f"R@{k}": _recall(ranked, q.gold, k) for k in K_VALUES}})
    for r in rankers:
        entry: dict[str, Any] = {"ranker": r, **_tables(rows[r])}
        if r == "proxy":
            assert proxy is not None
            tr = proxy.training
            entry.update(ranker="trained proxy", checkpoint=str(checkpoint), candidates=proxy.config.candidates,
                         trained_on={k: tr.get(k) for k in ("reward", "reward_source", "corpus", "corpus_sha256", "conversations") if tr.get(k) is not None})
        report["rankers"][r] = entry
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


def _queries_for(group: CorpusGroup, reward: str) -> list[CorpusQuery]:
    return [q for q in group.queries if (q.gold if reward == "gold" else q.answer)]


def build_training(corpus: Corpus, groups: Sequence[str], embedder: Any, candidates: int, reward: str, reader: ReaderScorer | None) -> tuple[list[AdapterGroup], list[ShortlistQuery]]:
    """Adapter groups and shortlists for training. With ``reward="outcome"`` every label is the reader's
    (the documents it answers best from), and no gold id is read."""
    adapter, shortlists = [], []
    for name in groups:
        group = corpus.groups[name]
        qs = _queries_for(group, reward)
        if not qs or not group.documents:
            continue
        gi = GroupIndex.build(group, embedder)
        qv = np.asarray(embedder.embed([q.text for q in qs]), dtype=np.float32)
        if reward == "gold":
            labels = [list(q.gold) for q in qs]
        elif reader is not None:
            labels = [reader.pseudo_relevant(q.id, group.ids) for q in qs]
        else:
            raise ConfigError("reward='outcome' needs a ReaderScorer")
        adapter.append(AdapterGroup(corpus=gi.embeddings, queries=qv, positives=[[gi.pos[e] for e in lab if e in gi.pos] for lab in labels]))
        for q, v, lab in zip(qs, qv, labels):
            shortlists.append(gi.shortlist(q, v, candidates, lab)[0])
    return adapter, shortlists


def train_corpus(
    path: str | Path,
    out: str | Path,
    reward: str = "gold",
    config: ProxyConfig | None = None,
    embedder: Any | None = None,
    settings: Any | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """Train a proxy on a corpus file and save the checkpoint to ``out``.

    ``reward="gold"``: ``s(k)`` = share of the gold ids in the top k (queries with ``gold``).
    ``reward="outcome"``: ``s(k)`` = the LLM-free reader's best span F1 of the query's ``answer``
    in the top k (queries with ``answer``; gold ids are not read). With two or more groups the
    last ``validation_share`` of them picks the adapter's strength, then all are refit.
    """
    if reward not in REWARDS:
        raise ConfigError(f"--reward {reward!r}: expected one of {', '.join(REWARDS)}")
    config = config or ProxyConfig()
    corpus = load_corpus(path)
    names = [n for n, g in corpus.groups.items() if _queries_for(g, reward)]
    if not names:
        need = "gold ids" if reward == "gold" else "an answer"
        raise ConfigError(f"{path}: no query has {need}, so reward={reward!r} has nothing to learn from")
    embedder = embedder or corpus_embedder(settings)
    reader = None
    if reward == "outcome":
        docs = {d.id: d.text for g in corpus.groups.values() for d in g.documents}
        qs = [q for g in corpus.groups.values() for q in g.queries if q.answer]
        reader = ReaderScorer({q.id: q.answer or "" for q in qs}, docs, tasks={q.id: q.text for q in qs})
    n_val = int(round(len(names) * config.validation_share)) if len(names) > 1 else 0
    train_n, val_n = names[: len(names) - n_val], names[len(names) - n_val :]
    tg, tq = build_training(corpus, train_n, embedder, config.candidates, reward, reader)
    vg, vq = build_training(corpus, val_n, embedder, config.candidates, reward, reader) if val_n else ([], [])
    scorer: Any = reader if reader is not None else EvidenceRecallScorer({q.qid: sorted(q.relevant) for q in tq + vq}, totals={q.qid: q.n_relevant for q in tq + vq})
    weights, record = fit_proxy(tg, tq, scorer, config, vg, vq, log)
    if config.refit_all and val_n:
        held_out = {k: record[k] for k in ("adapter_val_R@10", "history") if k in record}
        weights, record = fit_proxy(tg + vg, tq + vq, scorer, config.model_copy(update={"adapter_epochs": record["adapter_epochs"], "adapter_l2": record["adapter_l2"]}), log=log)
        record["selection"] = held_out
    record.update(corpus=str(corpus.path), corpus_sha256=corpus.sha256, groups=names, reward=reward,
                  reward_source="corpus-gold-recall" if reward == "gold" else f"outcome:{ReaderScorer.name}")
    save_checkpoint(out, weights, config, getattr(embedder, "name", "unknown"), record)
    return {k: v for k, v in record.items() if k not in ("history", "selection")} | {"checkpoint": str(out)}
