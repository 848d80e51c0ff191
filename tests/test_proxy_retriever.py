"""MemSifter proxy: ranking parser, reward, checkpoints and fallbacks, training on a held-out split."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from agentmem.prompts import PromptLibrary
from agentmem.retrieval.proxy.base import HybridOrder, ProxyCheckpointError
from agentmem.retrieval.proxy.features import FEATURE_NAMES, N_FEATURES, candidate_features
from agentmem.retrieval.proxy.llm_proxy import parse_ranking
from agentmem.retrieval.proxy.model import ProxyConfig, ProxyWeights, load_checkpoint, save_checkpoint
from agentmem.retrieval.proxy.reward import EvidenceRecallScorer, LLMOutcomeScorer, cutoff_weights, fibonacci_cutoffs, memsifter_reward
from agentmem.retrieval.proxy.train import ShortlistQuery, fit_proxy, shortlist_recall
from agentmem.retrieval.proxy.trained import TrainedProxy, auto_proxy, load_proxy
from agentmem.testing import FunctionLLM, HashEmbedder
from agentmem.types import MemoryRecord, Recalled


def test_parse_ranking_strict_indices_tolerant_prose() -> None:
    text = "Let me think. [2] mentions the date, [5] is noise.\nRANKING: [3] > [1] > [7] > [3] > [0] > [2]\nThanks!"
    p = parse_ranking(text, 5)
    assert p.order == [3, 1, 2]
    assert p.dropped == ["[7] unknown", "[3] repeated", "[0] unknown"]
    assert "Let me think" in p.reasoning
    assert parse_ranking("no ranking at all", 4).order == []
    assert parse_ranking("[2]>[1]", 2).order == [2, 1]  # unmarked last line with brackets


def test_fibonacci_cutoffs_and_weights() -> None:
    assert fibonacci_cutoffs(20) == [1, 2, 3, 5, 8, 13]
    w = cutoff_weights([1, 2, 3])
    assert w[0] == pytest.approx(1 - 1 / math.log2(3))
    assert w[2] == pytest.approx(1 / math.log2(4) - 1 / math.log2(6))
    assert all(a > b for a, b in zip(w, w[1:]))


def test_reward_prefers_evidence_on_top_and_counts_missing_evidence() -> None:
    scorer = EvidenceRecallScorer({"q": ["a", "b"]}, totals={"q": 4})
    assert scorer.score("q", ["a", "b"]) == 0.5
    top = memsifter_reward("q", ["a", "x", "y", "b", "z"], scorer)
    low = memsifter_reward("q", ["x", "y", "z", "a", "b"], scorer)
    assert top > low > 0.0
    assert memsifter_reward("q", ["x", "y"], scorer) == 0.0


def test_llm_outcome_scorer_goes_through_the_same_reward() -> None:
    texts = {"m1": "the code is 42", "m2": "the sky is blue"}
    llm = FunctionLLM(lambda msgs, info: "42" if "code is 42" in msgs[-1].content else "unknown")
    scorer = LLMOutcomeScorer(llm, {"q": "what is the code?"}, texts, grade=lambda qid, reply: 1.0 if "42" in reply else 0.0)
    assert memsifter_reward("q", ["m1", "m2"], scorer) > memsifter_reward("q", ["m2", "m1"], scorer)
    calls = len(llm.calls)
    memsifter_reward("q", ["m1", "m2"], scorer)
    assert len(llm.calls) == calls  # memoised


def test_prompt_templates_render() -> None:
    lib = PromptLibrary()
    out = lib.render("proxy_rank.j2", task="When did X move?", candidates=[{"index": 1, "store": "facts", "text": "X moved in May"}], limit=1)
    assert "[1] (facts) X moved in May" in out and "RANKING:" in out
    assert "Task: q" in lib.render("proxy_answer.j2", task="q", memories=["m"])
    assert "- **T**: body" in lib.render("recall_context.j2", sections=[{"store": "facts", "title": "Facts", "entries": [{"title": "T", "text": "body", "score": 1.0}]}])


def test_features_shape_and_metadata() -> None:
    f = candidate_features(
        "When did Caroline paint?",
        ["[1 May] Caroline: I painted last week", "[1 May] Mel: nice"],
        np.array([0.2, 0.1]),
        np.array([0.5, 0.1]),
        np.array([0.6, 0.0]),
        [{"speaker": "Caroline", "session": 1, "index": 0}, {"speaker": "Mel", "session": 1, "index": 1}],
        ["Caroline", "Mel"],
    )
    assert f.shape == (2, N_FEATURES)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert f[0, col["speaker_named"]] == 1 and f[1, col["other_named"]] == 1
    assert f[0, col["temporal_match"]] == 1 and f[1, col["temporal_match"]] == 0
    assert f[1, col["neighbour_adapted"]] == pytest.approx(0.6)


def _synthetic(n_queries: int, seed: int) -> list[ShortlistQuery]:
    """Queries name a speaker; the relevant candidate is that speaker's, while stage 1 is noise."""
    rng = np.random.default_rng(seed)
    names = ["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal"]
    out = []
    for q in range(n_queries):
        who = names[q % len(names)]
        ids = [f"q{q}c{j}" for j in range(8)]
        speakers = rng.permutation(names).tolist()
        rel = speakers.index(who)
        d = rng.normal(size=(8, 16)).astype(np.float32)
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        qv = rng.normal(size=16).astype(np.float32)
        qv /= np.linalg.norm(qv)
        out.append(
            ShortlistQuery(
                qid=f"q{q}", query=f"What did {who} say?", q_vec=qv, ids=ids, texts=[f"[d] {s}: something" for s in speakers],
                stage1=rng.random(8).astype(np.float32), d_vecs=d, metadatas=[{"speaker": s} for s in speakers], relevant={ids[rel]}, n_relevant=1,
            )
        )
    return out


