"""The LLM-free LoCoMo retrieval benchmark (issue 5 protocol, kept exactly so figures compare).

Per conversation the corpus is its turns, each rendered by :meth:`Turn.render`
(``[<session date>] <speaker>: <text>`` plus `` [image: <caption>]``). Queries are the QA items
with non-empty (normalised) evidence; evidence ids that name no turn count as misses. Metrics:
evidence recall@k (share of a query's evidence turns in the top k, averaged) for k = 1, 5, 10,
20, and session hit@3 (sessions ranked by their best turn; a hit when a session holding
evidence is among the first three). Categories 1-4 together are the main table, category 5 is
reported separately, and every category on its own.

Retrievers: ``bm25`` (bm25s), ``bm25_incremental`` (:class:`~agentmem.retrieval.incremental_bm25.IncrementalBM25`,
the default lexical engine of stores), ``fts5`` (SQLite FTS5), ``dense`` (MiniLM cosine),
``hybrid`` (RRF of bm25 and dense, k=60), ``hybrid_incremental`` and ``hybrid_fts5`` (RRF of
that engine and dense) and
``proxy`` (the trained MemSifter proxy reranking the hybrid shortlist; two-fold protocol:
train on five conversations, evaluate on the other five, then swap).

Example::

    from agentmem.evals.locomo.retrieval import evaluate_retrieval
    report = evaluate_retrieval(retriever="hybrid")
    report["main"]["R@10"]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agentmem.errors import ConfigError
from agentmem.evals.locomo.data import CATEGORY_NAMES, Conversation, QAItem, load_locomo, locomo_data_info

K_VALUES = (1, 5, 10, 20)
RETRIEVERS = ("bm25", "bm25_incremental", "fts5", "dense", "hybrid", "hybrid_incremental", "hybrid_fts5", "proxy")
LEXICAL = {"bm25": "bm25s", "bm25_incremental": "incremental", "fts5": "fts5", "hybrid": "bm25s", "hybrid_incremental": "incremental", "hybrid_fts5": "fts5"}
LEXICAL_ONLY = ("bm25", "bm25_incremental", "fts5")
MAIN_CATEGORIES = (1, 2, 3, 4)
Progress = Callable[[str, int, int], None]


@dataclass
class ConversationCorpus:
    """One conversation's turns, rendered, with BM25 and dense scorers over them."""

    conv: Conversation
    ids: list[str]
    texts: list[str]
    embeddings: np.ndarray | None = None
    _bm25: Any = None
    _fts: Any = None
    _inc: Any = None
    pos: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, conv: Conversation, embedder: Any | None = None) -> "ConversationCorpus":
        ids = [t.dia_id for t in conv.turns]
        texts = [t.render() for t in conv.turns]
        corpus = cls(conv=conv, ids=ids, texts=texts, pos={i: n for n, i in enumerate(ids)})
        if embedder is not None:
            corpus.embeddings = np.asarray(embedder.embed(texts), dtype=np.float32)
        return corpus

    def bm25_scores(self, query: str, engine: str = "bm25s") -> np.ndarray:
        """BM25 score of every turn (0 where no query term matches); ``engine`` is ``bm25s``
        ``incremental`` or ``fts5`` (all in memory)."""
        if engine == "incremental":
            if self._inc is None:
                from agentmem.retrieval.incremental_bm25 import IncrementalBM25

                self._inc = IncrementalBM25()
                self._inc.upsert(self.ids, self.texts)
            index = self._inc
        elif engine == "fts5":
            if self._fts is None:
                from agentmem.retrieval.fts import FTSIndex

                self._fts = FTSIndex()
                self._fts.upsert(self.ids, self.texts)
            index = self._fts
        else:
            from agentmem.retrieval.lexical import BM25Index

            if self._bm25 is None:
                self._bm25 = BM25Index()
                self._bm25.upsert(self.ids, self.texts)
            index = self._bm25
        out = np.zeros(len(self.ids), dtype=np.float32)
        for hit in index.search(query, k=len(self.ids)):
            out[self.pos[hit.id]] = hit.score
        return out

    def dense_scores(self, query_vec: np.ndarray) -> np.ndarray:
        if self.embeddings is None:
            raise ConfigError("dense scores need an embedder: ConversationCorpus.build(conv, embedder)")
        return self.embeddings @ np.asarray(query_vec, dtype=np.float32).reshape(-1)


