"""The shared eval framework: resumable records, deterministic results, usage accounting, outputs, compare."""

from __future__ import annotations

import json

import pytest

from agentmem.evals.core import EvalConfig, EvalTask, TaskOutcome, compare_runs, load_report, run_eval
from agentmem.errors import ConfigError, LLMError
from agentmem.llm.base import user
from agentmem.testing import FunctionLLM


def _tasks(n: int = 6) -> list[EvalTask]:
    return [EvalTask(id=f"t{i}", category="even" if i % 2 == 0 else "odd", payload=i) for i in range(n)]


def _solve(task, ctx):
    # one LLM call per task, score depends on the payload only
    reply = ctx.llm.complete([user(f"task {task.payload}")])
    score = 1.0 if task.payload % 3 == 0 else 0.5 if task.payload % 3 == 1 else 0.0
    return TaskOutcome(score=score, success=score == 1.0, metrics={"strict": float(score == 1.0)}, detail={"reply": reply.text})


def _llm():
    return FunctionLLM(lambda msgs, info: "ok " + msgs[-1].content)


def test_scores_categories_and_usage(tmp_path):
    cfg = EvalConfig(benchmark="toy", out_dir=tmp_path / "run")
    llm = _llm()
    report = run_eval(cfg, _tasks(), _solve, llm=llm, progress=False)
    # payloads 0..5 -> scores 1, .5, 0, 1, .5, 0
    assert report.n_tasks == 6 and report.score == pytest.approx(0.5)
    assert report.success_rate == pytest.approx(2 / 6)
    assert report.by_category["even"]["score"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert report.by_category["odd"]["score"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert report.metrics["strict"] == pytest.approx(2 / 6)
    assert report.usage.calls == 6 and report.usage.total_tokens == llm.usage.total.total_tokens
    assert all(t["usage"]["calls"] == 1 for t in report.tasks)
    out = tmp_path / "run"
    for name in ("results.json", "summary.md", "records.jsonl", "score_by_category.png", "run_info.json"):
        assert (out / name).exists(), name
    assert not (out / "learning_curve.png").exists()
    assert "| even | 3 |" in (out / "summary.md").read_text()


def test_resumed_run_writes_the_same_results_as_an_uninterrupted_one(tmp_path):
    full = EvalConfig(benchmark="toy", out_dir=tmp_path / "full", workers=3)
    run_eval(full, _tasks(), _solve, llm=_llm(), progress=False)

    part = EvalConfig(benchmark="toy", out_dir=tmp_path / "part", workers=2)
    calls: list[str] = []

    def interrupted(task, ctx):
        if task.payload >= 4:
            raise KeyboardInterrupt  # simulate the process being stopped mid-run
        calls.append(task.id)
        return _solve(task, ctx)

    with pytest.raises(KeyboardInterrupt):
        run_eval(part.model_copy(update={"workers": 1}), _tasks(), interrupted, llm=_llm(), progress=False)
    assert calls == ["t0", "t1", "t2", "t3"]
    # a torn last line (killed mid-write) is tolerated
    with (tmp_path / "part" / "records.jsonl").open("a") as fh:
        fh.write('{"task_id": "t4", "ord')
    rerun: list[str] = []

    def counting(task, ctx):
        rerun.append(task.id)
        return _solve(task, ctx)

    run_eval(part, _tasks(), counting, llm=_llm(), progress=False)
    assert sorted(rerun) == ["t4", "t5"]  # finished tasks were skipped
    assert (tmp_path / "part" / "results.json").read_bytes() == (tmp_path / "full" / "results.json").read_bytes()


def test_errors_are_recorded_and_retried_on_resume(tmp_path):
    cfg = EvalConfig(benchmark="toy", out_dir=tmp_path / "run")
    flaky = {"t1"}

    def solve(task, ctx):
        if task.id in flaky:
            raise LLMError("provider down", model="x")
        return TaskOutcome(score=1.0, success=True)

    report = run_eval(cfg, _tasks(3), solve, progress=False)
    assert report.n_errors == 1 and report.score == pytest.approx(2 / 3)
    assert "provider down" in report.tasks[1]["error"]
    flaky.clear()
    report = run_eval(cfg, _tasks(3), solve, progress=False)
    assert report.n_errors == 0 and report.score == 1.0


def test_changed_config_refuses_to_resume_and_limit_extends(tmp_path):
    cfg = EvalConfig(benchmark="toy", out_dir=tmp_path / "run", limit=2)
    assert run_eval(cfg, _tasks(), _solve, llm=_llm(), progress=False).n_tasks == 2
    seen: list[str] = []

    def solve(task, ctx):
        seen.append(task.id)
        return _solve(task, ctx)

    assert run_eval(cfg.model_copy(update={"limit": 4}), _tasks(), solve, llm=_llm(), progress=False).n_tasks == 4
    assert seen == ["t2", "t3"]
    with pytest.raises(ConfigError, match="different configuration"):
        run_eval(cfg.model_copy(update={"memory": "frozen"}), _tasks(), _solve, llm=_llm(), progress=False)
    with pytest.raises(ConfigError, match="unique"):
        run_eval(EvalConfig(benchmark="toy", out_dir=tmp_path / "dup"), [EvalTask(id="a"), EvalTask(id="a")], _solve, progress=False)


def test_updating_memory_runs_in_order_and_draws_a_learning_curve(tmp_path):
    cfg = EvalConfig(benchmark="toy", memory="updating", workers=4, out_dir=tmp_path / "run")
    memory: list[str] = []

    def solve(task, ctx):
        score = min(1.0, len(memory) / 4)  # gets better as memory grows
        memory.append(task.id)
        return TaskOutcome(score=score, success=score >= 0.5)

    report = run_eval(cfg, _tasks(6), solve, progress=False)
    assert memory == [f"t{i}" for i in range(6)]
    assert [t["score"] for t in report.tasks] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert (tmp_path / "run" / "learning_curve.png").stat().st_size > 0


def test_compare_lines_up_two_runs(tmp_path, home):
    a = run_eval(EvalConfig(benchmark="toy", out_dir=tmp_path / "a"), _tasks(), _solve, llm=_llm(), progress=False)

    def better(task, ctx):
        return TaskOutcome(score=1.0, success=True, metrics={"strict": 1.0})

    run_eval(EvalConfig(benchmark="toy", memory="frozen", out_dir=tmp_path / "b"), _tasks(), better, progress=False)
    rows = {r["row"]: r for r in compare_runs(a, load_report(tmp_path / "b"))}
    assert rows["score"]["delta"] == pytest.approx(0.5)
    assert rows["score[odd]"]["b"] == 1.0
    from typer.testing import CliRunner

    from agentmem.cli import app

    res = CliRunner().invoke(app, ["--json", "eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {r["row"] for r in data["rows"]} >= {"score", "score[even]", "total_tokens"}
    res = CliRunner().invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no results.json" in res.output
