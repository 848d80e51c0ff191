"""The trained proxy is on by default: ``Memory.recall`` uses the newest compatible checkpoint under
``<home>/checkpoints/proxy`` and ignores an incompatible one with a logged reason."""

from __future__ import annotations

import json
import logging
import os
import time

from agentmem.memory import Memory
from agentmem.retrieval.proxy.base import HybridOrder
from agentmem.retrieval.proxy.features import FEATURE_NAMES
from agentmem.retrieval.proxy.model import ProxyConfig, ProxyWeights, save_checkpoint
from agentmem.retrieval.proxy.trained import TrainedProxy
from agentmem.settings import Settings
from agentmem.stores.memory_store import InMemoryStore
from agentmem.testing import HashEmbedder, InMemoryIndex

TEXTS = [
    "the red key is under the mat by the door",
    "the key to the shed hangs on a hook",
    "a key lime pie recipe needs limes",
    "keys and wallets get lost in sofas",
    "the garden gate has no lock",
    "the mat by the door is new",
]


def _memory(settings: Settings, emb: HashEmbedder) -> Memory:
    store = InMemoryStore("facts", emb, InMemoryIndex())
    store.add_texts(TEXTS, namespace="default", ids=[f"t{i}" for i in range(len(TEXTS))])
    return Memory.from_settings(settings, [store], embedder=emb)


def _reversing(dim: int) -> ProxyWeights:
    """A head that scores candidates by minus their stage-1 score: it reverses the hybrid order."""
    w = ProxyWeights.identity(dim)
    w.lin_w[FEATURE_NAMES.index("stage1")] = -1.0
    return w


def _age(folder, seconds: float) -> None:  # noqa: ANN001
    t = time.time() - seconds
    os.utime(folder / "VERSION", (t, t))


def test_recall_uses_the_newest_compatible_checkpoint(settings: Settings) -> None:
    emb = HashEmbedder()
    query = "where is the key by the door"
    plain = _memory(settings, emb)
    assert isinstance(plain.proxy, HybridOrder)
    hybrid = plain.recall(query).item_ids
    assert len(hybrid) >= 3 and plain.last_report is not None and plain.last_report.proxy is not None
    assert "no proxy checkpoint" in (plain.last_report.proxy.fallback or "")

    root = settings.paths.checkpoints / "proxy"
    old = save_checkpoint(root / "a-identity", ProxyWeights.identity(emb.dim), ProxyConfig(), emb.name, {"tag": "identity"})
    new = save_checkpoint(root / "b-reverse", _reversing(emb.dim), ProxyConfig(), emb.name, {"tag": "reverse"})
    _age(old, 60)
    _age(new, 30)
    mem = _memory(settings, emb)
    assert isinstance(mem.proxy, TrainedProxy) and mem.proxy.training["tag"] == "reverse"
    ranked = mem.recall(query).item_ids
    assert mem.last_report is not None and mem.last_report.proxy is not None and mem.last_report.proxy.fallback is None
    assert sorted(ranked) == sorted(hybrid) and ranked != hybrid
    assert ranked[0] == hybrid[-1] and ranked[-1] == hybrid[0]  # the trained checkpoint decided the order

    # the older (identity) checkpoint, once it is the newest, gives the hybrid order back
    _age(new, 90)
    assert _memory(settings, emb).recall(query).item_ids == hybrid


