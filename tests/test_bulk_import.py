"""Bulk import (``agentmem import`` / ``Memory.import_file``): batches of controller edits, resumable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmem.bulk_import import ImportFileError, read_rows, row_id
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def _settings(home: Path, **kw) -> Settings:  # noqa: ANN003
    return Settings.load(home=home, embedder={"backend": "hash"}, **kw).ensure_home()


def _write(path: Path, rows: list) -> Path:  # noqa: ANN001
    """One line per row: a dict as JSON, a string as the raw line."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(n: int, start: int = 0) -> list[dict]:
    return [{"text": f"zebra{j} stripes imported note number {j}"} for j in range(start, start + n)]


def test_a_small_import_goes_through_the_controller_with_audit_provenance_and_one_index_write_per_batch(tmp_path) -> None:  # noqa: ANN001
    s = _settings(tmp_path / "home", index={"backend": "memory"})
    svc = MemoryService(s)
    mem = svc.memory()
    f = _write(tmp_path / "items.jsonl", [*_rows(23), "", "# a comment line", {"text": "explicit id row", "id": "my-row", "metadata": {"source": "crm"}}])
    upserts: list[int] = []
    inner = svc.facts.hybrid.upsert
    svc.facts.hybrid.upsert = lambda ids, *a, **k: (upserts.append(len(ids)), inner(ids, *a, **k))[1]  # type: ignore[method-assign]
    seen: list[tuple[int, int]] = []
    rep = mem.import_file(f, batch_size=10, progress=lambda done, total, r: seen.append((done, total)))
    assert (rep.rows, rep.added, rep.skipped_existing, rep.batches, rep.refused) == (24, 24, 0, 3, [])
    assert upserts == [10, 10, 4]  # one index write per batch, not one per item
    assert seen == [(10, 24), (20, 24), (24, 24)]
    item = svc.facts.get(row_id(mem.namespace, "zebra7 stripes imported note number 7"))
    assert item is not None and item.provenance.source == "import" and item.provenance.run_id == rep.run_id and item.history[0].reason == "import items.jsonl:8"
    assert svc.facts.get("my-row") is not None and svc.facts.get("my-row").history[0].op.value == "INSERT"
    hits = svc.facts.search("zebra7 stripes", k=3)
    assert hits and hits[0].record.id == item.id
    ctl = mem.controller("frozen")
    rows = ctl.engine.audit.entries(run_id=rep.run_id)
    assert len(rows) == 24 and {r.status for r in rows} == {"applied"} and {r.proposer for r in rows} == {"user:import"}
    assert ctl.why(f"facts/{item.id}").found
    assert not (s.paths.home / "learning.journal.writes").exists()  # every batch committed and released


def test_rows_already_stored_and_repeated_rows_are_skipped_never_stored_twice(tmp_path) -> None:  # noqa: ANN001
    s = _settings(tmp_path / "home", index={"backend": "memory"})
    mem = MemoryService(s).memory()
    f = _write(tmp_path / "a.jsonl", [*_rows(6), _rows(1)[0], {"text": "  zebra2 stripes imported note number 2  "}])
    rep = mem.import_file(f, batch_size=4)
    assert (rep.added, rep.skipped_existing) == (6, 2)
    again = mem.import_file(f, batch_size=4)
    assert (again.added, again.skipped_existing, again.batches) == (0, 8, 0)
    g = _write(tmp_path / "b.jsonl", _rows(9))  # 6 already there, 3 new
    third = mem.import_file(g)
    assert (third.added, third.skipped_existing) == (3, 6)
    assert len(MemoryService(s).facts.items()) == 9


