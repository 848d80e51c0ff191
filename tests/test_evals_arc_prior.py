"""The ARC search prior: relation features, one word per feature, outcome rows, an informative order, the search trace."""

from __future__ import annotations

import numpy as np

from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.prior import ArcPrior, feature_word, task_features, task_text
from agentmem.evals.arc.search import CompositionSearch, structure_bytes

LIB = TransformLibrary()


def _pairs(fn, seeds=(1, 2, 3), size=(4, 5)):
    out = []
    for s in seeds:
        g = np.random.default_rng(s).choice([0, 1, 2, 3], size=size)
        out.append((g.tolist(), np.asarray(fn(g)).tolist()))
    return out


def test_relation_features_describe_how_outputs_follow_inputs():
    rot = task_features(_pairs(lambda g: np.rot90(g, 1)))
    assert "rel-out-is-rot90" in rot and "rel-out-is-flip-lr" not in rot
    crop = task_features(_pairs(lambda g: g[1:3, 1:4]))
    assert "rel-out-subgrid-of-in" in crop and "rel-out-fits-in" in crop
    recolour = task_features(_pairs(lambda g: np.where(g == 1, 7, g)))
    assert "rel-cellwise-colour-map" in recolour and "rel-ink-equal" in recolour
    tiled = task_features(_pairs(lambda g: np.tile(g, (2, 2))))
    assert {"rel-in-subgrid-of-out", "rel-out-multiple-of-in", "out-periodic"} <= set(tiled)
    # a relation must hold on every pair: one pair that breaks it removes the token
    mixed = _pairs(lambda g: np.rot90(g, 1))[:2] + _pairs(lambda g: g[::-1, :], seeds=(9,))
    assert "rel-out-is-rot90" not in task_features(mixed)


def test_task_text_is_one_word_per_feature():
    pairs = _pairs(lambda g: np.rot90(g, 1))
    words = task_text(pairs).split()
    assert len(words) == len(task_features(pairs))
    assert feature_word("in-objects-10+") == "fInObjects10plus" and feature_word("rel-out-is-rot90") == "fRelOutIsRot90"
    assert all(w.isalnum() for w in words)  # the hash embedder's tokeniser keeps each as one token


def test_prior_learns_which_skill_fits_which_features(tmp_path):
    # hand-made outcome rows: tasks whose outputs are rotations were solved by "rotate", tiled ones by "tile";
    # every other skill tried failed. The trained prior must rank each task kind's skill above the other's.
    names = ["rotate", "tile", "flip", "crop-to-content", "color-map", "scale"]
    prior = ArcPrior(tmp_path / "p", [(n, f"the {n} transform") for n in names])
    rot_text = task_text(_pairs(lambda g: np.rot90(g, 1)))
    tile_text = task_text(_pairs(lambda g: np.tile(g, (2, 2))))
    assert rot_text != tile_text
    for i in range(12):
        prior.record_outcomes("r", f"rot{i}", rot_text, correct=["rotate"], tried=names)
        prior.record_outcomes("r", f"tile{i}", tile_text, correct=["tile"], wrong=["scale"], tried=names)
    assert prior.order(rot_text) == {}  # untrained: no order (the library default applies)
    assert prior.train() is not None and prior.trained
    rot, tile = prior.order(rot_text), prior.order(tile_text)
    assert rot["rotate"] > rot["tile"] and tile["tile"] > tile["rotate"]
    assert max(rot, key=rot.__getitem__) == "rotate" and max(tile, key=tile.__getitem__) == "tile"
    # reloaded from its folder, it orders the same way
    again = ArcPrior(tmp_path / "p", [(n, f"the {n} transform") for n in names])
    assert again.trained and max(again.order(tile_text), key=again.order(tile_text).__getitem__) == "tile"


def test_record_outcomes_rows():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        prior = ArcPrior(Path(d), [("a", "a"), ("b", "b"), ("c", "c")])
        n = prior.record_outcomes("r", "t", "fX", correct=["a"], wrong=["a", "b"], tried=["a", "b", "c"])
        rows = {(r.item_id, r.success) for r in prior.log.rows()}
        assert n == 3 and rows == {("a", True), ("b", False), ("c", False)}


def test_trace_walks_the_same_order_as_solve():
    pairs = _pairs(lambda g: np.rot90(np.where(g == 1, 5, g), 1))
    tests = [np.random.default_rng(7).choice([0, 1, 2, 3], size=(4, 5)).tolist()]
    res = CompositionSearch(LIB, max_candidates=3000, attempts=1).solve(pairs, tests)
    traced = list(CompositionSearch(LIB, max_candidates=3000).trace(pairs))
    assert res.steps is not None and traced
    at, steps, depth, _ = traced[0]
    assert structure_bytes(steps) == structure_bytes(res.steps) and depth == res.depth and at == res.first_at
