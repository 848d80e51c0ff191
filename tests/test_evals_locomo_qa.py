"""LoCoMo QA harness: metrics on hand-checked cases, judge parsing, aggregation, end to end with fakes."""

from __future__ import annotations

import json
import math

import pytest

from agentmem.evals.locomo.qa import (
    NOT_MENTIONED,
    FullContextMemory,
    LocomoQA,
    QARecord,
    TurnMemory,
    select_items,
    summarise,
    summary_markdown,
    turn_memory_factory,
)
from agentmem.evals.qa_judge import AnswerJudge, parse_judge_reply
from agentmem.evals.qa_metrics import bleu1, normalize_answer, says_not_mentioned, token_f1
from agentmem.prompts import PromptLibrary
from agentmem.testing import FunctionLLM, HashEmbedder, ScriptedLLM

# ---------------------------------------------------------------- metrics (values worked out by hand)


def test_normalisation_strips_case_punctuation_articles() -> None:
    assert normalize_answer("The Cat, sat on a mat!") == "cat sat on mat"
    assert normalize_answer("  An   apple.  ") == "apple"


@pytest.mark.parametrize(
    "pred,gold,f1,b1",
    [
        # pred tokens [cat sat on mat], gold [cat on mat]: P=3/4 R=1 -> F1=6/7; BLEU p1=3/4, longer than ref -> BP=1
        ("The cat sat on the mat", "cat on mat", 6 / 7, 0.75),
        # identical after normalisation
        ("7 May 2023", "7 May, 2023.", 1.0, 1.0),
        # [may] vs [7 may 2023]: P=1 R=1/3 -> F1=0.5; BLEU p1=1, BP=exp(1-3/1)=e^-2
        ("May", "7 May 2023", 0.5, math.exp(-2)),
        # clipping: [paris x3] vs [paris france]: common 1, P=1/3 R=1/2 -> F1=0.4; BLEU 1/3 (BP=1)
        ("paris paris paris", "Paris, France", 0.4, 1 / 3),
        # no overlap
        ("Sweden", "Norway", 0.0, 0.0),
        # empty prediction
        ("", "Norway", 0.0, 0.0),
        # [went to sweden] vs [sweden]: P=1/3 R=1 -> F1=0.5; BLEU p1=1/3, BP=1
        ("went to Sweden", "Sweden!", 0.5, 1 / 3),
    ],
)
def test_f1_and_bleu1_hand_checked(pred: str, gold: str, f1: float, b1: float) -> None:
    assert token_f1(pred, gold) == pytest.approx(f1)
    assert bleu1(pred, gold) == pytest.approx(b1)


def test_f1_both_empty_after_normalisation_is_one() -> None:
    assert token_f1("the", "a") == 1.0
    assert bleu1("the", "a") == 0.0


def test_says_not_mentioned() -> None:
    assert says_not_mentioned(NOT_MENTIONED)
    assert says_not_mentioned("The conversation doesn't mention it.")
    assert not says_not_mentioned("She went to Sweden")


# ---------------------------------------------------------------- judge parsing


@pytest.mark.parametrize(
    "reply,expected",
    [
        ('{"reason": "same date", "correct": "yes"}', True),
        ('```json\n{"correct": "no", "reason": "different city"}\n```', False),
        ('{"label": "CORRECT"}', True),
        ('{"label": "WRONG", "reasoning": "x"}', False),
        ("Yes.", True),
        ("no", False),
        ("I cannot decide", None),
        ("", None),
    ],
)
def test_parse_judge_reply(reply: str, expected: bool | None) -> None:
    assert parse_judge_reply(reply).correct is expected


def test_judge_reason_kept() -> None:
    v = parse_judge_reply('{"reason": "same date", "correct": "yes"}')
    assert v.reason == "same date"


def test_judge_calls_model_with_schema_and_adversarial_prompt() -> None:
    llm = ScriptedLLM(['{"reason": "declined", "correct": "yes"}'])
    v = AnswerJudge(llm).judge("What is Bob's dog called?", NOT_MENTIONED, "Not mentioned in the conversation", adversarial=True)
    assert v.correct is True
    call = llm.calls[0]
    assert call["response_format"]["required"] == ["reason", "correct"]
    assert "does not contain the answer" in call.prompt
    llm.assert_complete()


