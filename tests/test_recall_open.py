"""Opening a home cheaply (issue 18): shipped skill vectors seeded once per version, Chroma opened
lazily, a fresh home's first recall never importing chromadb, and a reopened home reading only
the item files its recall returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agentmem.resources import skills_dir
from agentmem.retrieval.hash_embedder import HashEmbedder
from agentmem.retrieval.vector_seed import SeededEmbedder, load_seed, seeded, text_key, write_seed
from agentmem.stores.skill_library import SkillLibrary
from agentmem.stores.skill_vectors import seed_path, write_shipped_vectors

REPO = Path(__file__).resolve().parents[1]
SKILL = """---
name: {name}
description: {desc}
---

# {name}

Do the thing step by step.
"""


class CountingEmbedder(HashEmbedder):
    """A hash embedder that says which texts it embedded (and claims a model id)."""

    def __init__(self, model: str = "count-a") -> None:
        super().__init__(dim=32)
        self.name = f"hash-{model}"
        self.model_id = f"{self.name}@v1"
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts)


def _library(root: Path, skills: dict[str, str]) -> Path:
    for name, desc in skills.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "SKILL.md").write_text(SKILL.format(name=name, desc=desc))
    return root


SKILLS = {
    "heat-object": "Heat an object in the microwave and put it somewhere.",
    "count-sets": "Count overlapping sets with inclusion and exclusion.",
    "parse-json": "Validate and repair JSON documents before using them.",
}


def test_shipped_skill_vectors_are_used_and_a_changed_skill_is_embedded_afresh(settings, tmp_path) -> None:  # noqa: ANN001
    root = _library(tmp_path / "shipped", SKILLS)
    path, n = write_shipped_vectors(settings, shipped_root=root, embedder=CountingEmbedder())
    assert n == 3 and path == seed_path(root, CountingEmbedder()) and path.is_file()

    emb = CountingEmbedder()  # a new process: nothing in memory
    lib = SkillLibrary(settings, embedder=emb, shipped=root, extra_paths=[])
    hits = lib.search("heat the mug in the microwave", k=3)
    assert hits and hits[0].record.id == "heat-object"
    assert emb.seen == ["heat the mug in the microwave"]  # only the query was embedded

    # a skill whose description changed has another hash: it (and only it) is embedded afresh
    _library(root, {"count-sets": "Count elements of overlapping sets (inclusion-exclusion)."})
    emb2 = CountingEmbedder()
    lib2 = SkillLibrary(settings, embedder=emb2, shipped=root, extra_paths=[])
    lib2.search("overlapping sets", k=3)
    assert sorted(emb2.seen) == sorted(["count-sets | Count elements of overlapping sets (inclusion-exclusion).", "overlapping sets"])

    # a seed written by another model is ignored whole
    other = CountingEmbedder("count-b")
    SkillLibrary(settings, embedder=other, shipped=root, extra_paths=[]).search("json", k=1)
    assert len(other.seen) == 4


def test_a_seed_of_the_same_name_but_other_weights_is_ignored(tmp_path) -> None:  # noqa: ANN001
    a, b = CountingEmbedder(), CountingEmbedder()
    b.model_id = "hash-count-a@v2"  # same name (same file name), other weights
    write_seed(tmp_path / "s.npz", a, ["one", "two"])
    assert set(load_seed(tmp_path / "s.npz", a)) == {text_key("one"), text_key("two")}
    assert load_seed(tmp_path / "s.npz", b) == {} and seeded(b, tmp_path / "s.npz") is b
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert load_seed(tmp_path / "bad.npz", a) == {}  # a damaged seed is a cache miss, not an error


def test_seeded_embedder_returns_the_wrapped_embedders_vectors_in_order(tmp_path) -> None:  # noqa: ANN001
    a = CountingEmbedder()
    write_seed(tmp_path / "s.npz", a, ["alpha beta", "gamma"])
    inner = CountingEmbedder()
    emb = seeded(inner, tmp_path / "s.npz")
    assert isinstance(emb, SeededEmbedder)
    got = emb.embed(["gamma", "delta", "alpha beta", "delta"])
    assert np.allclose(got, HashEmbedder(32).embed(["gamma", "delta", "alpha beta", "delta"]), atol=1e-6)
    assert inner.seen == ["delta"] and emb.seed_hits == 2


def test_the_committed_seed_was_written_by_the_packaged_model() -> None:
    """The shipped seed must be usable by the default embedder (its fingerprint needs no model load)."""
    from agentmem.retrieval.embedder import MiniLMEmbedder

    emb = MiniLMEmbedder()
    seed = load_seed(seed_path(skills_dir(), emb), emb)
    assert seed, "skills/.vectors has no seed for the packaged MiniLM: run `make skill-vectors`"
    names = {text_key(s.search_text()) for s in SkillLibrary(_settings_for_tmp(), shipped=skills_dir(), extra_paths=[]).skills(include_inactive=True)}
    assert names & set(seed)  # written for these skills (a few may have changed since: they are embedded live)


def _settings_for_tmp():  # noqa: ANN202
    from agentmem.settings import Settings

    return Settings.load(embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()


def test_the_committed_seed_holds_minilm_vectors_of_the_skill_texts() -> None:
    """Spot-check one seeded vector against the live model (keys and model match)."""
    from agentmem.retrieval.embedder import MiniLMEmbedder

    emb = MiniLMEmbedder()
    seed = load_seed(seed_path(skills_dir(), emb), emb)
    texts = [s.search_text() for s in SkillLibrary(_settings_for_tmp(), shipped=skills_dir(), extra_paths=[]).skills(include_inactive=True)]
    text = next(t for t in texts if text_key(t) in seed)
    assert float(seed[text_key(text)] @ emb.embed([text])[0]) > 0.999


def test_chroma_index_opens_lazily_and_reads_of_a_never_written_store_do_not_open_it(tmp_path) -> None:  # noqa: ANN001
    from agentmem.retrieval.chroma import ChromaIndex

    idx = ChromaIndex.persistent(tmp_path / "idx")
    assert not idx.opened
    assert idx.count("a/b") == 0 and idx.query("a/b", np.ones(8, dtype=np.float32), k=3) == [] and idx.namespaces() == []
    idx.delete("a/b", ["x"])
    idx.drop("a/b")
    assert not idx.opened and not (tmp_path / "idx" / "chroma.sqlite3").exists()
    idx.upsert("a/b", ["x"], np.ones((1, 8), dtype=np.float32), ["doc"])
    assert idx.opened and idx.count("a/b") == 1
    again = ChromaIndex.persistent(tmp_path / "idx")  # a new process: the store exists, so reads open it
    assert again.count("a/b") == 1 and again.opened


_PROBE = """
import json, sys
from pathlib import Path
from agentmem.mcp_server import MemoryService
from agentmem.settings import Settings
s = Settings.load(home=Path(sys.argv[1]), embedder={"backend": "hash"}).ensure_home()
svc = MemoryService(s)
ctx = svc.memory().recall("heat a mug and put it in the cabinet")
out = {"items": len(ctx.items), "chromadb_after_recall": "chromadb" in sys.modules, "facts": [r.record.text for r in ctx.items if r.record.store == "facts"]}
if "write" in sys.argv[2:]:
    svc.remember("the mug is in the cabinet")
    out["chromadb_after_write"] = "chromadb" in sys.modules
