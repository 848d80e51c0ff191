"""MemoryService (the MCP server's logic) in-process: recall, outcomes, validation."""

from __future__ import annotations

import pytest

from agentmem.errors import StoreError
from agentmem.learning.outcome_log import OutcomeLog
from agentmem.mcp_server import BadRequest, MemoryService
from agentmem.stores.skill_library import SkillLibrary


@pytest.fixture
def service(settings) -> MemoryService:
    skills = SkillLibrary(settings)
    skills.create("kettle-descaling", "How to descale an electric kettle with citric acid. Use for kettle limescale questions.", "Fill half with water, add 2 tbsp citric acid, boil, rinse twice.", source="user")
    return MemoryService(settings, namespace="alice", skills=skills, outcome_log=OutcomeLog(settings.paths.home / "o.sqlite"))


def test_recall_and_record_outcome_update_stats_and_log(service: MemoryService) -> None:
    got = service.recall("descale my kettle full of limescale", k=3)
    assert got["namespace"] == "alice/default"
    assert got["items"][0]["id"] == "kettle-descaling" and "citric acid" in got["context"]
    out = service.record_outcome("descale kettle", ["skills:kettle-descaling", "kettle-descaling"], score=1.0, success=True, run_id="r1")
    assert out["recorded"] == ["skills:kettle-descaling", "skills:kettle-descaling"]
    assert service.skills.stats("kettle-descaling").uses == 2
    rows = service.outcome_log.rows(store="skills")
    assert [(r.run_id, r.item_id, r.rank, r.namespace) for r in rows] == [("r1", "kettle-descaling", 0, "alice/default"), ("r1", "kettle-descaling", 1, "alice/default")]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.recall("", k=3), "task: must not be empty"),
        (lambda s: s.recall("x", k=0), "k: must be between"),
        (lambda s: s.recall("x", budget_tokens=-5), "budget_tokens"),
        (lambda s: s.search_skills("x", k=51), "k: must be between"),
        (lambda s: s.record_outcome("t", [], 1.0, True), "at least one"),
        (lambda s: s.record_outcome("t", ["skills:nope"], 1.0, True), "no item 'nope'"),
        (lambda s: s.record_outcome("t", ["ghost"], 1.0, True), "in no store"),
        (lambda s: s.record_outcome("t", ["kettle-descaling"], 1.5, True), r"score: must be in \[0, 1\]"),
        (lambda s: s.recall("x", namespace="bob"), "not served"),
        (lambda s: s.remember("x" * 20_001), "at most"),
    ],
)
def test_bad_requests_are_refused_with_the_argument_named(service: MemoryService, call, match: str) -> None:
    with pytest.raises(BadRequest, match=match):
        call(service)


def test_show_unknown_skill_is_a_store_error(service: MemoryService) -> None:
    with pytest.raises(StoreError, match="no skill named"):
        service.show_skill("kettle-descale")
    shown = service.show_skill("kettle-descaling")
    assert shown["origin"] and "citric acid" in shown["instructions"]


def test_remember_then_recall_stays_in_its_namespace(settings) -> None:
    alice = MemoryService(settings, namespace="alice", allowed_namespaces=["alice/bot"])
    saved = alice.remember("Alice's locker code is 4417.", namespace="alice/bot")
    assert saved["namespace"] == "alice/bot" and saved["store"] == "facts"
    hit = alice.recall("what is the locker code", k=5, namespace="alice/bot")
    assert any(it["id"] == saved["id"] for it in hit["items"])
    assert not any(it["id"] == saved["id"] for it in alice.recall("what is the locker code", k=5)["items"])  # alice/default
    bob = MemoryService(settings, namespace="bob")
    assert not any("4417" in it["text"] for it in bob.recall("what is the locker code", k=5)["items"])
    assert set(alice.stores()) >= {"skills", "facts", "behaviors", "concepts", "subroutines"}
