"""Contrastive fine-tuning of the MiniLM embedder (the proxy's first stage), on CPU.

* :func:`finetune_query_encoder` (used by the LoCoMo protocol): only the *query* side is
  trained; items keep their base vectors, so nothing is re-embedded. Each question's softmax
  runs over every item of its corpus (multi-positive).
* :func:`finetune_minilm`: symmetric in-batch-negatives training (the loss sentence-transformers
  calls ``MultipleNegativesRankingLoss``): for a batch of ``(query, positive)`` pairs, each
  query's positive must out-score every other pair's positive (and optional hard negatives).
  Item vectors change, so every item must be re-embedded afterwards.

Both are plain torch loops over the loaded ``SentenceTransformer`` (no ``datasets`` or
``accelerate`` needed). The model is saved as a folder that
:class:`~agentmem.retrieval.embedder.MiniLMEmbedder` loads (``MiniLMEmbedder(model_path=folder)``);
its embedder name is ``minilm:<folder name>``, so proxy checkpoints trained on its vectors are
never mixed with the base model's. A ``finetune.json`` beside the model records what it was
trained on. torch and sentence-transformers are imported lazily.

Example::

    from agentmem.retrieval.proxy.finetune import finetune_minilm
    info = finetune_minilm([("when did Mel paint?", "[8 May 2023] Mel: I painted ...")], "ckpt/minilm-ft-demo")
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...fileio import atomic_write_json

FINETUNE_FILE = "finetune.json"


def _step(opt: Any, loss: Any, *, lr: float, warmup: int, steps: int, losses: list[float], log: Any, total: int, label: str) -> int:
    """One optimiser step with linear warm-up; records the loss, logs every 10 steps; returns the step count."""
    for pg in opt.param_groups:
        pg["lr"] = lr * min(1.0, (steps + 1) / warmup)
    opt.zero_grad()
    loss.backward()
    opt.step()
    steps += 1
    losses.append(float(loss.detach()))
    if log and (steps % 10 == 0 or steps == total):
        log(f"{label} step {steps}/{total} loss {sum(losses[-10:]) / len(losses[-10:]):.3f}")
    return steps


def finetune_minilm(
    pairs: Sequence[tuple[str, str]],
    out_dir: str | Path,
    base_path: str | None = None,
    hard_negatives: Sequence[str | None] | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    lr: float = 2e-5,
    scale: float = 20.0,
    seed: int = 0,
    threads: int = 1,
    record: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune MiniLM on ``(query, positive)`` pairs and save it to ``out_dir``; returns the record.

    ``hard_negatives`` (aligned with ``pairs``; ``None`` entries allowed) adds one extra
    negative per pair to the batch's candidates. Pairs sharing a query in one batch are not
    a problem for the loss' correctness only when their positives differ; duplicates are
    dropped. ``record`` is merged into ``finetune.json`` (say what the pairs came from).
    """
    if not pairs:
        raise ConfigError("finetune_minilm: no (query, positive) pairs to train on")
    if hard_negatives is not None and len(hard_negatives) != len(pairs):
        raise ConfigError(f"finetune_minilm: hard_negatives has {len(hard_negatives)} entries for {len(pairs)} pairs")
    import torch
    from sentence_transformers import SentenceTransformer

    from ..embedder import packaged_minilm_path

    t0 = time.perf_counter()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base_path or packaged_minilm_path()
    model = SentenceTransformer(base, device="cpu")
    model.train()
    negs = list(hard_negatives) if hard_negatives is not None else [None] * len(pairs)
    data = list(dict.fromkeys(zip([p[0] for p in pairs], [p[1] for p in pairs], negs)))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    steps, losses = 0, []
    total = epochs * ((len(data) + batch_size - 1) // batch_size)
    warmup = max(1, total // 10)

    prep = getattr(model, "preprocess", None) or model.tokenize

    def embed(texts: list[str]) -> torch.Tensor:
        feats = prep(texts)
        out = model(dict(feats))["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    for _ in range(epochs):
        rng.shuffle(data)
        for start in range(0, len(data), batch_size):
            batch = data[start : start + batch_size]
            # a positive that is also another query's positive in this batch is not a negative for it
            qs = [b[0] for b in batch]
            docs = [b[1] for b in batch] + [b[2] for b in batch if b[2]]
            q = embed(qs)
            d = embed(docs)
            sim = scale * q @ d.T
            same = torch.tensor([[docs[j] == batch[i][1] and j != i for j in range(len(docs))] for i in range(len(batch))])
            sim = sim.masked_fill(same, float("-inf"))
            loss = torch.nn.functional.cross_entropy(sim, torch.arange(len(batch)))
            steps = _step(opt, loss, lr=lr, warmup=warmup, steps=steps, losses=losses, log=log, total=total, label="finetune")
    model.eval()
    info = {
        "base": str(base),
        "kind": "symmetric",
        "pairs": len(data),
        "hard_negatives": sum(1 for b in data if b[2]),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "scale": scale,
        "seed": seed,
        "steps": steps,
        "loss_first": round(sum(losses[:10]) / max(1, len(losses[:10])), 4),
        "loss_last": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "seconds": round(time.perf_counter() - t0, 1),
        **(record or {}),
    }
    _save(model, Path(out_dir), info)
    return info


def finetune_query_encoder(
    groups: Sequence[tuple[Sequence[str], Sequence[Sequence[int]], Any]],
    out_dir: str | Path,
    base_path: str | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    lr: float = 5e-5,
    scale: float = 20.0,
    seed: int = 0,
    threads: int = 1,
    record: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune MiniLM as the *query* encoder only; the items keep their base vectors.

    ``groups`` are ``(queries, positives, item_vectors)``: one corpus (e.g. a conversation)
    with its base-model item vectors ``(n_items, dim)`` and, per query, the indices of its
    relevant items. The loss is a multi-positive softmax of each query over *every* item of
    its corpus (all other items are negatives), as the proxy's query adapter uses. Since
    items are never re-embedded, a store's write-time vectors stay valid: only the query
    goes through the fine-tuned model. Saved like :func:`finetune_minilm`. The learning rate
    (5e-5, one epoch, batch 32) was picked on LoCoMo development fold 0 (2e-5 gave 0.7 points
    less top-80 coverage).
    """
    data = [(g, j) for g, (qs, pos, _) in enumerate(groups) for j in range(len(qs)) if pos[j]]
    if not data:
        raise ConfigError("finetune_query_encoder: no query with a relevant item to train on")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from ..embedder import packaged_minilm_path

    t0 = time.perf_counter()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base_path or packaged_minilm_path()
    model = SentenceTransformer(base, device="cpu")
    model.train()
    items = [torch.tensor(np.asarray(v, dtype=np.float32)) for _, _, v in groups]
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    prep = getattr(model, "preprocess", None) or model.tokenize
    total = epochs * ((len(data) + batch_size - 1) // batch_size)
    warmup = max(1, total // 10)
    steps, losses = 0, []
    for _ in range(epochs):
        rng.shuffle(data)
        for start in range(0, len(data), batch_size):
            batch = data[start : start + batch_size]
            q = torch.nn.functional.normalize(model(dict(prep([groups[g][0][j] for g, j in batch])))["sentence_embedding"], dim=-1)
            loss = torch.zeros(())
            for r, (g, j) in enumerate(batch):
                logp = torch.log_softmax(scale * items[g] @ q[r], dim=0)
                loss = loss - torch.logsumexp(logp[list(groups[g][1][j])], dim=0)
            loss = loss / len(batch)
            steps = _step(opt, loss, lr=lr, warmup=warmup, steps=steps, losses=losses, log=log, total=total, label="query-encoder")
    model.eval()
    info = {"base": str(base), "kind": "query-encoder", "queries": len(data), "epochs": epochs, "batch_size": batch_size, "lr": lr, "scale": scale, "seed": seed, "steps": steps,
            "loss_first": round(sum(losses[:10]) / max(1, len(losses[:10])), 4), "loss_last": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
            "seconds": round(time.perf_counter() - t0, 1), **(record or {})}
    _save(model, Path(out_dir), info)
    return info


def _save(model: Any, out: Path, info: dict[str, Any]) -> None:
    import shutil

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save(str(tmp))
    atomic_write_json(tmp / FINETUNE_FILE, info)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


def read_finetune_record(folder: str | Path) -> dict[str, Any] | None:
    """The ``finetune.json`` of a fine-tuned model folder, or ``None`` when absent or unreadable."""
    path = Path(folder) / FINETUNE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
