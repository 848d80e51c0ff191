"""The ALFWorld and LoCoMo harnesses on the shared evaluation framework (run_eval), with fakes."""

from __future__ import annotations

import json

import pytest

eval_core = pytest.importorskip("agentmem.evals.core")

from agentmem.evals.alfworld.data import GameRef  # noqa: E402
from agentmem.evals.alfworld.env import FakeAlfworldGame, FakeGame  # noqa: E402
from agentmem.evals.alfworld.harness import AlfworldHarness, summary_from_report as alf_summary  # noqa: E402
from agentmem.evals.locomo.harness import LocomoHarness, records_from_report, summary_from_report as locomo_summary  # noqa: E402
from agentmem.testing import FunctionLLM, HashEmbedder, ScriptedLLM  # noqa: E402


def _games() -> tuple[list[GameRef], dict[str, FakeGame]]:
    refs = [
        GameRef(id="valid_unseen/pick_heat_then_place_in_recep-Mug-None-Cabinet-1/trial_1", gamefile="g1", task_type="pick_heat_then_place"),
        GameRef(id="valid_unseen/look_at_obj_in_light-CD-None-DeskLamp-308/trial_2", gamefile="g2", task_type="look_at_obj_in_light"),
        GameRef(id="valid_unseen/pick_and_place_simple-SoapBar-None-Toilet-424/trial_3", gamefile="g3", task_type="pick_and_place"),
    ]
    specs = {"g2": FakeGame(goal="look at cd under the desklamp.", solution=["go to desk 1", "take cd 1 from desk 1", "use desklamp 1"]),
             # 60 expert steps: longer than the 50-step limit, so even the expert fails it
             "g3": FakeGame(goal="put a soapbar in toilet.", solution=[f"go to cabinet {i}" for i in range(1, 61)])}
    return refs, specs


def test_alfworld_expert_on_framework(tmp_path) -> None:
    refs, specs = _games()
    harness = AlfworldHarness(refs, agent="expert", backend_factory=lambda: FakeAlfworldGame(specs))
    cfg = eval_core.EvalConfig(benchmark="alfworld", memory="none", out_dir=tmp_path / "run", split="unseen", options={"agent": "expert"})
    report = eval_core.run_eval(cfg, harness.tasks(), harness.solve, progress=False, plots=False)
    assert report.n_tasks == 3 and report.success_rate == pytest.approx(2 / 3)
    assert report.by_category["pick_and_place"]["success_rate"] == 0.0
    assert report.by_category["look_at_obj_in_light"]["steps"] == 3.0
    md = alf_summary(report)
    assert "| pick_and_place | 1 | 0 | 0.0% | - |" in md and "| **all** | 3 | 2 | **66.7%** | |" in md


def test_alfworld_react_on_framework_counts_usage(tmp_path) -> None:
    refs, specs = _games()

    def reply(msgs, info):  # a policy that reads the admissible commands and copies the expert-like first solution step
        last = msgs[-1].content
        adm = last.split("Admissible commands:")[1].split("\n")[0].split(", ")
        goals = [c.strip() for c in adm if c.strip() not in ("look", "inventory")]
        return f"Think: try.\nAction: {goals[0]}"

    llm = FunctionLLM(reply)
    harness = AlfworldHarness(refs[:1], agent="react", backend_factory=lambda: FakeAlfworldGame(specs), llm=llm, max_steps=5)
    cfg = eval_core.EvalConfig(benchmark="alfworld", model="function", memory="none", out_dir=tmp_path / "run", split="unseen", options={"agent": "react"})
    report = eval_core.run_eval(cfg, harness.tasks(), harness.solve, llm=llm, progress=False, plots=False)
    assert report.n_tasks == 1 and report.usage.calls == 5  # 5 turns, one per step
    assert report.tasks[0]["metrics"]["steps"] == 5.0


def _locomo_llm():
    def answer(msgs, info):
        q = msgs[-1].content.split("Question:")[-1]
        if "dog" in q:
            return "Rufus"
        if "marathon" in q:
            return "Berlin"
        return "Not mentioned in the conversation"

    return FunctionLLM(answer)


def test_locomo_on_framework_and_resume_gives_same_results(tmp_path, tiny_conv) -> None:
    conv = tiny_conv

    def run(out, limit=None):
        llm = _locomo_llm()
        h = LocomoHarness([conv], llm=llm, mode="rag", embedder=HashEmbedder(), k=3)
        cfg = eval_core.EvalConfig(benchmark="locomo", model="function", memory="frozen", out_dir=out, split="rag", limit=limit, options={"mode": "rag", "ingest": "turns"})
        return eval_core.run_eval(cfg, h.tasks(), h.solve, llm=llm, progress=False, plots=False)

    full = run(tmp_path / "a")
    assert full.n_tasks == 3 and full.metrics["f1"] == pytest.approx(1.0)
    assert set(full.by_category) == {"4 single-hop", "1 multi-hop", "5 adversarial"}
    run(tmp_path / "b", limit=1)  # interrupted after one item
    resumed = run(tmp_path / "b")
    assert (tmp_path / "a" / "results.json").read_text() == (tmp_path / "b" / "results.json").read_text()
    assert resumed.n_tasks == 3
    recs = records_from_report(full)
    assert [r.id for r in recs] == ["conv-t#0", "conv-t#1", "conv-t#2"]
    md = locomo_summary(full)
    assert "| overall (1-4) | 2 | 100.0 |" in md and "| 5 adversarial | 1 | 100.0 |" in md


def test_locomo_full_context_with_judge_on_framework(tmp_path, tiny_conv) -> None:
    conv = tiny_conv
    llm = _locomo_llm()
    judge = ScriptedLLM(['{"reason": "ok", "correct": "yes"}', '{"reason": "no", "correct": "no"}'])
    h = LocomoHarness([conv], llm=llm, mode="full-context", judge_llm=judge, categories=[1, 4])
    cfg = eval_core.EvalConfig(benchmark="locomo", model="function", memory="none", out_dir=tmp_path / "run", split="full-context", options={"mode": "full-context"})
    report = eval_core.run_eval(cfg, h.tasks(), h.solve, llm=llm, progress=False, plots=False)
    judge.assert_complete()
    assert report.metrics["judge"] == pytest.approx(0.5)
    assert report.metrics["memory_tokens"] > 50
    data = json.loads((tmp_path / "run" / "results.json").read_text())
    assert data["tasks"][0]["detail"]["qa"]["judge"] is True