class DiskCachedEmbedder:
    """Wraps an embedder with an on-disk cache (``.npz`` keyed by text hash) so benchmark reruns skip embedding.

    Keeps the wrapped embedder's ``name`` and ``dim``, so checkpoints stay compatible.
    """

    def __init__(self, inner: Any, path: str | Path) -> None:
        import hashlib

        self.inner, self.path = inner, Path(path)
        self.name, self.dim = inner.name, inner.dim
        self._h = lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest()
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    keys, vecs = data["keys"].tolist(), np.array(data["vecs"], dtype=np.float32)
                self._cache = {k: vecs[i] for i, k in enumerate(keys)}
            except (OSError, KeyError, ValueError):
                self._cache = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [self._h(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._cache}.items())
        if missing:
            vecs = self.inner.embed([t for _, t in missing])
            for (k, _), v in zip(missing, vecs):
                self._cache[k] = np.asarray(v, dtype=np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])

    def save(self) -> None:
        if not self._dirty:
            return
        import io

        from agentmem.fileio import atomic_write_bytes

        keys = sorted(self._cache)
        buf = io.BytesIO()
        np.savez(buf, keys=np.array(keys), vecs=np.stack([self._cache[k] for k in keys]))
        atomic_write_bytes(self.path, buf.getvalue())
        self._dirty = False


def rank_from_scores(scores: np.ndarray, only_positive: bool = False) -> list[int]:
    """Turn indices by descending score (stable: ties keep corpus order)."""
    order = np.argsort(-scores, kind="stable")
    if only_positive:
        order = order[scores[order] > 0]
    return [int(i) for i in order]


def rrf_indices(rankings: Sequence[Sequence[int]], k: int = 60) -> tuple[list[int], dict[int, float]]:
    """Reciprocal rank fusion over index rankings; returns the fused order and the fused scores."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for r, i in enumerate(ranking, start=1):
            scores[i] = scores.get(i, 0.0) + 1.0 / (k + r)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return order, scores


def evidence_recall(ranked_ids: Sequence[str], evidence: Sequence[str], k: int) -> float:
    """Share of ``evidence`` among the first ``k`` ids (0 for no evidence)."""
    if not evidence:
        return 0.0
    top = set(ranked_ids[:k])
    return sum(1 for e in evidence if e in top) / len(evidence)


def session_hit(ranked_ids: Sequence[str], evidence: Sequence[str], valid: set[str], n: int = 3) -> float:
    """1 when a session holding findable evidence is among the first ``n`` sessions (ranked by best turn)."""
    ev_sessions = {e.split(":")[0] for e in evidence if e in valid}
    if not ev_sessions:
        return 0.0
    seen: list[str] = []
    for i in ranked_ids:
        s = i.split(":")[0]
        if s not in seen:
            seen.append(s)
            if len(seen) == n:
                break
    return 1.0 if ev_sessions & set(seen) else 0.0


def queries_of(conv: Conversation, categories: Sequence[int] | None = None) -> list[QAItem]:
    """QA items with non-empty evidence (optionally of some categories)."""
    return [q for q in conv.qa if q.evidence and (categories is None or q.category in categories)]


def score_rankings(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-query rows (``category``, ``R@k``, ``session_hit@3``) into the report tables."""

    def table(sub: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"queries": len(sub)}
        for key in [f"R@{k}" for k in K_VALUES] + ["session_hit@3"]:
            out[key] = round(100.0 * float(np.mean([r[key] for r in sub])), 2) if sub else None
        return out

    per_cat = {str(c): {"name": CATEGORY_NAMES[c], **table([r for r in rows if r["category"] == c])} for c in sorted({r["category"] for r in rows})}
    return {
        "main": {"categories": list(MAIN_CATEGORIES), **table([r for r in rows if r["category"] in MAIN_CATEGORIES])},
        "category_5": table([r for r in rows if r["category"] == 5]),
        "per_category": per_cat,
    }