def test_a_bad_line_is_named_by_file_and_line_and_nothing_is_written(tmp_path) -> None:  # noqa: ANN001
    s = _settings(tmp_path / "home", index={"backend": "memory"})
    mem = MemoryService(s).memory()
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"text": "fine"}) + "\n" + '{"text": "broken\n' + json.dumps({"txt": "typo"}) + "\n" + json.dumps({"text": ""}) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"bad\.jsonl:2: not valid JSON"):
        mem.import_file(f)
    assert MemoryService(s).facts.items() == []  # checked before anything was written
    rep = mem.import_file(f, skip_bad=True)
    assert rep.added == 1 and [b.split(": ", 1)[0].rsplit(":", 1)[1] for b in rep.bad_lines] == ["2", "3", "4"]
    assert "unknown field(s) ['txt']" in rep.bad_lines[1] and "field 'text': missing or empty" in rep.bad_lines[2]
    with pytest.raises(ImportFileError, match="no such file"):
        mem.import_file(tmp_path / "missing.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n{"text": "after the bad byte"}\n')
    with pytest.raises(ImportFileError, match=r"latin\.jsonl:2: not UTF-8"):
        read_rows(latin, "default/default")
    skipped: list[str] = []
    assert [r.text for r in read_rows(latin, "default/default", skip_bad=True, bad=skipped)] == ["ok", "after the bad byte"] and len(skipped) == 1
    bad_ns = _write(tmp_path / "ns.jsonl", [{"text": "x", "namespace": "a/b/c/d/e"}])
    with pytest.raises(ImportFileError, match=r"ns\.jsonl:1: field 'namespace'"):
        read_rows(bad_ns, "default/default")


def test_the_cli_imports_a_file_and_reports_json(tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from agentmem.cli import app

    home = tmp_path / "home"
    (home).mkdir()
    (home / "config.toml").write_text('[embedder]\nbackend = "hash"\n[index]\nbackend = "memory"\n', encoding="utf-8")
    f = _write(tmp_path / "items.jsonl", _rows(5))
    res = CliRunner().invoke(app, ["--home", str(home), "--json", "import", str(f), "--batch-size", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["added"] == 5 and out["batches"] == 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["--home", str(home), "import", str(bad), "--no-progress"])
    assert res.exit_code == 2 and f"{bad}:1: expected a JSON object" in res.output


_KILLED_IMPORT = r"""
import os, signal, sys
from pathlib import Path
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
home, f, where = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
s = Settings.load(home=home, embedder={"backend": "hash"}).ensure_home()
svc = MemoryService(s)
if where == "mid-batch":  # the 13th item file of the import: inside the third batch of 5
    from agentmem.learning import store_appliers
    real, n = store_appliers.FactApplier.apply, [0]
    def apply(self, edit, store, *, state):
        n[0] += 1
        if n[0] == 13:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, edit, store, state=state)
    store_appliers.FactApplier.apply = apply
elif where == "before-index":  # the second batch committed, its index rows not yet written
    from agentmem.stores.facts import FactStore
    real, n = FactStore.flush_index, [0]
    def flush(self):
        n[0] += 1
        if n[0] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self)
    FactStore.flush_index = flush
rep = svc.memory().import_file(f, batch_size=5)
svc.close()
print(rep.model_dump_json())
"""

_CHECK = r"""
import json, sys
from pathlib import Path
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
s = Settings.load(home=Path(sys.argv[1]), embedder={"backend": "hash"}).ensure_home()
svc = MemoryService(s)
facts = svc.facts
hits = {q: [h.record.id for h in facts.search(q, k=3)] for q in sys.argv[2:]}
idx = facts.hybrid
print(json.dumps({"items": len(facts.items()), "vectors": idx.index.count(idx.collection), "lexical": len(idx.lexical), "hits": hits, "full_syncs": facts.full_syncs}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.mark.parametrize("where", ["mid-batch", "before-index"])
def test_a_kill_mid_import_keeps_the_committed_batches_and_a_rerun_finishes_without_duplicates(tmp_path, where) -> None:  # noqa: ANN001
    """Default back ends (embedded Chroma behind the write buffer, SQLite FTS5), real processes:
    the importer is SIGKILLed inside its third batch (or after its second batch committed but before
    that batch's index rows were written); the home then holds exactly the committed batches, and
    re-running the same command imports the rest, each row once, every row findable."""
    home = tmp_path / "home"
    f = _write(tmp_path / "items.jsonl", _rows(22))
    killed = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(home), str(f), where], capture_output=True, text=True, env=_env(), timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    after_kill = [p for p in (home / "stores" / "facts" / "items").glob("*.json")]
    assert len(after_kill) == 12 if where == "mid-batch" else len(after_kill) == 10  # batch 3's two files undone on the next write
    rerun = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(home), str(f), "none"], capture_output=True, text=True, env=_env(), timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    rep = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert (rep["added"], rep["skipped_existing"]) == (12, 10)  # batches 1-2 were kept, batch 3 was undone and redone
    out = subprocess.run([sys.executable, "-c", _CHECK, str(home), "zebra0 stripes", "zebra9 stripes", "zebra12 stripes", "zebra21 stripes"],
                         capture_output=True, text=True, env=_env(), timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert (got["items"], got["vectors"], got["lexical"]) == (22, 22, 22)
    ns = Settings.load(home=home).namespace
    from agentmem.stores.memory_store import namespace_key

    for j in (0, 9, 12, 21):
        assert got["hits"][f"zebra{j} stripes"][0] == row_id(namespace_key(ns), f"zebra{j} stripes imported note number {j}")
