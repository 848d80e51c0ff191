"""The issue-16 LoCoMo protocol on a tiny synthetic file: folds + final split, gold and outcome rewards, seeds."""

from __future__ import annotations

import functools
import json

import pytest

from agentmem.errors import ConfigError
from agentmem.evals.corpus.format import load_corpus
from agentmem.evals.corpus.run import evaluate_corpus
from agentmem.evals.locomo.corpus import locomo_to_corpus
from agentmem.evals.locomo.data import load_locomo
from agentmem.evals.locomo.proxy_data import reader_for, train_on
from agentmem.evals.locomo.proxy_protocol import load_split, run_protocol
from agentmem.evals.locomo.retrieval import build_corpora, evaluate_retrieval, queries_of
from agentmem.retrieval.proxy.model import ProxyConfig
from agentmem.testing import HashEmbedder
from tests.test_recall_locomo_retrieval import _tiny_locomo

FAST = ProxyConfig(adapter_epochs=2, adapter_l2_grid=[0.1], warm_epochs=2, rl_epochs=1, samples=3, average_last=1, candidates=8)


def test_protocol_runs_both_rewards_on_folds_and_final_split(tmp_path) -> None:
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["conv-0", "conv-1"], "test": ["conv-2", "conv-3"]}))
    report = run_protocol(p, split, rewards=("gold", "outcome"), seeds=(0, 1), dev_seeds=(0,), embedder=HashEmbedder(), config=FAST, checkpoint_root=tmp_path / "ck")
    final = report["protocols"]["final"]
    assert final["splits"] == [{"train": ["conv-0", "conv-1"], "test": ["conv-2", "conv-3"]}] and final["seeds"] == [0, 1]
    assert set(final["rankers"]) == {"bm25", "dense", "hybrid", "proxy:gold", "proxy:outcome"}
    out = final["rankers"]["proxy:outcome"]
    assert out["seeds"] == 2 and len(out["per_seed"]) == 2 and "R@10" in out["main_sd"]
    assert {t[0]["reward_source"] for t in out["training"]} == {"outcome:reader-span-f1(question_weight=0.0,reader_version=2,head_labels=shortlist)"}
    assert {t[0]["reward_source"] for t in final["rankers"]["proxy:gold"]["training"]} == {"locomo-evidence-recall"}
    assert final["rankers"]["hybrid"]["main"]["queries"] == out["main"]["queries"]  # same held-out queries
    assert report["protocols"]["dev"]["seeds"] == [0] and len(report["protocols"]["dev"]["splits"]) == 2
    assert len(report["data_sha256"]) == 64
    json.dumps(report)
    # rerun: every checkpoint is reused (same conversations, reward and seed)
    again = run_protocol(p, split, rewards=("outcome",), seeds=(0,), dev_seeds=(), embedder=HashEmbedder(), config=FAST, checkpoint_root=tmp_path / "ck")
    assert again["protocols"]["final"]["rankers"]["proxy:outcome"]["per_seed"][0] == out["per_seed"][0]


def test_outcome_training_reads_no_evidence_label(tmp_path) -> None:
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    convs = load_locomo(p)
    for conv in convs:  # scramble every evidence label: outcome training must not change
        for qa in conv.qa:
            qa.evidence = ["D9:9"] if qa.evidence else []
    corpora, emb = build_corpora(convs[:2], HashEmbedder())
    _, scrambled = train_on(corpora, emb, FAST, reward="outcome")
    corpora2, _ = build_corpora(load_locomo(p)[:2], HashEmbedder())
    _, clean = train_on(corpora2, emb, FAST, reward="outcome")
    assert scrambled["history"] == clean["history"]
    with pytest.raises(ConfigError, match="reward="):
        train_on(corpora, emb, FAST, reward="oracle")


def test_reader_reads_each_conversation_s_own_turns(tmp_path) -> None:
    """Turn ids (``D1:1``) repeat across conversations: the outcome reader must read the query's own
    conversation (session 4 read the last conversation's turn for every conversation)."""
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    corpora, _ = build_corpora(load_locomo(p)[:2], HashEmbedder())
    reader = reader_for(corpora)
    for corpus in corpora:
        sid = corpus.conv.sample_id
        qa = queries_of(corpus.conv)[0]
        assert reader.text_of(f"{sid}#0", "D1:1") == corpus.texts[corpus.pos["D1:1"]]
        assert reader.item_score(f"{sid}#0", qa.evidence[0]) == 1.0  # the answer word is in its evidence turn
        assert qa.evidence[0] in reader.pseudo_relevant(f"{sid}#0", corpus.ids)
    assert reader.text_of("conv-0#0", "D1:1") != reader.text_of("conv-1#0", "D1:1")