def query_row(conv: Conversation, qa: QAItem, ranked_ids: Sequence[str], valid: set[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"conversation": conv.sample_id, "category": qa.category}
    for k in K_VALUES:
        row[f"R@{k}"] = evidence_recall(ranked_ids, qa.evidence, k)
    row["session_hit@3"] = session_hit(ranked_ids, qa.evidence, valid)
    return row


class BaselineRanker:
    """Stage-1 rankings of one corpus: ``bm25``, ``dense`` or ``hybrid`` (RRF, k=60), as turn indices."""

    def __init__(self, corpus: ConversationCorpus, embedder: Any | None, rrf_k: int = 60) -> None:
        self.corpus, self.embedder, self.rrf_k = corpus, embedder, rrf_k

    def rank(self, question: str, mode: str, query_vec: np.ndarray | None = None) -> list[int]:
        if mode in LEXICAL_ONLY:
            return rank_from_scores(self.corpus.bm25_scores(question, LEXICAL[mode]), only_positive=True)
        qv = query_vec
        if qv is None:
            if self.embedder is None:
                raise ConfigError(f"{mode} ranking needs an embedder: BaselineRanker(corpus, embedder)")
            qv = self.embedder.embed([question])[0]
        dense = rank_from_scores(self.corpus.dense_scores(qv))
        if mode == "dense":
            return dense
        bm = rank_from_scores(self.corpus.bm25_scores(question, LEXICAL[mode]), only_positive=True)
        return rrf_indices([bm, dense], k=self.rrf_k)[0]


def baseline_rows(corpora: Sequence[ConversationCorpus], embedder: Any | None, mode: str, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Per-query rows of one stage-1 retriever (``bm25``, ``bm25_incremental``, ``fts5``, ``dense``, ``hybrid``, ``hybrid_fts5``) over the corpora."""
    rows = []
    for n, corpus in enumerate(corpora):
        if progress:
            progress(mode, n, len(corpora))
        ranker = BaselineRanker(corpus, embedder)
        qs = queries_of(corpus.conv)
        qvecs = embedder.embed([q.question for q in qs]) if mode not in LEXICAL_ONLY and qs and embedder is not None else None
        valid = corpus.conv.turn_ids()
        for j, qa in enumerate(qs):
            order = ranker.rank(qa.question, mode, None if qvecs is None else qvecs[j])
            rows.append(query_row(corpus.conv, qa, [corpus.ids[i] for i in order], valid))
    return rows


def two_folds(convs: list[Conversation], folds: int = 2) -> list[tuple[list[int], list[int]]]:
    """Contiguous folds over conversation order: fold f tests on its block and trains on the rest."""
    if folds < 2 or folds > len(convs):
        raise ConfigError(f"folds={folds}: need 2 <= folds <= {len(convs)} conversations")
    blocks = np.array_split(np.arange(len(convs)), folds)
    out = []
    for b in blocks:
        test = [int(i) for i in b]
        out.append(([i for i in range(len(convs)) if i not in test], test))
    return out


def default_embedder(settings: Any | None) -> Any:
    """The embedder from ``settings`` (``settings.embedder``), else the local MiniLM model."""
    if settings is not None:
        from agentmem.retrieval.factory import make_embedder

        return make_embedder(settings)
    from agentmem.retrieval.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


def build_corpora(convs: Sequence[Conversation], embedder: Any | None, cache_dir: str | Path | None = None,
                  progress: Progress | None = None) -> tuple[list[ConversationCorpus], Any | None]:
    """Embed every conversation's turns (through an on-disk cache under ``cache_dir`` when given).

    Returns the corpora and the embedder to keep using (the cached wrapper when ``cache_dir``
    is set, so question embeddings are cached too; call its ``save()`` after more embedding).
    """
    if embedder is not None and cache_dir is not None:
        embedder = DiskCachedEmbedder(embedder, Path(cache_dir) / f"locomo-embeddings-{embedder.name.replace(':', '_').replace('/', '_')}.npz")
    corpora = []
    for n, conv in enumerate(convs):
        if progress:
            progress("embed", n, len(convs))
        corpora.append(ConversationCorpus.build(conv, embedder))
    if isinstance(embedder, DiskCachedEmbedder):
        embedder.save()
    return corpora, embedder


def evaluate_retrieval(
    data_path: str | Path | None = None,
    retriever: str = "hybrid",
    folds: int = 2,
    embedder: Any | None = None,
    settings: Any | None = None,
    proxy_config: Any | None = None,
    checkpoint_dir: str | Path | None = None,
    baselines: bool = True,
    limit_conversations: int | None = None,
    progress: Progress | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    modes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run the LoCoMo retrieval benchmark and return a JSON-serialisable report.

    ``retriever`` is one of ``bm25``, ``dense``, ``hybrid``, ``proxy``. With ``proxy`` the
    two-fold protocol runs: for each fold a proxy is trained on the training conversations
    (or loaded from ``checkpoint_dir/fold<f>`` when a checkpoint trained on exactly those
    conversations is there) and evaluated on the held-out ones; with ``baselines`` the bm25,
    dense and hybrid figures are recomputed in the same run on the same queries.
    ``cache_dir`` keeps the turn and question embeddings on disk between runs. ``modes`` names
    the stage-1 retrievers to score (default: all of them when ``baselines``).
    The report has ``main`` (categories 1-4), ``category_5``, ``per_category`` and, for the
    proxy, ``folds`` with each fold's own tables.
    """
    if retriever not in RETRIEVERS:
        raise ConfigError(f"retriever={retriever!r}: expected one of {', '.join(RETRIEVERS)}")
    t0 = time.perf_counter()
    convs = load_locomo(data_path)
    if limit_conversations:
        convs = convs[:limit_conversations]
    if modes is not None:
        unknown = [m for m in modes if m not in RETRIEVERS or m == "proxy"]
        if unknown:
            raise ConfigError(f"modes={unknown}: expected some of {', '.join(r for r in RETRIEVERS if r != 'proxy')}")
    if embedder is None and (any(m not in LEXICAL_ONLY for m in modes) if modes is not None else (retriever not in LEXICAL_ONLY or baselines)):
        embedder = default_embedder(settings)
    corpora, embedder = build_corpora(convs, embedder, cache_dir, progress)
    wanted = modes
    modes = [retriever] if retriever != "proxy" else []
    if wanted is not None:
        modes = list(dict.fromkeys([*wanted, *modes]))
    elif baselines:
        modes = [m for m in RETRIEVERS if m != "proxy"]
    report: dict[str, Any] = {
        "benchmark": "locomo-retrieval",
        "retriever": retriever,
        "protocol": "corpus = turns rendered '[date] speaker: text [image: caption]'; queries = QA with evidence; evidence recall@k; session hit@3",
        "conversations": [c.sample_id for c in convs],
        "embedder": getattr(embedder, "name", None),
        # which data actually ran (file, sha256, whether it is the published release), as every eval records
        "data": locomo_data_info(data_path, len(convs)).model_dump(mode="json"),
    }
    results: dict[str, Any] = {}
    for mode in modes:
        rows = baseline_rows(corpora, embedder, mode, progress)
        results[mode] = {**score_rankings(rows), "_rows": rows}
    if retriever == "proxy":
        from agentmem.evals.locomo.proxy_data import run_proxy_folds

        results["proxy"] = run_proxy_folds(convs, corpora, embedder, two_folds(convs, folds), settings=settings, config=proxy_config, checkpoint_dir=checkpoint_dir, progress=progress, seed=seed, log=log)
    folds_out = []
    if retriever == "proxy":
        for f, (train, test) in enumerate(two_folds(convs, folds)):
            test_ids = {convs[i].sample_id for i in test}
            entry: dict[str, Any] = {"fold": f, "train": [convs[i].sample_id for i in train], "test": sorted(test_ids)}
            for mode, res in results.items():
                entry[mode] = score_rankings([r for r in res["_rows"] if r["conversation"] in test_ids])["main"]
            entry["proxy_training"] = results["proxy"].get("training", [])[f] if results["proxy"].get("training") else None
            folds_out.append(entry)
    if isinstance(embedder, DiskCachedEmbedder):
        embedder.save()
    for res in results.values():
        res.pop("_rows", None)
    main = results[retriever]
    report.update({k: main[k] for k in ("main", "category_5", "per_category")})
    report["retrievers"] = {m: {k: v for k, v in r.items() if k in ("main", "category_5", "per_category", "candidates", "candidate_recall")} for m, r in results.items()}
    if folds_out:
        report["folds"] = folds_out
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report