def test_training_improves_held_out_recall_with_fixed_seed() -> None:
    train, held = _synthetic(64, 0), _synthetic(32, 1)
    scorer = EvidenceRecallScorer({q.qid: sorted(q.relevant) for q in train})
    config = ProxyConfig(adapter_epochs=0, warm_epochs=3, rl_epochs=4, samples=4, average_last=2, seed=0)
    weights, record = fit_proxy([], train, scorer, config)
    proxy = TrainedProxy(HashEmbedder(16), weights, config)
    before = shortlist_recall(held, [q.stage1 for q in held], 1)
    after = shortlist_recall(held, [proxy.score_arrays(q.query, q.texts, q.stage1, q.q_vec, q.d_vecs, q.metadatas) for q in held], 1)
    assert after > before + 0.3
    assert any(h["phase"] == "rl" and "mean_reward" in h for h in record["history"])


def test_rl_alone_improves_reward() -> None:
    train = _synthetic(64, 2)
    scorer = EvidenceRecallScorer({q.qid: sorted(q.relevant) for q in train})
    config = ProxyConfig(adapter_epochs=0, warm_epochs=0, rl_epochs=12, samples=6, average_last=1, lr=0.05, seed=0)
    _, record = fit_proxy([], train, scorer, config)
    rewards = [h["mean_reward"] for h in record["history"]]
    assert np.mean(rewards[-3:]) > np.mean(rewards[:3])


def test_checkpoint_roundtrip_missing_and_foreign(tmp_path) -> None:  # noqa: ANN001
    emb = HashEmbedder(16)
    w = ProxyWeights.identity(16)
    folder = save_checkpoint(tmp_path / "proxy", w, ProxyConfig(), emb.name, {"conversations": []})
    proxy = TrainedProxy.load(folder, emb)
    cands = [Recalled(record=MemoryRecord(id=f"r{i}", store="facts", text=f"text {i}"), score=1 - i / 4) for i in range(4)]
    assert [r.record.id for r in proxy.rerank("text", cands).items] == ["r0", "r1", "r2", "r3"]  # identity head keeps stage 1
    with pytest.raises(ProxyCheckpointError, match="no proxy checkpoint"):
        load_checkpoint(tmp_path / "missing")
    with pytest.raises(ProxyCheckpointError, match="embedder"):
        load_checkpoint(folder, "minilm:other")
    (folder / "VERSION").write_text(json.dumps({"format": "agentmem-proxy", "version": 999}))
    with pytest.raises(ProxyCheckpointError, match="v999"):  # a named checkpoint never silently becomes hybrid
        load_proxy(folder, emb)
    fallback = auto_proxy(folder, emb)  # recall's default: keep the hybrid order, say why
    assert isinstance(fallback, HybridOrder) and "v999" in fallback.reason
    res = fallback.rerank("text", cands)
    assert [r.record.id for r in res.items] == ["r0", "r1", "r2", "r3"] and res.report.fallback
    (folder / "VERSION").write_text("not json")
    assert isinstance(auto_proxy(folder, emb), HybridOrder)


def test_trained_proxy_handles_empty_input() -> None:
    proxy = TrainedProxy(HashEmbedder(16), ProxyWeights.identity(16))
    assert proxy.rerank("q", []).items == []
    cands = [Recalled(record=MemoryRecord(id="a", store="s", text="t"), score=1.0)]
    assert proxy.rerank("  ", cands).report.fallback
