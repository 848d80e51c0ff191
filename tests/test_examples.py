"""Every example in ``examples/`` runs as a script with the fake LLM, and shows what it claims."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
REAL_MODEL = os.environ.get("AGENTMEM_MODEL")  # read at import: the autouse fixture clears AGENTMEM_* per test

pytestmark = pytest.mark.integration  # subprocesses; still part of `make test` / .ci/run


def run_example(name: str, *args: str, env_extra: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_") or k in {"AGENTMEM_HOME", "AGENTMEM_BLOCK_REAL_LLM"}}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_every_example_is_tested() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == {"memory_in_your_loop.py", "custom_environment.py", "custom_playbook_skill.py", "real_provider_eval.py"}


def test_memory_in_your_loop() -> None:
    out = run_example("memory_in_your_loop.py", "--fake")
    m = re.search(r"solved without memory (\d+)%, with memory (\d+)%; ticket-id-format used (\d+) times", out)
    assert m, out
    assert int(m.group(2)) > int(m.group(1))
    assert int(m.group(3)) == 4  # one recorded outcome per task


def test_custom_environment_improves_over_rounds() -> None:
    out = run_example("custom_environment.py", "--fake", "--rounds", "3")
    rates = [int(x) for x in re.findall(r"round \d: solved (\d+)%", out)]
    assert len(rates) == 3 and rates[-1] > rates[0], out
    assert "behavior_shipping_rate_avalon" in out  # learned through the controller's add_behavior edit


def test_custom_playbook_skill() -> None:
    out = run_example("custom_playbook_skill.py", "--fake")
    assert "lint: clean" in out
    assert re.search(r"search: \[.*'csv-column-stats'", out)  # the new skill is found
    assert "11.75. (correct" in out


def test_real_provider_eval_fake_and_skip() -> None:
    out = run_example("real_provider_eval.py", "--fake", "--rounds", "2")
    rows = {name: (int(a), int(b)) for name, a, b in re.findall(r"\| (with(?:out)? memory) \| (\d+)% \| (\d+)% \|", out)}
    assert rows["with memory"][1] > rows["without memory"][1], out
    skipped = run_example("real_provider_eval.py", env_extra={"OPENAI_API_KEY": ""})
    assert skipped.startswith("skipped: no model configured")


@pytest.mark.real_llm
def test_real_provider_eval_against_a_real_model() -> None:
    model = REAL_MODEL
    if not model:
        pytest.skip("set AGENTMEM_MODEL and its provider key to run the real-provider example")
    out = run_example("real_provider_eval.py", "--model", model, "--rounds", "2", env_extra={"AGENTMEM_BLOCK_REAL_LLM": "0"})
    if out.startswith("skipped:"):
        pytest.skip(out.strip())
    assert "| with memory |" in out
