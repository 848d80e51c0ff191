"""The ARC learning-headroom figures: search cost paired on solved tasks, and the depth-2 ceiling replay."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from agentmem.evals.arc.learning_run import search_cost
from agentmem.evals.core import EvalReport

ROOT = Path(__file__).resolve().parents[1]


def _report(rows: list[tuple[str, float, int | None, int]]) -> EvalReport:
    tasks = [{"task_id": t, "score": s, "detail": {"first_at": f, "candidates": c}} for t, s, f, c in rows]
    return EvalReport(config={}, n_tasks=len(tasks), n_errors=0, score=0.0, success_rate=0.0, tasks=tasks)


def test_search_cost_pairs_only_tasks_solved_both_ways():
    shipped = _report([("a", 1.0, 40, 800), ("b", 1.0, 10, 700), ("c", 1.0, 5, 600), ("d", 0.0, None, 3000)])
    learned = _report([("a", 1.0, 4, 760), ("b", 1.0, 20, 770), ("c", 0.0, 2, 500), ("d", 1.0, 9, 800)])
    got = search_cost(shipped, learned)
    assert got["tasks_solved_both"] == 2  # c and d are solved one way only
    assert (got["median_first_shipped"], got["median_first_learned"]) == (25, 12)
    assert (got["fewer_checks"], got["more_checks"]) == (1, 1)
    assert (got["checks_shipped"], got["checks_learned"]) == (5100, 2830)


def _headroom():
    spec = importlib.util.spec_from_file_location("learning_headroom", ROOT / "benchmarks" / "arc" / "learning_headroom.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _prog(at: int, key: str, right: bool) -> dict:
    return {"found_at": at, "key": key, "correct": [right], "depth": 1, "skills": ["x"]}


def test_headroom_replays_the_first_two_rule_and_the_whole_space_oracle(tmp_path):
    hr = _headroom()
    recs = {
        # right program first: solved at any budget >= 10
        "early": {"task_id": "early", "candidates": 900, "budget_hit": None, "stream": [_prog(10, "k1", True)]},
        # wrong first, right second within the window (budget // 4 checks after the first)
        "second": {"task_id": "second", "candidates": 900, "budget_hit": None, "stream": [_prog(100, "k1", False), _prog(300, "k2", True)]},
        # the right program lies beyond the default budget: only the whole-space oracle has it
        "late": {"task_id": "late", "candidates": 9000, "budget_hit": None, "stream": [_prog(50, "k1", False), _prog(4000, "k2", True)]},
        # a duplicate prediction is not a second attempt; nothing right anywhere
        "never": {"task_id": "never", "candidates": 900, "budget_hit": None, "stream": [_prog(5, "k1", False), _prog(6, "k1", True)]},
    }
    path = tmp_path / "stream.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs.values()))
    got = hr.analyse("evaluation", hr.load_stream(path), 1000, 0.5)
    assert got["shipped_at_default"] == 2 and got["ceiling_whole_space"] == 3 and got["ceiling_is_exact"]
    assert [x["task"] for x in got["right_only_beyond_default"]] == ["late"]
    assert got["learned_needs"] == 3 and got["needs_outside_space"] == 0
    curve = {r["budget"]: (r["first_two"], r["any_right"]) for r in got["budget_curve"]}
    assert curve[300] == (1, 2)  # "second"'s right program (check 300) is past the 300 // 4 window after its first
    assert curve[1000] == (2, 2)
    assert curve[6000] == (2, 3)  # "late": its right program (check 4000) is past the window after the wrong first (check 50)


def test_headroom_names_a_bad_stream_line(tmp_path):
    hr = _headroom()
    path = tmp_path / "stream.jsonl"
    path.write_text('{"task_id": "a", "stream": []}\nnot json\n')
    with pytest.raises(SystemExit, match="stream.jsonl:2"):
        hr.load_stream(path)


def test_headroom_pairs_a_prior_trace_and_refuses_other_tasks(tmp_path):
    hr = _headroom()
    recs = {"a": {"task_id": "a", "candidates": 900, "budget_hit": None, "stream": [_prog(800, "k1", True)]},
            "b": {"task_id": "b", "candidates": 900, "budget_hit": None, "stream": [_prog(5, "k1", True)]}}
    got = hr.analyse("evaluation", recs, 1000, 0.15)
    # the prior finds a's program at check 3 but b's only after the budget
    traces = [{"task": "a", "checks": 1001, "budget_hit": "candidates", "programs": [{"at": 3, "correct": True}]},
              {"task": "b", "checks": 1001, "budget_hit": "candidates", "programs": [{"at": 1200, "correct": True}]}]
    hr.add_prior(got, recs, traces)
    assert got["prior_gained"] == [] and got["prior_lost"] == ["b"]
    assert {r["budget"]: r.get("prior_first_two") for r in got["budget_curve"]} == {300: 1}  # a (b's stream ends at 900 checks)
    with pytest.raises(SystemExit, match="not the same tasks"):
        hr.add_prior(got, recs, traces[:1])