def test_split_file_errors(tmp_path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"train": ["conv-0"], "test": ["conv-9"]}))
    with pytest.raises(ConfigError, match="unknown sample ids"):
        load_split(bad, ["conv-0", "conv-1"])
    bad.write_text(json.dumps({"train": ["conv-0"], "test": ["conv-0"]}))
    with pytest.raises(ConfigError, match="share conversations"):
        load_split(bad, ["conv-0", "conv-1"])


def test_locomo_converts_to_the_corpus_format_with_the_same_figures(tmp_path) -> None:
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    out = locomo_to_corpus(tmp_path / "locomo.jsonl", p)
    corpus = load_corpus(out)
    assert set(corpus.groups) == {"conv-0", "conv-1", "conv-2", "conv-3"}
    emb = HashEmbedder()
    generic = evaluate_corpus(out, ("bm25", "dense", "hybrid"), embedder=emb)
    native = evaluate_retrieval(p, retriever="hybrid", embedder=emb)
    for r in ("bm25", "dense", "hybrid"):
        n = native["retrievers"][r]
        pooled = (n["main"]["R@10"] * n["main"]["queries"] + n["category_5"]["R@10"] * n["category_5"]["queries"]) / (n["main"]["queries"] + n["category_5"]["queries"])
        assert generic["rankers"][r]["main"]["R@10"] == pytest.approx(pooled, abs=0.02)


def test_demo_locomo_part_shows_hybrid_and_proxy_on_held_out_conversations(tmp_path, settings, monkeypatch) -> None:  # noqa: ANN001
    from agentmem.cli import demo_cmd
    from agentmem.evals.locomo import retrieval

    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    real = retrieval.evaluate_retrieval

    @functools.wraps(real)
    def fast(**kw):  # noqa: ANN003, ANN202
        return real(**kw, proxy_config=FAST)

    monkeypatch.setattr(retrieval, "evaluate_retrieval", fast)
    summary = demo_cmd._locomo_retrieval(settings, tmp_path / "demo", 2, p)
    assert set(summary["main"]) == {"bm25", "dense", "hybrid", "proxy"} and "held-out" in summary["protocol"]
    report = json.loads((tmp_path / "demo" / "locomo_retrieval.json").read_text())
    assert [f["test"] for f in report["folds"]] == [["conv-0"], ["conv-1"]]
    assert (tmp_path / "demo" / "locomo-proxy-folds" / "fold0" / "VERSION").exists()


def test_neighbours_join_the_shortlist_in_stage1_order() -> None:
    from agentmem.evals.locomo.proxy_data import with_neighbours

    metas = [{"session": 1}, {"session": 1}, {"session": 1}, {"session": 2}, {"session": 2}]
    order = [2, 4, 0, 1, 3]
    assert with_neighbours(order, 2, 0, metas) == [2, 4]
    # neighbours of turn 2 (session 1): 1 (and 3, another session: skipped); of turn 4: 3
    assert with_neighbours(order, 2, 2, metas) == [2, 4, 1, 3]
    assert with_neighbours(order, 2, 1, metas) == [2, 4, 1]


def test_finetune_groups_gold_uses_evidence_outcome_reads_no_label(tmp_path) -> None:
    from agentmem.evals.locomo.proxy_protocol import finetune_groups

    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    corpora, _ = build_corpora(load_locomo(p)[:2], HashEmbedder())
    gold = finetune_groups(corpora, "gold")
    assert len(gold) == 2 and gold[0][1][0] == [corpora[0].pos["D1:1"]] and gold[0][2].shape[0] == len(corpora[0].ids)
    outcome = finetune_groups(corpora, "outcome")
    scrambled = load_locomo(p)[:2]
    for conv in scrambled:
        for qa in conv.qa:
            qa.evidence = ["D9:9"] if qa.evidence else []
    corpora2, _ = build_corpora(scrambled, HashEmbedder())
    again = finetune_groups(corpora2, "outcome")
    assert [g[1] for g in again] == [g[1] for g in outcome] and any(any(p) for g in outcome for p in g[1])
    assert all(not p for g in finetune_groups(corpora2, "gold") for p in g[1])  # the scrambled labels name no turn


