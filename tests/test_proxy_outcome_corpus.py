"""Issue 16/17: the outcome reward without gold labels, retrieval on any corpus file, strict
checkpoints, the newest-checkpoint default and training from the home's outcome log."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from agentmem.errors import ConfigError
from agentmem.evals.corpus.format import load_corpus
from agentmem.evals.corpus.run import evaluate_corpus, train_corpus
from agentmem.learning.outcome_log import OutcomeRow
from agentmem.learning.proxy_outcomes import OutcomeLogScorer, train_from_outcome_log
from agentmem.retrieval.proxy.base import HybridOrder, ProxyCheckpointError
from agentmem.retrieval.proxy.model import ProxyConfig, ProxyWeights, save_checkpoint
from agentmem.retrieval.proxy.reward import (
    LLMOutcomeScorer,
    ReaderScorer,
    best_span_f1,
    memsifter_reward,
    outcome_scorer,
    token_f1,
)
from agentmem.retrieval.proxy.trained import TrainedProxy, auto_proxy, load_proxy
from agentmem.testing import FunctionLLM, HashEmbedder
from agentmem.types import MemoryRecord, Recalled

TOPICS = ["guitar", "painting", "hiking", "baking", "chess", "sailing", "pottery", "running", "cycling", "poetry"]
FAST = dict(adapter_epochs=2, adapter_l2_grid=[], warm_epochs=3, rl_epochs=2, samples=3, average_last=1, candidates=6, refit_all=False)


def _corpus(path, with_gold: bool = True):
    """Ten documents in two groups; each query asks for one topic's detail, gold = that document."""
    lines = []
    for i, t in enumerate(TOPICS):
        group = "g1" if i < 5 else "g2"
        lines.append({"type": "document", "id": f"d{i}", "group": group, "text": f"Ann practised {t} with coach number {i} on Tuesday", "metadata": {"session": i % 3, "index": i}})
    for i, t in enumerate(TOPICS):
        q = {"type": "query", "id": f"q{i}", "group": "g1" if i < 5 else "g2", "text": f"Who coached Ann at {t}?", "answer": f"coach number {i}", "category": "single" if i % 2 else "multi"}
        if with_gold:
            q["gold"] = [f"d{i}"]
        lines.append(q)
    lines.append({"type": "query", "id": "qx", "group": "g1", "text": "Where is the lost file?", "gold": ["nope"]})
    path.write_text("# a ten-document corpus\n" + "\n".join(json.dumps(x) for x in lines) + "\n")
    return path


# ---- the outcome reward ----------------------------------------------------------------------


def test_reader_span_f1_scores_the_answer_not_the_label() -> None:
    assert token_f1(["may", "2023"], ["7", "may", "2023"]) == pytest.approx(0.8)
    assert best_span_f1("[8 May 2023] Ann: I went to the LGBTQ support group yesterday", "the LGBTQ support group") == 1.0
    assert best_span_f1("nothing related here", "support group") == 0.0
    reader = ReaderScorer({"q": "coach number 3"}, {"a": "Ann met coach number 3 today", "b": "Bob likes chess"}, tasks={"q": "Who coached Ann?"})
    assert reader.score("q", []) == 0.0
    assert reader.score("q", ["b", "a"]) == 1.0 and reader.score("q", ["b"]) == 0.0
    assert reader.pseudo_relevant("q", ["b", "a"]) == ["a"]
    good = memsifter_reward("q", ["a", "b"], reader, s0=0.0)
    late = memsifter_reward("q", ["b", "a"], reader, s0=0.0)
    assert good > late > 0.0  # the earlier the answering memory, the larger the reward