def test_incompatible_checkpoints_are_ignored_with_a_logged_reason(settings: Settings, caplog) -> None:  # noqa: ANN001
    emb = HashEmbedder()
    query = "where is the key by the door"
    hybrid = _memory(settings, emb).recall(query).item_ids
    root = settings.paths.checkpoints / "proxy"
    usable = save_checkpoint(root / "a-usable", _reversing(emb.dim), ProxyConfig(), emb.name, {"tag": "usable"})
    foreign = save_checkpoint(root / "b-foreign-embedder", _reversing(emb.dim), ProxyConfig(), "minilm:other", {"tag": "foreign"})
    stale = save_checkpoint(root / "c-old-features", _reversing(emb.dim), ProxyConfig(), emb.name, {"tag": "stale"})
    meta = json.loads((stale / "VERSION").read_text())
    (stale / "VERSION").write_text(json.dumps({**meta, "features": FEATURE_NAMES[:19]}))  # a checkpoint from before the context features
    _age(usable, 90)
    _age(foreign, 60)
    _age(stale, 30)
    mem = _memory(settings, emb)
    assert isinstance(mem.proxy, TrainedProxy) and mem.proxy.training["tag"] == "usable"  # the two newer ones are skipped

    usable.joinpath("VERSION").unlink()
    with caplog.at_level(logging.WARNING, logger="agentmem"):
        mem = _memory(settings, emb)
    assert isinstance(mem.proxy, HybridOrder)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "no usable proxy checkpoint" in logged and "minilm:other" in logged and "another feature set" in logged
    assert mem.recall(query).item_ids == hybrid
    assert mem.last_report is not None and mem.last_report.proxy is not None
    assert "another feature set" in (mem.last_report.proxy.fallback or "")


def test_outcome_log_training_fine_tunes_the_query_encoder_recall_then_uses(tmp_path) -> None:  # noqa: ANN001
    import numpy as np
    import pytest

    from agentmem.learning.outcome_log import OutcomeRow
    from agentmem.learning.proxy_outcomes import train_from_outcome_log
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.proxy.base import ProxyCheckpointError
    from agentmem.retrieval.proxy.trained import load_proxy, query_encoder
    from agentmem.types import MemoryRecord, Recalled

    topics = ["sourdough bread", "sailing the lake", "chess openings", "watercolour harbour", "marathon training", "tomato garden", "jazz piano", "mountain hiking", "pottery wheel"]
    notes = [f"notes on {t}" for t in topics]

    class StageOne:
        namespace = "default/default"

        def candidates(self, query, namespace, stores):  # noqa: ANN001, ANN202
            return [Recalled(record=MemoryRecord(id=f"n{j}", store="facts", text=t), score=1.0 - j / 20) for j, t in enumerate(notes)], None

    rows = []
    for t, topic in enumerate(topics):  # each task was answered well only with its own note in context
        for run, (item, score) in enumerate([(f"n{t}", 1.0), (f"n{(t + 1) % len(topics)}", 0.0)]):
            rows.append(OutcomeRow(run_id=f"{t}-{run}", task_text=f"what did I write about {topic}?", store="facts", item_id=item, rank=0, reward=score, success=score > 0.5))
    cfg = ProxyConfig(adapter_epochs=0, adapter_l2_grid=[], warm_epochs=3, rl_epochs=1, samples=2, average_last=1, candidates=len(notes), refit_all=False, validation_share=0.0)
    emb = MiniLMEmbedder()
    record = train_from_outcome_log(StageOne(), rows, tmp_path / "ck", emb, cfg, finetune_encoder=True)
    assert record["query_encoder"] == "query-encoder" and record["query_encoder_tasks"] == len(topics)
    proxy = load_proxy(tmp_path / "ck", emb)
    assert proxy.query_embedder is not None and proxy.query_embedder.model_path == str(tmp_path / "ck" / "query-encoder")
    task = "what did I write about jazz piano?"
    assert not np.allclose(proxy.query_embedder.embed([task])[0], emb.embed([task])[0])  # the task goes through the fine-tuned encoder
    shortlist, _ = StageOne().candidates(task, None, None)
    assert sorted(r.record.id for r in proxy.rerank(task, shortlist).items) == sorted(r.record.id for r in shortlist)
    with pytest.raises(ProxyCheckpointError, match="cannot pair with embedder 'hash-256'"):
        query_encoder(tmp_path / "ck", HashEmbedder())
    skipped = train_from_outcome_log(StageOne(), rows, tmp_path / "ck-hash", HashEmbedder(), cfg, finetune_encoder=True)
    assert skipped["query_encoder"].startswith("skipped: the store embedder 'hash-256' is not MiniLM") and not (tmp_path / "ck-hash" / "query-encoder").exists()
