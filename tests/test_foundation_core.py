"""Core contracts: settings precedence and errors, atomic writes and history, shipped fakes."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.errors import ConfigError, ScriptExhaustedError
from agentmem.fileio import FileHistory, atomic_write_text, read_json
from agentmem.llm.base import Message
from agentmem.settings import Settings
from agentmem.testing import FunctionLLM, HashEmbedder, InMemoryIndex, ScriptedLLM


def test_settings_precedence(home, monkeypatch):
    (home / "config.toml").write_text('[llm]\nmodel = "from-file"\ntemperature = 0.5\n')
    s = Settings.load(home=home)
    assert s.llm.model == "from-file" and s.llm.temperature == 0.5
    monkeypatch.setenv("AGENTMEM_LLM__MODEL", "from-env")
    assert Settings.load(home=home).llm.model == "from-env"
    assert Settings.load(home=home, llm={"model": "from-option"}).llm.model == "from-option"
    assert Settings.load(home=home).llm.temperature == 0.5


def test_settings_errors_name_file_and_field(home):
    (home / "config.toml").write_text("[llm]\ntemperature = 9\n")
    with pytest.raises(ConfigError) as err:
        Settings.load(home=home)
    assert "config.toml" in str(err.value) and "llm.temperature" in str(err.value)
    (home / "config.toml").write_text("[llm\n")
    with pytest.raises(ConfigError, match="config.toml"):
        Settings.load(home=home)
    (home / "config.toml").write_text("[llm]\nmodle = 'x'\n")
    with pytest.raises(ConfigError, match="llm.modle"):
        Settings.load(home=home)


def test_unwritable_home_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not usable"):
        Settings.load(home=blocker / "home").ensure_home()


def test_atomic_write_and_history(tmp_path):
    target = tmp_path / "a" / "b.json"
    atomic_write_text(target, '{"v": 1}')
    hist = FileHistory(tmp_path)
    v1 = hist.save("b", target.read_bytes())
    atomic_write_text(target, '{"v": 2}')
    assert read_json(target) == {"v": 2}
    assert hist.load("b", v1) == b'{"v": 1}'
    assert [v["version"] for v in hist.versions("b")] == [1]
    assert not list(target.parent.glob(".*.tmp"))


def test_scripted_llm_queue_stop_and_completeness():
    llm = ScriptedLLM(["hello <end> world", "two"])
    out = llm.complete([Message(role="user", content="hi")], stop=["<end>"])
    assert out.text == "hello " and llm.calls[0]["stop"] == ["<end>"]
    with pytest.raises(AssertionError):
        llm.assert_complete()
    llm.complete([Message(role="user", content="again")])
    llm.assert_complete()
    with pytest.raises(ScriptExhaustedError):
        llm.complete([Message(role="user", content="one too many")])
    assert llm.usage.total.calls == 2


def test_function_llm_sees_messages():
    llm = FunctionLLM(lambda msgs, info: msgs[-1].content.upper())
    assert llm.complete([Message(role="user", content="abc")]).text == "ABC"


def test_hash_embedder_and_memory_index_rank_by_overlap():
    emb = HashEmbedder(128)
    docs = ["heat the mug in the microwave", "put the apple in the fridge", "count red cells in the grid"]
    idx = InMemoryIndex()
    idx.upsert("ns", ["a", "b", "c"], emb.embed(docs), docs, [{"k": 1}, {"k": 2}, {"k": 1}])
    hits = idx.query("ns", emb.embed(["microwave the mug"])[0], k=3)
    assert hits[0].id == "a"
    assert [h.id for h in idx.query("ns", emb.embed(["grid"])[0], k=3, where={"k": 2})] == ["b"]
    assert idx.query("other", emb.embed(["mug"])[0]) == []
    assert np.allclose(np.linalg.norm(emb.embed(docs), axis=1), 1.0)
