"""Worker pools from a plain driver script (no ``if __name__ == "__main__":`` guard)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentmem.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

# A driver script as a researcher would write it: top-level code, no __main__ guard. It counts
# how often its top level runs (a worker re-running it would append a line too).
SOLVER_SCRIPT = """
import json, sys
from pathlib import Path
from agentmem.evals.core import EvalConfig, EvalTask
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.arc.skills_solver import SkillsSolver

out = Path(sys.argv[1])
with open(out / "top_level_runs.txt", "a") as f:
    f.write("ran\\n")
task = ArcTask(id="flip", train=[Pair(input=[[1, 2], [3, 4]], output=[[2, 1], [4, 3]]), Pair(input=[[5, 0, 0]], output=[[0, 0, 5]])],
               test=[Pair(input=[[7, 8]], output=[[8, 7]])])
cfg = EvalConfig(benchmark="arc", memory="none", out_dir=out, workers=2)
with SkillsSolver(cfg, learned_dir=None, runner=InProcessGridRunner(), max_seconds=20) as solver:
    outcome = solver.solve(EvalTask(id="flip", payload=task), None)
print(json.dumps({"score": outcome.score, "program": outcome.detail["program"]}))
"""

POOL_SCRIPT = """
import operator, sys
from agentmem.evals.pool import process_pool, result, submit
with process_pool(2, start_method=sys.argv[1]) as pool:
    print(sum(result(submit(pool, operator.mul, i, i), timeout=60) for i in range(4)))
"""


def _run(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "driver.py"
    path.write_text(textwrap.dedent(script))
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, str(path), *args], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)


def test_skills_solver_pool_works_from_an_unguarded_script(tmp_path) -> None:
    pytest.importorskip("numpy")
    proc = _run(SOLVER_SCRIPT, tmp_path, str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"score": 1.0' in proc.stdout
    assert (tmp_path / "top_level_runs.txt").read_text().count("ran") == 1  # no worker re-ran the script


def test_plain_spawn_breaks_and_the_error_says_what_to_add(tmp_path) -> None:
    """The failure the helper avoids (plain spawn re-runs the unguarded script in the worker),
    reported as a ConfigError that names the __main__ guard instead of a bare BrokenProcessPool."""
    ok = _run(POOL_SCRIPT, tmp_path, "spawn-no-main")
    assert ok.returncode == 0 and ok.stdout.strip() == "14", ok.stderr[-2000:]
    bad = _run(POOL_SCRIPT, tmp_path, "spawn")
    assert bad.returncode != 0
    assert "ConfigError" in bad.stderr and 'if __name__ == "__main__":' in bad.stderr


def test_functions_from_the_main_script_are_refused_with_a_reason() -> None:
    from agentmem.evals.pool import check_picklable

    def local() -> None:  # not importable by a worker
        pass

    local.__module__ = "__main__"
    with pytest.raises(ConfigError, match="defined in the main script"):
        check_picklable(local)
    with pytest.raises(ConfigError, match="cannot be sent"):
        check_picklable(lambda: None)
    with pytest.raises(ConfigError, match="max_workers"):
        from agentmem.evals.pool import process_pool

        process_pool(0)