def test_finetune_minilm_saves_a_loadable_model(tmp_path) -> None:
    import numpy as np

    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.retrieval.proxy.finetune import finetune_minilm, finetune_query_encoder, read_finetune_record

    with pytest.raises(ConfigError, match="no \\(query, positive\\) pairs"):
        finetune_minilm([], tmp_path / "none")
    pairs = [("what does Ann bake?", "Ann: I bake sourdough bread every sunday"), ("where did Bob sail?", "Bob: we sailed around the lake"),
             ("which game does Ann play?", "Ann: chess with my uncle"), ("what did Bob paint?", "Bob: a watercolour of the harbour")]
    info = finetune_minilm(pairs, tmp_path / "minilm-ft-test", batch_size=2, lr=1e-4, record={"conversations": ["conv-x"]})
    base = MiniLMEmbedder()
    qinfo = finetune_query_encoder([([q for q, _ in pairs], [[i] for i in range(4)], base.embed([t for _, t in pairs]))], tmp_path / "minilm-qft-test", batch_size=2, lr=1e-4)
    assert qinfo["kind"] == "query-encoder" and qinfo["steps"] == 2 and qinfo["queries"] == 4
    assert MiniLMEmbedder(model_path=str(tmp_path / "minilm-qft-test")).embed(["x"]).shape == (1, 384)
    with pytest.raises(ConfigError, match="no query with a relevant item"):
        finetune_query_encoder([(["q"], [[]], base.embed(["t"]))], tmp_path / "none")
    assert info["steps"] == 2 and info["pairs"] == 4 and info["conversations"] == ["conv-x"]
    assert (read_finetune_record(tmp_path / "minilm-ft-test") or {}).get("pairs") == 4
    assert read_finetune_record(tmp_path / "nowhere") is None
    ft = MiniLMEmbedder(model_path=str(tmp_path / "minilm-ft-test"))
    assert ft.name == "minilm:minilm-ft-test" and ft.name != MiniLMEmbedder().name
    a, b = ft.embed([pairs[0][0]])[0], MiniLMEmbedder().embed([pairs[0][0]])[0]
    assert a.shape == b.shape and not np.allclose(a, b)


def test_protocol_with_finetuned_first_stage(tmp_path) -> None:
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["conv-0", "conv-1"], "test": ["conv-2", "conv-3"]}))
    cfg = FAST.model_copy(update={"neighbours": 2})
    from agentmem.retrieval.embedder import MiniLMEmbedder

    report = run_protocol(p, split, rewards=("outcome",), seeds=(0,), dev_seeds=(), embedder=MiniLMEmbedder(), config=cfg, checkpoint_root=tmp_path / "ck", finetune=True, cache_dir=tmp_path / "cache")
    final = report["protocols"]["final"]["rankers"]
    assert set(final) == {"bm25", "dense", "hybrid", "hybrid-ft:outcome", "proxy:outcome"}
    assert final["hybrid-ft:outcome"]["main"]["queries"] == final["proxy:outcome"]["main"]["queries"] == final["hybrid"]["main"]["queries"]
    (emb,) = final["proxy:outcome"]["embedders"]
    assert emb.startswith("minilm:minilm-qft-final0-outcome-") and final["proxy:outcome"]["neighbours"] == 2
    folder = tmp_path / "ck" / "embedders" / emb.split(":", 1)[1]
    stamp = (folder / "finetune.json").stat().st_mtime_ns
    again = run_protocol(p, split, rewards=("outcome",), seeds=(0,), dev_seeds=(), embedder=MiniLMEmbedder(), config=cfg, checkpoint_root=tmp_path / "ck", finetune=True, cache_dir=tmp_path / "cache")
    assert (folder / "finetune.json").stat().st_mtime_ns == stamp  # the fine-tuned model is reused
    assert again["protocols"]["final"]["rankers"]["proxy:outcome"]["per_seed"] == final["proxy:outcome"]["per_seed"]
