"""``--ingest memskill``: MemSkill's executor writes facts per session, QA recalls them (fake LLMs)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("agentmem.learning.memskill.pipeline")

from agentmem.environment import TaskSpec  # noqa: E402
from agentmem.evals.locomo.data import Conversation, QAItem, Turn  # noqa: E402
from agentmem.evals.locomo.memskill import MemSkillIngestor, session_texts  # noqa: E402
from agentmem.evals.locomo.qa import LocomoQA  # noqa: E402
from agentmem.testing import FunctionLLM, HashEmbedder, ScriptedLLM  # noqa: E402


def _conv() -> Conversation:
    d1, d2 = "8 May, 2023", "27 June, 2023"
    turns = [
        Turn(dia_id="D1:1", session=1, index=0, speaker="Ann", text="I adopted a beagle called Rufus last week!", date=d1),
        Turn(dia_id="D1:2", session=1, index=1, speaker="Bob", text="Congrats!", date=d1),
        Turn(dia_id="D2:1", session=2, index=0, speaker="Bob", text="I finished the Berlin marathon yesterday.", date=d2),
    ]
    qa = [QAItem(question="What is the name of Ann's dog?", answer="Rufus", category=4, evidence=["D1:1"])]
    return Conversation(sample_id="conv-m", speaker_a="Ann", speaker_b="Bob", turns=turns, session_dates={1: d1, 2: d2}, qa=qa)


def _executor(msgs, info) -> str:
    prompt = msgs[-1].content
    ops = []
    if "beagle called Rufus" in prompt:  # the span text, not the recalled fact
        ops.append({"op": "INSERT", "content": "Ann adopted a beagle named Rufus (May 2023)."})
    if "Berlin marathon" in prompt:
        ops.append({"op": "INSERT", "content": "Bob finished the Berlin marathon on 26 June 2023."})
    return json.dumps({"operations": ops or [{"op": "NOOP", "reason": "nothing"}]})


def test_session_texts() -> None:
    s = session_texts(_conv())
    assert [x[0] for x in s] == [1, 2] and s[0][1] == "8 May, 2023"
    assert s[0][2].splitlines()[0] == "[8 May, 2023] Ann: I adopted a beagle called Rufus last week!"


@pytest.mark.slow
def test_memskill_ingest_then_qa_recalls_facts(settings, tmp_path) -> None:
    writer = FunctionLLM(_executor)
    ingest = MemSkillIngestor(settings, writer, HashEmbedder(), tmp_path / "ms", k=5)
    mem = ingest(_conv())
    assert writer.usage.total.calls == 2  # one span per (short) session
    marker = json.loads((tmp_path / "ms" / "conv-m" / "ingested.json").read_text())
    assert marker["facts"] == 2 and marker["operations"]["INSERT"] == 2 and ingest.usage.calls == 2
    ctx = mem.before_task(TaskSpec(id="q", instruction="What is the name of Ann's dog?"))
    assert "Rufus" in ctx.text and ctx.tokens > 0
    # a second ingestor over the same folder reuses the finished ingestion: no executor calls
    again = MemSkillIngestor(settings, ScriptedLLM([]), HashEmbedder(), tmp_path / "ms", k=5)(_conv())
    assert "Rufus" in again.before_task(TaskSpec(id="q", instruction="Ann's dog")).text
    answer = ScriptedLLM(["Rufus"])
    rec = LocomoQA(answer, MemSkillIngestor(settings, ScriptedLLM([]), HashEmbedder(), tmp_path / "ms")).answer_item(_conv(), 0)
    assert rec.f1 == 1.0 and "beagle named Rufus" in answer.calls[0].prompt
