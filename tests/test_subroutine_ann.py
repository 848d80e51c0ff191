"""The approximate index of the subroutine store: candidates from faiss IVF-SQ8, exact re-scoring,
incremental sync, persistence, rebuild after truncation, namespace masks, and the store wiring."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("faiss")

from agentmem.stores.vector_ann import AnnIndex  # noqa: E402
from agentmem.stores.vector_file import ExactVectorFile  # noqa: E402

DIM = 32


def clustered(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((40, DIM)).astype(np.float32)
    x = centers[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def filled(tmp_path):
    x = clustered(6000)
    vf = ExactVectorFile(tmp_path / "v.f32", DIM)
    ann = AnnIndex(vf, tmp_path / "cache", min_rows=2000, candidates=100, train_sample=20)
    for s in range(0, len(x), 1000):
        vf.append(x[s : s + 1000], at_row=s)
        ann.sync()
    return vf, ann, x


def test_small_stores_use_the_exact_scan(tmp_path):
    x = clustered(500)
    vf = ExactVectorFile(tmp_path / "v.f32", DIM)
    vf.append(x, at_row=0)
    ann = AnnIndex(vf, tmp_path / "cache", min_rows=2000)
    assert ann.sync() == 0
    rows, scores = ann.search(x[3], 5)
    assert ann.backend == "exact" and rows[0] == 3 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_candidates_are_rescored_exactly_and_match_the_exact_top_k(filled):
    vf, ann, x = filled
    assert ann.info()["indexed_rows"] == len(x)
    rng = np.random.default_rng(1)
    overlap = []
    for i in rng.choice(len(x), 50, replace=False):
        q = x[i] + 0.05 * rng.standard_normal(DIM).astype(np.float32)
        rows, scores = ann.search(q, 10)
        assert ann.backend == "ivf-sq8+rescore"
        exact_rows, _ = vf.search(q, 10)
        qn = q / np.linalg.norm(q)
        assert np.allclose(scores, x[rows] @ qn, atol=1e-5)  # exact cosines, not quantised ones
        assert list(scores) == sorted(scores, reverse=True)
        overlap.append(len(set(rows) & set(exact_rows)) / 10)
        assert rows[0] == exact_rows[0]
    assert np.mean(overlap) >= 0.9


def test_index_persists_and_is_rebuilt_after_truncation(filled, tmp_path):
    vf, ann, x = filled
    assert (tmp_path / "cache" / "ann.faiss").exists()
    again = AnnIndex(vf, tmp_path / "cache", min_rows=2000, candidates=100, train_sample=20)
    again._load()
    assert 0 < again._rows <= len(x)
    vf.truncate(4000)  # a rollback
    vf.append(clustered(1000, seed=9), at_row=4000)  # then different rows at the same positions
    rows, _ = again.search(x[10], 10)
    assert rows.max() < 5000 and again._rows == 5000
    exact_rows, _ = vf.search(x[10], 10)
    assert rows[0] == exact_rows[0] == 10


def test_a_rare_namespace_falls_back_to_an_exact_scan_of_its_rows(filled):
    vf, ann, x = filled
    mask = np.zeros(len(x), dtype=bool)
    mask[[7, 70, 700, 4000]] = True
    rows, _ = ann.search(x[700], 3, mask)
    assert ann.backend == "exact-masked" and set(rows) <= {7, 70, 700, 4000} and rows[0] == 700
    wide = np.ones(len(x), dtype=bool)
    wide[::2] = False
    rows, _ = ann.search(x[701], 5, wide)
    assert all(r % 2 == 1 for r in rows) and rows[0] == 701


def test_without_faiss_every_query_is_exact(filled):
    vf, _, x = filled
    plain = AnnIndex(vf, vf.path.parent / "other", min_rows=2000, use_faiss=False)
    rows, _ = plain.search(x[5], 10)
    assert plain.backend == "exact" and list(rows) == list(vf.search(x[5], 10)[0])


def test_subroutine_store_searches_through_the_index(settings, monkeypatch):
    from agentmem.stores.subroutines import Subroutine, SubroutineStore

    class Lookup:
        name, dim = "lookup-32", DIM

        def __init__(self, table: np.ndarray) -> None:
            self.table = table

        def embed(self, texts):  # noqa: ANN001, ANN201
            return np.stack([self.table[int(t.split()[-1])] for t in texts])

    x = clustered(3000)
    store = SubroutineStore(settings, embedder=Lookup(x))
    store.ann.min_rows, store.ann.train_sample = 2000, 20
    pairs = [Subroutine(subquestion=f"question {i}", subroutine=f"answer {i}") for i in range(len(x))]
    for s in range(0, len(x), 1000):
        store.add(pairs[s : s + 1000], embeddings=x[s : s + 1000])
    assert store.ann.info()["indexed_rows"] == 3000
    hits = store.search_pairs("question 1234", k=3)
    assert store.ann.backend == "ivf-sq8+rescore" and hits[0][0].id == "sr-1234"
    store.rollback(2000)
    hits = store.search_pairs("question 1234", k=3)
    assert hits[0][0].id == "sr-1234" and all(int(p.id[3:]) < 2000 for p, _ in hits)


def test_lists_are_planned_for_growth_and_trained_once(tmp_path):
    """The list count is fixed at training (n / 48, capped), nprobe is a fixed number of lists,
    and appending three times the training size re-encodes nothing: no second training."""
    x = clustered(9000)
    vf = ExactVectorFile(tmp_path / "v.f32", DIM)
    ann = AnnIndex(vf, tmp_path / "cache", min_rows=3000, max_nlist=48)
    vf.append(x[:3000], at_row=0)
    ann.sync()
    first = ann._index
    assert ann.info()["nlist"] == 48 and ann.nprobe == 8 and ann._trained_rows == 3000  # min(48, 3000 // 48 = 62), max(8, 48 // 32)
    for s in range(3000, 9000, 1000):
        vf.append(x[s : s + 1000], at_row=s)
        ann.sync()
    assert ann._index is first and ann._trained_rows == 3000 and ann.info()["indexed_rows"] == 9000
    rows, _ = ann.search(x[8500], 5)
    assert ann.backend == "ivf-sq8+rescore" and rows[0] == 8500


def test_shard_rows_are_the_bytes_of_json_dumps(tmp_path):
    import json

    from agentmem.stores.shards import ShardedJsonl

    recs = [{"b": "é ü", "a": [1, 2.5, None], "c": {"z": True, "y": "x\ny"}}, {"id": "sr-1"}]
    shards = ShardedJsonl(tmp_path / "s")
    shards.append(recs)
    for i, r in enumerate(recs):
        assert shards.read_raw(i) == json.dumps(r, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n"
        assert shards.read(i) == r