# ---------------------------------------------------------------- templates


def test_templates_render_with_typed_inputs() -> None:
    lib = PromptLibrary()
    a = lib.render("locomo_answer.j2", speaker_a="Ann", speaker_b="Bob", memory_text="[1 May 2023] Ann: hi", question="Who said hi?", full_context=False)
    assert "Ann and Bob" in a and "Who said hi?" in a and "recalled from memory" in a
    full = lib.render("locomo_answer.j2", speaker_a="Ann", speaker_b="Bob", memory_text="x", question="q", full_context=True)
    assert "whole conversation" in full
    j = lib.render("locomo_judge.j2", question="q", gold="g", prediction="p", adversarial=False)
    assert "Gold answer: g" in j and "Generated answer: p" in j


# ---------------------------------------------------------------- a tiny conversation (the tiny_conv fixture, conftest.py)


def test_turn_memory_recalls_evidence_in_time_order(tiny_conv) -> None:
    from agentmem.environment import TaskSpec

    mem = TurnMemory(tiny_conv, HashEmbedder(), k=2, budget_tokens=500)
    ctx = mem.before_task(TaskSpec(id="x", instruction="Which city marathon did Bob run in Berlin?"))
    assert set(ctx.item_ids) == {"D1:2", "D2:1"}
    lines = ctx.text.splitlines()  # shown in time order (the items stay in recall's rank order)
    assert len(lines) == 2 and lines[0].startswith("[1:56 pm on 8 May, 2023] Bob:") and "Berlin" in lines[1]
    assert ctx.tokens == sum(math.ceil(len(line) / 4) + 1 for line in lines)  # each turn's estimate plus its line break


def test_turn_memory_respects_budget(tiny_conv) -> None:
    from agentmem.environment import TaskSpec

    mem = TurnMemory(tiny_conv, HashEmbedder(), k=5, budget_tokens=20)
    ctx = mem.before_task(TaskSpec(id="x", instruction="Berlin marathon"))
    assert 0 < len(ctx.items) < 5
    assert sum(r.tokens for r in ctx.items) <= 20


def test_full_context_memory_holds_every_turn(tiny_conv) -> None:
    from agentmem.environment import TaskSpec

    conv = tiny_conv
    ctx = FullContextMemory(conv).before_task(TaskSpec(id="x", instruction="q"))
    assert all(t.text in ctx.text for t in conv.turns)
    assert "--- Session 2 (10:37 am on 27 June, 2023) ---" in ctx.text


def test_end_to_end_rag_with_scripted_llm_and_judge(tiny_conv) -> None:
    conv = tiny_conv
    answers = ScriptedLLM(["Rufus", "Berlin, Germany", "Not mentioned in the conversation"])
    judge = ScriptedLLM(['{"reason": "same", "correct": "yes"}', '{"reason": "same city", "correct": "yes"}', '{"reason": "declined", "correct": "yes"}'])
    qa = LocomoQA(answers, turn_memory_factory(HashEmbedder(), k=3), judge=AnswerJudge(judge))
    recs = [qa.answer_item(conv, i) for i in range(3)]
    answers.assert_complete()
    judge.assert_complete()
    assert [r.id for r in recs] == ["conv-t#0", "conv-t#1", "conv-t#2"]
    assert recs[0].f1 == 1.0 and recs[0].judge is True
    # [berlin germany] vs [berlin]: P=1/2 R=1 -> F1 = 2/3
    assert recs[1].f1 == pytest.approx(2 / 3)
    assert recs[2].gold == NOT_MENTIONED and recs[2].refused and recs[2].f1 == 1.0
    assert "Rufus" in answers.calls[0].prompt  # the evidence turn was recalled into the prompt
    assert recs[0].evidence_in_context == 1.0
    assert all(r.memory_tokens > 0 for r in recs)
    assert recs[0].usage.calls == 1 and recs[0].judge_usage.calls == 1
    s = summarise(recs)
    assert s.overall.n == 2 and s.overall.f1 == pytest.approx((1 + 2 / 3) / 2)
    assert s.adversarial is not None and s.adversarial.n == 1 and s.adversarial.refusal_rate == 1.0


