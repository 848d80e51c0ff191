"""The trained proxy's parameters and checkpoint format (numpy at inference, torch only to train).

A :class:`ProxyWeights` holds a query adapter ``W`` (the adapted query is
``normalise(q + q @ W.T)``, docs keep their base embeddings, so nothing is re-embedded) and a
small scoring head over :data:`~agentmem.retrieval.proxy.features.FEATURE_NAMES`: a linear term
plus a one-hidden-layer tanh MLP, on standardised features.

Checkpoint folder (``settings.paths.checkpoints / "proxy"`` by default)::

    VERSION        {"format": "agentmem-proxy", "version": 1, "features": [...], "embedder": ..., "dim": 384}
    weights.npz    W, mean, std, lin_w, lin_b, w1, b1, w2, b2
    config.json    the ProxyConfig used
    training.json  what it was trained on, per-epoch log, held-out figures

:func:`load_checkpoint` raises :class:`~agentmem.retrieval.proxy.base.ProxyCheckpointError`
when the folder is missing or from another format version, feature set or embedder.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from ...fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from .base import ProxyCheckpointError
from .features import FEATURE_NAMES, N_FEATURES

FORMAT = "agentmem-proxy"
VERSION = 1


class ProxyConfig(BaseModel):
    """Hyper-parameters of the trained proxy (defaults used for every reported figure)."""

    candidates: int = Field(default=50, gt=0, description="Shortlist size the proxy reranks (stage-1 top N).")
    neighbours: int = Field(default=0, ge=0, description="Benchmark shortlists (LoCoMo, corpus files) also take the same-session adjacent turns (index +-1) of the stage-1 top `neighbours` (0 = plain top N).")
    hidden: int = Field(default=32, gt=0)
    adapter_epochs: int = Field(default=40, ge=0)
    adapter_lr: float = 2e-3
    adapter_l2: float = Field(default=0.1, description="Penalty pulling the adapter towards the identity (used when nothing is held out).")
    adapter_l2_grid: list[float] = Field(default_factory=lambda: [0.03, 0.1, 0.3, 1.0], description="Penalties tried on the held-out conversations.")
    adapter_scale: float = Field(default=20.0, description="Inverse temperature of the contrastive adapter loss.")
    warm_epochs: int = Field(default=10, ge=0, description="Listwise (softmax over evidence) warm start of the head (10: with the context features, more epochs overfit on LoCoMo dev fold 0's held-out conversation).")
    rl_epochs: int = Field(default=30, ge=0, description="Plackett-Luce policy-gradient epochs with the MemSifter reward.")
    samples: int = Field(default=8, gt=1, description="Rankings sampled per query and epoch (leave-one-out baseline).")
    lr: float = 5e-3
    average_last: int = Field(default=5, ge=1, description="Checkpoint averaging: mean of the head weights over the last N epochs.")
    validation_share: float = Field(default=0.2, ge=0.0, lt=1.0, description="Share of training conversations held out to pick the adapter's epochs and log held-out figures.")
    refit_all: bool = Field(default=True, description="After picking epochs on the held-out share, retrain on all training conversations.")
    seed: int = 0


@dataclass
class ProxyWeights:
    W: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    lin_w: np.ndarray
    lin_b: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def identity(cls, dim: int, hidden: int = 32) -> "ProxyWeights":
        z = np.zeros
        lin = z(N_FEATURES, dtype=np.float32)
        lin[0] = 1.0  # an untrained head reproduces the stage-1 order
        return cls(z((dim, dim), np.float32), z(N_FEATURES, np.float32), np.ones(N_FEATURES, np.float32), lin, z(1, np.float32), z((hidden, N_FEATURES), np.float32), z(hidden, np.float32), z((1, hidden), np.float32), z(1, np.float32))

    def adapt(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=np.float32).reshape(-1)
        a = q + self.W @ q
        n = float(np.linalg.norm(a))
        return a / n if n > 0 else a

    def score(self, feats: np.ndarray) -> np.ndarray:
        x = (feats - self.mean) / self.std
        h = np.tanh(x @ self.w1.T + self.b1)
        return (x @ self.lin_w + self.lin_b[0] + (h @ self.w2.T).reshape(-1) + self.b2[0]).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in ("W", "mean", "std", "lin_w", "lin_b", "w1", "b1", "w2", "b2")}


def save_checkpoint(folder: str | Path, weights: ProxyWeights, config: ProxyConfig, embedder_name: str, training: dict[str, Any]) -> Path:
    """Write a checkpoint folder atomically file by file (VERSION last, so a half-written folder fails to load)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **weights.arrays())  # pyright: ignore[reportArgumentType]  # array names only, no allow_pickle key
    atomic_write_bytes(folder / "weights.npz", buf.getvalue())
    atomic_write_json(folder / "config.json", config.model_dump())
    atomic_write_json(folder / "training.json", training)
    atomic_write_text(folder / "VERSION", json.dumps({"format": FORMAT, "version": VERSION, "features": FEATURE_NAMES, "embedder": embedder_name, "dim": int(weights.W.shape[0])}))
    return folder


def load_checkpoint(folder: str | Path, embedder_name: str | None = None) -> tuple[ProxyWeights, ProxyConfig, dict[str, Any]]:
    """Read a checkpoint; raise :class:`ProxyCheckpointError` naming the file when it is missing or foreign."""
    folder = Path(folder)
    vfile = folder / "VERSION"
    if not vfile.exists():
        raise ProxyCheckpointError(f"{vfile}: no proxy checkpoint here (train one with `agentmem retriever train`)")
    try:
        meta = json.loads(vfile.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ProxyCheckpointError(f"{vfile}: unreadable version file ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ProxyCheckpointError(f"{vfile}: checkpoint format {meta.get('format') if isinstance(meta, dict) else meta!r} v{meta.get('version') if isinstance(meta, dict) else '?'} is not {FORMAT} v{VERSION}")
    if meta.get("features") != FEATURE_NAMES:
        raise ProxyCheckpointError(f"{vfile}: checkpoint was trained on another feature set")
    if embedder_name is not None and meta.get("embedder") != embedder_name:
        raise ProxyCheckpointError(f"{vfile}: checkpoint was trained with embedder {meta.get('embedder')!r}, not {embedder_name!r}")
    try:
        with np.load(folder / "weights.npz") as data:
            weights = ProxyWeights(**{k: np.asarray(data[k], dtype=np.float32) for k in data.files})
        config = ProxyConfig(**json.loads((folder / "config.json").read_text(encoding="utf-8")))
        training = json.loads((folder / "training.json").read_text(encoding="utf-8")) if (folder / "training.json").exists() else {}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ProxyCheckpointError(f"{folder}: damaged proxy checkpoint ({exc})") from exc
    return weights, config, training