def test_question_aware_reader_reads_the_answer_where_the_question_is() -> None:
    texts = {"off": "[1 May 2023] Bob: my coach number 3 jersey is blue", "on": "[1 May 2023] Ann: the swim coach number 3 coached Ann all summer"}
    plain = ReaderScorer({"q": "coach number 3"}, texts, tasks={"q": "Who coached Ann at swimming?"})
    aware = ReaderScorer({"q": "coach number 3"}, texts, tasks={"q": "Who coached Ann at swimming?"}, question_weight=1.0)
    assert plain.item_score("q", "off") == plain.item_score("q", "on") == 1.0  # the answer anywhere counts in full
    assert aware.item_score("q", "off") == 0.0  # no word of the question: a reader would not read the answer there
    assert aware.item_score("q", "on") == pytest.approx(2 / 3)  # "coached", "ann" of "coached", "ann", "swimming"
    assert aware.pseudo_relevant("q", ["off", "on"]) == ["on"]
    with pytest.raises(ValueError, match="question_weight"):
        ReaderScorer({}, {}, question_weight=1.5)


def test_outcome_scorer_seam_takes_an_llm_when_configured() -> None:
    refs, tasks, texts = {"q": "coach number 3"}, {"q": "Who coached Ann?"}, {"a": "Ann met coach number 3", "b": "Bob likes chess"}
    assert isinstance(outcome_scorer(refs, tasks, texts), ReaderScorer)

    def answer(messages, _kw):
        prompt = messages[-1].content if hasattr(messages[-1], "content") else messages[-1]["content"]
        return "coach number 3" if "coach number 3" in prompt else "I do not know"

    llm = FunctionLLM(answer)
    scorer = outcome_scorer(refs, tasks, texts, llm=llm)
    assert isinstance(scorer, LLMOutcomeScorer)
    assert scorer.score("q", ["a"]) == 1.0 and scorer.score("q", ["b"]) == 0.0
    assert memsifter_reward("q", ["a", "b"], scorer, s0=0.0) > memsifter_reward("q", ["b", "a"], scorer, s0=0.0)


# ---- the corpus format -----------------------------------------------------------------------


def test_corpus_eval_scores_every_ranker_and_records_what_ran(tmp_path) -> None:
    path = _corpus(tmp_path / "c.jsonl")
    corpus = load_corpus(path)
    assert corpus.n_documents == 10 and corpus.unknown_gold() == 1
    report = evaluate_corpus(path, ("bm25", "dense", "hybrid"), embedder=HashEmbedder(64))
    assert report["corpus_sha256"] == corpus.sha256 and report["queries_with_gold"] == 11 and report["unknown_gold_ids"] == 1
    for r in ("bm25", "dense", "hybrid"):
        assert report["rankers"][r]["ranker"] == r
        assert report["rankers"][r]["main"]["queries"] == 11
        assert set(report["rankers"][r]["per_category"]) == {"single", "multi"}
    assert report["rankers"]["bm25"]["main"]["R@1"] > 50.0  # topic words find their document
    assert report["rankers"]["bm25"]["main"]["R@20"] < 100.0  # the unknown gold id counts as a miss


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("{not json", r"c\.jsonl:1: not a JSON object"),
        ('{"type": "document", "text": "no id"}', r"c\.jsonl:1: field 'id'"),
        ('{"type": "memo", "id": "x"}', r"c\.jsonl:1: field 'type'"),
        ('{"type": "query", "id": "q", "text": "t", "gold": "d1"}', r"c\.jsonl:1: field 'gold'"),
        ('{"type": "document", "id": "d", "text": "t"}\n{"type": "document", "id": "d", "text": "u"}', r"c\.jsonl:2: field 'id'"),
        ('{"type": "document", "id": "d", "text": "t"}', "no queries"),
    ],
)
def test_corpus_errors_name_the_line_and_field(tmp_path, line, match) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(line + "\n")
    with pytest.raises(ConfigError, match=match):
        load_corpus(p)


def test_corpus_missing_file_and_proxy_without_checkpoint(tmp_path) -> None:
    with pytest.raises(ConfigError, match="missing.jsonl: file not found"):
        load_corpus(tmp_path / "missing.jsonl")
    path = _corpus(tmp_path / "c.jsonl")
    with pytest.raises(ConfigError, match="needs a checkpoint"):
        evaluate_corpus(path, ("proxy",), embedder=HashEmbedder(64))
    with pytest.raises(ConfigError, match="ranker 'nope'"):
        evaluate_corpus(path, ("nope",), embedder=HashEmbedder(64))
    with pytest.raises(ProxyCheckpointError, match="no-such-ckpt"):
        evaluate_corpus(path, ("hybrid", "proxy"), checkpoint=tmp_path / "no-such-ckpt", embedder=HashEmbedder(64))


