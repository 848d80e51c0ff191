"""The trained proxy at inference: numpy only, a few milliseconds for 50 candidates.

Example::

    from agentmem.retrieval.proxy.trained import auto_proxy, load_proxy
    proxy = load_proxy("ckpt/", embedder)         # ProxyCheckpointError naming ckpt/ if unusable
    proxy = auto_proxy(settings.paths.checkpoints / "proxy", embedder)   # newest usable, else HybridOrder
    result = proxy.rerank("When did Caroline go to the LGBTQ support group?", shortlist)
    result.report.fallback   # None, or why the stage-1 order was kept
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...types import Recalled
from .base import (
    HybridOrder,
    Proxy,
    ProxyCheckpointError,
    ProxyReport,
    ProxyResult,
    rescore,
)
from .features import candidate_features
from .model import ProxyConfig, ProxyWeights, load_checkpoint

log = logging.getLogger(__name__)


QUERY_ENCODER = "query-encoder"


class TrainedProxy:
    """Scores a shortlist with the trained head over :mod:`.features` and reorders it.

    ``query_embedder``: a fine-tuned query encoder (a checkpoint's ``query-encoder/`` folder,
    written by ``agentmem retriever train``): the task is embedded with it while the candidates
    keep the store's vectors; ``None`` = the store's embedder for both."""

    name = "trained"

    def __init__(self, embedder: Any, weights: ProxyWeights, config: ProxyConfig | None = None, training: dict[str, Any] | None = None, query_embedder: Any | None = None) -> None:
        self.embedder = embedder
        self.weights = weights
        self.config = config or ProxyConfig()
        self.training = training or {}
        self.query_embedder = query_embedder

    @classmethod
    def load(cls, folder: str | Path, embedder: Any) -> TrainedProxy:
        """Load a checkpoint; raises :class:`ProxyCheckpointError` when missing or foreign."""
        weights, config, training = load_checkpoint(folder, getattr(embedder, "name", None))
        return cls(embedder, weights, config, training, query_encoder(folder, embedder))

    def score_arrays(self, query: str, texts: Sequence[str], stage1: np.ndarray, q_vec: np.ndarray, d_vecs: np.ndarray, metadatas: Sequence[dict[str, Any]] | None = None) -> np.ndarray:
        """Proxy scores of candidates whose embeddings are already at hand (training and benchmarks)."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float32)
        metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        dense = d_vecs @ np.asarray(q_vec, dtype=np.float32).reshape(-1)
        adapted = d_vecs @ self.weights.adapt(q_vec)
        speakers = sorted({str(m["speaker"]) for m in metas if m.get("speaker")})
        feats = candidate_features(query, texts, stage1, dense, adapted, metas, speakers)
        return self.weights.score(feats)

    def rerank(self, query: str, candidates: list[Recalled]) -> ProxyResult:
        if not candidates or not query.strip():
            return ProxyResult(items=list(candidates), report=ProxyReport(proxy=self.name, fallback="empty query or shortlist" if candidates else None))
        texts = [c.record.text for c in candidates]
        vecs = np.asarray(self.embedder.embed([query, *texts]), dtype=np.float32)
        q_vec = vecs[0] if self.query_embedder is None else np.asarray(self.query_embedder.embed([query]), dtype=np.float32)[0]
        stage1 = np.array([c.score for c in candidates], dtype=np.float32)
        scores = self.score_arrays(query, texts, stage1, q_vec, vecs[1:], [c.record.metadata for c in candidates])
        order = np.argsort(-scores, kind="stable")
        return ProxyResult(items=rescore([candidates[int(i)] for i in order], "proxy:trained"), report=ProxyReport(proxy=self.name))


def query_encoder(folder: str | Path, embedder: Any) -> Any | None:
    """The checkpoint's fine-tuned query encoder (``<folder>/query-encoder``), or ``None`` when it has none.

    It was fine-tuned against the base MiniLM's item vectors, so it is only used beside a
    MiniLM store embedder; a checkpoint that has one next to another embedder is refused
    (:class:`ProxyCheckpointError`). The model loads on the first query."""
    from .finetune import read_finetune_record

    path = Path(folder) / QUERY_ENCODER
    if not path.is_dir():
        return None
    record = read_finetune_record(path)
    if record is None:
        raise ProxyCheckpointError(f"{path}: query encoder without a readable finetune.json")
    if not str(getattr(embedder, "name", "")).startswith("minilm:"):
        raise ProxyCheckpointError(f"{path}: a MiniLM query encoder cannot pair with embedder {getattr(embedder, 'name', None)!r}")
    from ..embedder import MiniLMEmbedder

    return MiniLMEmbedder(model_path=str(path))


def load_proxy(folder: str | Path, embedder: Any) -> TrainedProxy:
    """The trained proxy from a checkpoint folder the caller named.

    Raises :class:`ProxyCheckpointError` naming the folder when it is missing, damaged or from
    another version, feature set or embedder: a named checkpoint never silently becomes the
    hybrid order. For "use a checkpoint if there is one" use :func:`auto_proxy`.
    """
    try:
        return TrainedProxy.load(folder, embedder)
    except ProxyCheckpointError as exc:
        raise ProxyCheckpointError(f"proxy checkpoint {folder} cannot be used: {exc}") from exc


def checkpoint_folders(root: str | Path) -> list[Path]:
    """Checkpoint folders under ``root``, newest first: ``root`` itself and its direct subfolders that hold a VERSION file
    (``agentmem retriever train`` writes ``<home>/checkpoints/proxy/<UTC time>-<source>/``)."""
    root = Path(root)
    found = [p for p in [root, *(sorted(root.iterdir()) if root.is_dir() else [])] if (p / "VERSION").is_file()]
    return sorted(found, key=lambda p: ((p / "VERSION").stat().st_mtime, p.name), reverse=True)


def auto_proxy(root: str | Path, embedder: Any | Callable[[], Any], required: bool = False) -> Proxy:
    """The newest checkpoint under ``root`` compatible with the embedder, for recall's default.

    ``embedder`` may be a zero-argument factory, called only when a checkpoint exists. Without
    a usable checkpoint: :class:`HybridOrder` with the reason in every report, or, when
    ``required`` (``settings.recall.proxy = 'trained'``), :class:`ProxyCheckpointError`.
    """
    folders = checkpoint_folders(root)
    if not folders:
        if required:
            raise ProxyCheckpointError(f"{root}: no proxy checkpoint here (train one with `agentmem retriever train`)")
        return HybridOrder(reason=f"no proxy checkpoint under {root}")
    emb = embedder() if callable(embedder) and not hasattr(embedder, "embed") else embedder
    reasons = []
    for folder in folders:
        try:
            return TrainedProxy.load(folder, emb)
        except ProxyCheckpointError as exc:
            reasons.append(str(exc))
    if required:
        raise ProxyCheckpointError(f"{root}: no usable proxy checkpoint: " + "; ".join(reasons))
    log.warning("no usable proxy checkpoint under %s, keeping the hybrid ranking: %s", root, "; ".join(reasons))
    return HybridOrder(reason="no usable proxy checkpoint: " + "; ".join(reasons))