if "close" in sys.argv[2:]:
    svc.close()
    out["chromadb_after_close"] = "chromadb" in sys.modules
print(json.dumps(out))
"""


def _probe(home: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(home), *extra], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_fresh_homes_first_recall_never_imports_chromadb(tmp_path) -> None:  # noqa: ANN001
    """The default back ends (embedded Chroma) in a fresh home: the shipped skills are recalled
    from the in-process skill index, the empty stores answer without opening Chroma; the first
    write goes to the vector write buffer (still no chromadb), the next process recalls it from
    there, and closing the service flushes it into Chroma, which the process after opens."""
    first = _probe(tmp_path / "home", "write")
    assert first["items"] > 0 and first["chromadb_after_recall"] is False
    assert first["chromadb_after_write"] is False
    second = _probe(tmp_path / "home", "close")
    assert second["facts"] == ["the mug is in the cabinet"] and second["chromadb_after_recall"] is False
    assert second["chromadb_after_close"] is True
    third = _probe(tmp_path / "home")
    assert third["facts"] == ["the mug is in the cabinet"] and third["chromadb_after_recall"] is True


def test_reopening_a_home_reads_only_the_item_files_recall_returns(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Every store of a home opened by a new process (MemoryService's wiring): recall reads no
    fact file beyond its hits, and neither the lexical index nor the vectors are rebuilt."""
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings
    from agentmem.stores.facts import FactStore

    s = Settings.load(home=tmp_path / "home", embedder={"backend": "hash"}).ensure_home()
    writer = MemoryService(s)
    for j in range(40):
        writer.facts.insert(f"fact {j} about topic{j % 8} and the garden", namespace=writer.namespace)
    reads: list[Path] = []
    real_read = FactStore._read

    def counting_read(f: Path):  # noqa: ANN202
        reads.append(f)
        return real_read(f)

    monkeypatch.setattr(FactStore, "_read", staticmethod(counting_read))
    reader = MemoryService(s)  # a new process over the same home
    ctx = reader.memory().recall("topic3 garden", budget_tokens=2000)
    facts = reader.facts
    hits = [r for r in ctx.items if r.record.store == "facts"]
    assert hits and len(reads) <= reader.settings.recall.store_limits.get("facts", reader.settings.recall.candidates_per_store)
    assert facts.full_syncs == 0 and facts.hybrid.full_syncs == 0 and facts.hybrid.lexical.full_loads == 1
    assert not facts._all_loaded



