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