def test_full_context_mode_uses_more_memory_tokens_than_rag(tiny_conv) -> None:
    conv = tiny_conv
    llm = FunctionLLM(lambda msgs, info: "Rufus")
    rag = LocomoQA(llm, turn_memory_factory(HashEmbedder(), k=1)).answer_item(conv, 0)
    full = LocomoQA(llm, FullContextMemory, full_context=True).answer_item(conv, 0)
    assert full.memory_tokens > rag.memory_tokens
    assert "whole conversation" in llm.calls[1].prompt
    assert full.judge is None  # no judge configured


def test_summarise_per_category_hand_checked() -> None:
    def rec(i: int, cat: int, f1: float, b1: float, judge: bool | None, tokens: int, refused: bool = False, error: str | None = None) -> QARecord:
        return QARecord(id=f"c#{i}", sample_id="c", qa_index=i, category=cat, category_name=str(cat), question="q", gold="g", f1=f1, bleu1=b1, judge=judge, memory_tokens=tokens, refused=refused, error=error)

    recs = [
        rec(0, 1, 1.0, 1.0, True, 100),
        rec(1, 1, 0.5, 0.25, False, 300),
        rec(2, 4, 0.0, 0.0, None, 200),
        rec(3, 5, 1.0, 1.0, True, 50, refused=True),
        rec(4, 5, 0.0, 0.0, False, 150),
        rec(5, 2, 0.0, 0.0, None, 0, error="LLMError: boom"),
    ]
    s = summarise(recs)
    cat1 = next(c for c in s.by_category if c.categories == [1])
    assert cat1.n == 2 and cat1.f1 == pytest.approx(0.75) and cat1.bleu1 == pytest.approx(0.625)
    assert cat1.judge_accuracy == pytest.approx(0.5) and cat1.judged == 2 and cat1.memory_tokens == pytest.approx(200)
    cat2 = next(c for c in s.by_category if c.categories == [2])
    assert cat2.n == 0 and cat2.errors == 1
    # overall 1-4 is a micro average over the 3 scored items of categories 1 and 4; the errored one is excluded
    assert s.overall.n == 3 and s.overall.errors == 1
    assert s.overall.f1 == pytest.approx(0.5)
    assert s.overall.judge_accuracy == pytest.approx(0.5) and s.overall.judged == 2
    assert s.adversarial is not None and s.adversarial.n == 2
    assert s.adversarial.refusal_rate == pytest.approx(0.5) and s.adversarial.judge_accuracy == pytest.approx(0.5)
    md = summary_markdown(s)
    assert "| overall (1-4) | 3 | 50.0 |" in md and "| 5 adversarial | 2 |" in md


def test_select_items_filters_categories_and_limits(tiny_conv) -> None:
    conv = tiny_conv
    assert [i for _, i in select_items([conv], categories=[1, 2, 3, 4])] == [0, 1]
    assert [i for _, i in select_items([conv], per_conversation=1)] == [0]
    assert len(select_items([conv, conv], limit=4)) == 4


def test_records_round_trip_json(tiny_conv) -> None:
    conv = tiny_conv
    r = LocomoQA(ScriptedLLM(["Rufus"]), FullContextMemory, full_context=True).answer_item(conv, 0)
    assert QARecord.model_validate(json.loads(r.model_dump_json())) == r


def test_real_locomo_items_full_context(shared_data) -> None:
    from agentmem.evals.locomo.data import load_locomo

    convs = load_locomo(shared_data / "locomo" / "locomo10.json")
    items = select_items(convs[:1], categories=[1, 2, 3, 4], limit=3)

    def answer(msgs, info):  # echoes the first word of the question: deterministic, wrong
        return msgs[-1].content.split("Question:")[-1].split()[0]

    qa = LocomoQA(FunctionLLM(answer), FullContextMemory, full_context=True)
    recs = [qa.answer_item(c, i) for c, i in items]
    assert len(recs) == 3
    assert all(r.memory_tokens > 10_000 for r in recs)  # the whole conversation is in context
    assert all(0.0 <= r.f1 <= 1.0 for r in recs)


def test_clean_prediction() -> None:
    from agentmem.evals.locomo.qa import clean_prediction

    assert clean_prediction("\nAnswer: 7 May 2023\nBecause she said so.") == "7 May 2023"
    assert clean_prediction("Final answer: Berlin") == "Berlin"
    assert clean_prediction("   ") == ""