def test_a_large_lexical_index_reopens_from_its_snapshot_plus_later_writes(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """A new process loads the built postings from the snapshot (not every row), then applies the
    rows written and deleted after it; answers equal a rebuild from the rows."""
    import random
    import sqlite3

    from agentmem.retrieval import bm25_snapshot
    from agentmem.retrieval.incremental_bm25 import IncrementalBM25

    monkeypatch.setattr(bm25_snapshot, "MIN_ROWS", 200)
    rng = random.Random(0)
    words = [f"w{i}" for i in range(80)]
    ids = [f"d{i}" for i in range(400)]
    path = tmp_path / "lex.sqlite"
    a = IncrementalBM25(path)
    a.upsert(ids, [" ".join(rng.choice(words) for _ in range(8)) for _ in ids], [{"namespace": "ns" if i % 3 else "other"} for i in range(400)])
    assert a.snapshot_loads == 0 and a.compactions == 0  # writes add to the delta: no rebuild, no snapshot yet
    b = IncrementalBM25(path)  # a new process builds the postings from every row and writes the snapshot
    assert b.full_loads == 1 and b.snapshot_loads == 0
    assert IncrementalBM25(path).snapshot_loads == 1  # the next one loads it
    a.upsert(["d1", "new"], ["w1 w2 zebra", "w3 zebra"], [{"namespace": "ns"}, {"namespace": "ns"}])  # after the snapshot
    a.delete(["d4", "d7"])
    c = IncrementalBM25(path)
    assert c.snapshot_loads == 1 and len(c) == 399
    con = sqlite3.connect(path)
    con.execute("DELETE FROM snap")
    con.commit()
    con.close()
    d = IncrementalBM25(path)  # no snapshot: built from every row
    assert d.snapshot_loads == 0 and len(d) == 399
    for q in ("w1 w2", "zebra", "w7 w50 w3", "w5"):
        for where in (None, {"namespace": "ns"}):
            assert [(h.id, round(h.score, 6), h.document) for h in c.search(q, 25, where)] == [(h.id, round(h.score, 6), h.document) for h in d.search(q, 25, where)]
    assert {h.id for h in c.search("zebra", 5)} == {"d1", "new"} and "d4" not in {h.id for h in c.search(" ".join(words), 400)}
