"""The provenance graph persists as a base plus an append-only log of idempotent calls: a save
costs what it adds (the base is not rewritten per batch), a reload or another process sees the
same graph, a torn last line costs only itself, and the log is folded into the base in time."""

from __future__ import annotations

import os

from agentmem.learning.provenance import ProvenanceGraph


def _edges(g: ProvenanceGraph) -> set[tuple[str, str, str]]:
    return {(a, b, d.get("rel")) for a, b, d in g.g.edges(data=True)}


def _write(g: ProvenanceGraph, i: int) -> None:
    g.add_run(f"r{i}", f"t{i}", f"task {i}", mode="updating")
    g.add_edit(f"r{i}", f"e{i}", "add_item", "facts", [f"f{i}"], "applied", reason=f"because {i}", trust="low", state="active")
    g.add_outcome(f"r{i}", score=1.0, success=True, source="verifier")
    g.add_context(f"r{i}", [("facts", f"f{max(0, i - 1)}", 0, 0.5)])
    g.set_item("facts", f"f{i}", utility=0.1 * i)


def test_saves_append_and_a_reload_sees_the_same_graph(tmp_path):
    path = tmp_path / "provenance.json"
    g = ProvenanceGraph(path)
    _write(g, 0)
    g.save()
    base = os.stat(path)
    for i in range(1, 30):
        _write(g, i)
        g.save()
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (base.st_ino, base.st_mtime_ns)  # the base was not rewritten
    assert g.log_path.stat().st_size > 0
    again = ProvenanceGraph(path)
    assert _edges(again) == _edges(g) and dict(again.g.nodes(data=True)) == dict(g.g.nodes(data=True))
    why = again.why("facts/f7")
    assert why.written_by[0]["run_id"] == "r7" and why.written_by[0]["success"] is True and why.uses == 1


def test_log_is_folded_into_the_base(tmp_path, monkeypatch):
    monkeypatch.setattr(ProvenanceGraph, "MIN_COMPACT", 10)
    path = tmp_path / "provenance.json"
    g = ProvenanceGraph(path)
    for i in range(40):
        _write(g, i)
        g.save()
    # calls in the log stay bounded by the graph's size: the log was folded in at least once
    assert g._log_calls <= max(10, g.g.number_of_nodes())
    again = ProvenanceGraph(path)
    assert _edges(again) == _edges(g)


def test_torn_last_line_costs_only_itself(tmp_path):
    path = tmp_path / "provenance.json"
    g = ProvenanceGraph(path)
    for i in range(3):
        _write(g, i)
        g.save()
    with open(g.log_path, "ab") as fh:
        fh.write(b'{"op":"add_run","args":{"run_id":"torn"')  # a kill mid-append
    again = ProvenanceGraph(path)
    assert "run:torn" not in again.g and _edges(again) == _edges(g)
    _write(again, 3)
    again.save()  # appending after a torn line: the torn bytes must not swallow the next call
    third = ProvenanceGraph(path)
    assert "run:r3" in third.g


def test_another_writer_is_caught_up_by_replay(tmp_path):
    path = tmp_path / "provenance.json"
    a, b = ProvenanceGraph(path), None
    _write(a, 0)
    a.save()
    b = ProvenanceGraph(path)
    stamp = b.stamp()
    _write(a, 1)
    a.save()
    assert b.stamp() != stamp
    assert b.catch_up(stamp[0])  # same base: only the new lines are read
    assert _edges(b) == _edges(a)