@pytest.mark.parametrize("reward", ["gold", "outcome"])
def test_train_on_corpus_then_score_the_checkpoint(tmp_path, reward) -> None:
    path = _corpus(tmp_path / "c.jsonl", with_gold=reward == "gold")
    emb = HashEmbedder(64)
    record = train_corpus(path, tmp_path / "ck", reward=reward, config=ProxyConfig(**FAST), embedder=emb)
    assert record["reward"] == reward and record["corpus_sha256"] == load_corpus(path).sha256
    assert record["reward_source"] == ("corpus-gold-recall" if reward == "gold" else "outcome:reader-span-f1")
    gold_path = _corpus(tmp_path / "g.jsonl")
    report = evaluate_corpus(gold_path, ("hybrid", "proxy"), checkpoint=tmp_path / "ck", embedder=emb)
    proxy = report["rankers"]["proxy"]
    assert proxy["ranker"] == "trained proxy" and proxy["checkpoint"] == str(tmp_path / "ck")
    assert proxy["trained_on"]["reward"] == reward and proxy["main"]["queries"] == report["rankers"]["hybrid"]["main"]["queries"]


def test_outcome_training_without_answers_is_an_error(tmp_path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text('{"type": "document", "id": "d", "text": "t"}\n{"type": "query", "id": "q", "text": "t", "gold": ["d"]}\n')
    with pytest.raises(ConfigError, match="no query has an answer"):
        train_corpus(p, tmp_path / "ck", reward="outcome", embedder=HashEmbedder(16))


# ---- strict checkpoints and the newest-checkpoint default -------------------------------------


def test_named_checkpoint_never_becomes_hybrid(tmp_path) -> None:
    emb = HashEmbedder(16)
    with pytest.raises(ProxyCheckpointError, match="missing-ckpt"):
        load_proxy(tmp_path / "missing-ckpt", emb)
    folder = save_checkpoint(tmp_path / "ck", ProxyWeights.identity(16), ProxyConfig(), "other-embedder", {})
    with pytest.raises(ProxyCheckpointError, match=r"ck cannot be used.*embedder"):
        load_proxy(folder, emb)


def test_auto_proxy_picks_the_newest_compatible_checkpoint(tmp_path) -> None:
    emb = HashEmbedder(16)
    root = tmp_path / "proxy"
    fallback = auto_proxy(root, lambda: pytest.fail("no embedder is built without a checkpoint"))
    assert isinstance(fallback, HybridOrder) and "no proxy checkpoint" in fallback.reason
    with pytest.raises(ProxyCheckpointError):
        auto_proxy(root, emb, required=True)
    old = save_checkpoint(root / "a-old", ProxyWeights.identity(16), ProxyConfig(), emb.name, {"tag": "old"})
    new = save_checkpoint(root / "b-new", ProxyWeights.identity(16), ProxyConfig(), emb.name, {"tag": "new"})
    foreign = save_checkpoint(root / "c-foreign", ProxyWeights.identity(16), ProxyConfig(), "minilm:other", {"tag": "foreign"})
    now = time.time()
    os.utime(old / "VERSION", (now - 30, now - 30))
    os.utime(new / "VERSION", (now - 20, now - 20))
    os.utime(foreign / "VERSION", (now, now))  # newest, but from another embedder: skipped
    chosen = auto_proxy(root, emb)
    assert isinstance(chosen, TrainedProxy) and chosen.training["tag"] == "new"
    (foreign / "VERSION").unlink()
    (new / "VERSION").write_text("damaged")
    assert auto_proxy(root, emb).training["tag"] == "old"


# ---- training from the home's outcome log -----------------------------------------------------


class _StageOne:
    """A stand-in for ``Memory.candidates``: a fixed shortlist where the helpful item sits last."""

    namespace = "default/default"

    def __init__(self, items: list[str]) -> None:
        self.items = items

    def candidates(self, query, namespace, stores):
        recs = [Recalled(record=MemoryRecord(id=i, store="facts", text=f"{i} notes for {query}"), score=1.0 - j / 10) for j, i in enumerate(self.items)]
        return recs, None


def test_outcome_log_scorer_and_training(tmp_path) -> None:
    items = ["noise-a", "noise-b", "noise-c", "helpful"]
    rows = []
    for t in range(6):
        task = f"task {t}"
        for run, (ctx, score) in enumerate([(["noise-a", "noise-b"], 0.0), (["helpful"], 1.0), ([], 0.2)]):
            rid = f"{t}-{run}"
            rows += [OutcomeRow(run_id=rid, task_text=task, store="facts", item_id=i, rank=r, reward=score, success=score > 0.5) for r, i in enumerate(ctx)]
            if not ctx:
                rows.append(OutcomeRow(run_id=rid, task_text=task, store="", item_id="", reward=score, success=False))
    scorer = OutcomeLogScorer(rows)
    assert scorer.score("task 0", []) == pytest.approx(0.2)
    assert scorer.score("task 0", ["facts/helpful"]) == 1.0 and scorer.score("task 0", ["facts/noise-b"]) == 0.0
    assert scorer.helpful("task 0", ["facts/noise-a", "facts/helpful"]) == ["facts/helpful"]
    emb = HashEmbedder(32)
    cfg = ProxyConfig(adapter_epochs=0, adapter_l2_grid=[], warm_epochs=20, rl_epochs=3, samples=4, average_last=1, candidates=4, refit_all=False, validation_share=0.0, lr=0.05)
    record = train_from_outcome_log(_StageOne(items), rows, tmp_path / "ck", emb, cfg)
    assert record["reward_source"] == "outcome:outcome-log" and record["tasks"] == 6 and record["runs"] == 18
    proxy = load_proxy(tmp_path / "ck", emb)
    shortlist, _ = _StageOne(items).candidates("task 9", None, None)
    ranked = [r.record.id for r in proxy.rerank("task 9", shortlist).items]
    assert ranked.index("helpful") < items.index("helpful")  # learned to lift what helped
    with pytest.raises(ConfigError, match="outcome log holds 0 task"):
        train_from_outcome_log(_StageOne(items), [], tmp_path / "ck2", emb, cfg)
    # the default recipe is the LoCoMo outcome row's: listwise head on the items that helped, no policy gradient
    default = train_from_outcome_log(_StageOne(items), rows, tmp_path / "ck3", emb)
    assert default["config"]["rl_epochs"] == 0 and default["config"]["warm_epochs"] > 0
    assert {h["phase"] for h in json.loads((tmp_path / "ck3" / "training.json").read_text())["history"]} == {"warm"}


def test_cli_eval_retrieval_and_train_on_corpus(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from agentmem.cli import app

    monkeypatch.setenv("AGENTMEM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    path = _corpus(tmp_path / "c.jsonl")
    runner = CliRunner()
    res = runner.invoke(app, ["--json", "retriever", "train", "--corpus", str(path), "--out", str(tmp_path / "ck"), "--rl-epochs", "1", "--warm-epochs", "2", "--adapter-epochs", "1", "--candidates", "6"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["reward"] == "gold"
    res = runner.invoke(app, ["--json", "eval", "retrieval", "--corpus", str(path), "--checkpoint", str(tmp_path / "ck")])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert set(report["rankers"]) == {"bm25", "dense", "hybrid", "proxy"} and report["rankers"]["proxy"]["ranker"] == "trained proxy"
    res = runner.invoke(app, ["eval", "retrieval", "--corpus", str(path), "--checkpoint", str(tmp_path / "nowhere")])
    assert res.exit_code != 0 and "nowhere" in res.output
    res = runner.invoke(app, ["retriever", "train", "--corpus", str(path), "--locomo"])
    assert res.exit_code != 0 and "pick one" in res.output
    assert np.isfinite(report["seconds"])
