"""The public surface: explicit lazy ``__all__``, light import, docstrings, and entry-point plugins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("litellm", "torch", "chromadb", "sentence_transformers", "mcp", "bm25s", "matplotlib")


def test_every_public_name_resolves_has_a_docstring_and_loads_nothing_heavy() -> None:
    code = (
        "import sys, json, agentmem\n"
        "before = [m for m in %r if m in sys.modules]\n"
        "missing = [n for n in agentmem.__all__ if n != '__version__' and not (getattr(agentmem, n).__doc__ or '').strip()]\n"
        "after = [m for m in %r if m in sys.modules]\n"
        "print(json.dumps({'before': before, 'after': after, 'missing_docs': missing, 'n': len(agentmem.__all__)}))\n"
    ) % (HEAVY, HEAVY)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["before"] == [] and data["after"] == [], data
    assert data["missing_docs"] == []
    assert data["n"] > 20


def test_unknown_attribute_and_dir() -> None:
    import agentmem

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        agentmem.Nope  # noqa: B018
    assert set(agentmem.__all__) - {"__version__"} <= set(dir(agentmem))
    assert agentmem.Settings is __import__("agentmem.settings", fromlist=["Settings"]).Settings


def _fake_distribution(root: Path, name: str, entry_points: str, module: str, source: str) -> None:
    dist = root / f"{name}-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text(entry_points)
    (root / f"{module}.py").write_text(source)


PLUGIN_SOURCE = '''
from agentmem.environment import Observation, TaskSpec
from agentmem.types import Outcome

class EchoEnv:
    """Answer with the word in the task."""
    name = "echo"
    def reset(self, task_id=None):
        self.task = TaskSpec(id=task_id or "t0", instruction="say hello")
        return self.task
    def tools(self):
        return []
    def step(self, tool, arguments):
        return Observation(text="nothing here")
    def evaluate(self, final_answer):
        ok = (final_answer or "").strip() == "hello"
        return Outcome(score=float(ok), success=ok)
'''


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    _fake_distribution(
        root,
        "agentmem_echo",
        "[agentmem.environments]\necho = agentmem_echo_mod:EchoEnv\nbroken = agentmem_echo_mod:DoesNotExist\n",
        "agentmem_echo_mod",
        PLUGIN_SOURCE,
    )
    monkeypatch.syspath_prepend(str(root))
    return root


def test_plugins_discovered_loaded_and_created(plugin_path: Path) -> None:
    from agentmem import plugins
    from agentmem.environment import Environment
    from agentmem.errors import ConfigError

    infos = plugins.available("environments")
    assert [(i.name, i.target, i.distribution, i.version) for i in infos] == [
        ("broken", "agentmem_echo_mod:DoesNotExist", "agentmem_echo", "1.2.3"),
        ("echo", "agentmem_echo_mod:EchoEnv", "agentmem_echo", "1.2.3"),
    ]
    env = plugins.create("environments", "echo")
    assert isinstance(env, Environment)
    env.reset()
    assert env.evaluate("hello").success and not env.evaluate("bye").success
    with pytest.raises(ConfigError, match="broken.*failed to load"):
        plugins.load("environments", "broken")
    with pytest.raises(ConfigError, match="no environment plugin named 'nope'.*known: broken, echo"):
        plugins.load("environments", "nope")
    with pytest.raises(ConfigError, match="plugin kind 'widgets'"):
        plugins.available("widgets")
    assert plugins.available("stores") == []


def test_plugins_cli(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from agentmem.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["--json", "plugins", "list"])
    assert r.exit_code == 0, r.output
    assert {p["name"] for p in json.loads(r.output)} == {"echo", "broken"}
    r = runner.invoke(app, ["plugins", "check", "environments", "echo"])
    assert r.exit_code == 0 and "agentmem_echo_mod.EchoEnv" in r.output
    r = runner.invoke(app, ["plugins", "check", "environments", "broken"])
    assert r.exit_code == 2 and "failed to load" in r.output


STORE_PLUGIN = '''
from pathlib import Path
from agentmem.types import MemoryRecord

class NoteStore:
    """Two fixed notes, registered as an agentmem.stores plugin."""
    name = "notes"
    def __init__(self, settings):
        self.root = Path(settings.home) / "notes"
    def records(self, namespace=None, include_inactive=False):
        return [MemoryRecord(id=f"n{i}", store="notes", text=t) for i, t in enumerate(["buy milk", "call Ada"])]
    def get_record(self, item_id):
        return next((r for r in self.records() if r.id == item_id), None)
    def search(self, query, k=10, namespace=None):
        return []
    def record_use(self, item_id, reward, success):
        pass
    def set_state(self, item_id, state):
        pass
'''


def test_memory_cli_opens_a_store_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from agentmem.cli import app

    root = tmp_path / "site"
    _fake_distribution(root, "agentmem_notes", "[agentmem.stores]\nnotes = agentmem_notes_mod:NoteStore\n", "agentmem_notes_mod", STORE_PLUGIN)
    monkeypatch.syspath_prepend(str(root))
    r = CliRunner().invoke(app, ["--json", "memory", "list", "notes"])
    assert r.exit_code == 0, r.output
    assert [x["text"] for x in json.loads(r.output)] == ["buy milk", "call Ada"]
    r = CliRunner().invoke(app, ["memory", "list", "nope"])
    assert r.exit_code == 2 and "notes" in r.output  # the plugin is among the known stores


def test_surface_follows_the_build() -> None:
    import agentmem

    sections = {n: m for s in agentmem._SECTIONS.values() for n, m in s.items()}
    assert set(agentmem.__all__) - {"__version__"} == {n for n, m in sections.items() if agentmem._installed(m)}
    assert agentmem._installed("agentmem.settings") and agentmem._installed("agentmem.stores")
    assert not agentmem._installed("agentmem.no_such_module")
