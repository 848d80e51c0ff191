"""The object-level ARC transforms (skills/arc): hand-made grids whose outputs follow from each rule, and
real ARC-AGI-1 training tasks each transform solves at depth 1 (fit on the train pairs, checked on the test pair)."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.evals.arc.library import TransformLibrary

LIB = TransformLibrary()
T = LIB.by_name


def run(name, grid, **params):
    return np.asarray(T[name].apply(np.array(grid), params)).tolist()


def fit(name, pairs):
    return T[name].fit([(np.array(a), np.array(b)) for a, b in pairs])


def solves(name, pairs, test_in, test_out):
    """The first setting `fit` proposes reproduces every pair, and the test output."""
    params = fit(name, pairs)
    assert params, f"{name}: fit proposed nothing"
    p = params[0]
    for a, b in pairs:
        assert run(name, a, **p) == b
    return run(name, test_in, **p) == test_out


# -- recolor-objects: learned keys that generalise -------------------------------------------------
def test_recolor_by_size_threshold_generalises_to_unseen_sizes():
    # objects of more than 2 cells become 8, smaller ones 3; the test has a 4-cell object never seen
    pairs = [([[1, 0, 1, 1, 1]], [[3, 0, 8, 8, 8]]), ([[1, 1, 0, 1, 0]], [[3, 3, 0, 3, 0]])]
    params = fit("recolor-objects", pairs)
    assert params[0]["key"] == "size_gt" and params[0]["n"] == 2
    assert run("recolor-objects", [[1, 1, 1, 1, 0, 1]], **params[0]) == [[8, 8, 8, 8, 0, 3]]


def test_recolor_holes_of_one_colour_by_size():
    # black regions inside a grey wall (majority colour 5) are recoloured by their size; the wall stays
    g = [[5, 5, 5, 5, 5], [5, 0, 5, 0, 5], [5, 5, 5, 0, 5], [5, 5, 5, 5, 5]]
    o = [[5, 5, 5, 5, 5], [5, 3, 5, 2, 5], [5, 5, 5, 2, 5], [5, 5, 5, 5, 5]]
    params = fit("recolor-objects", [(g, o)])
    assert params[0]["bg"] == 5
    assert run("recolor-objects", [[0, 5, 0], [5, 5, 0]], **params[0]) == [[3, 5, 2], [5, 5, 2]]


def test_recolor_interiors_and_each_grids_own_background():
    # only the inside of each block changes: the larger block's inside becomes 2, the smaller one's 1
    g = np.zeros((5, 9), dtype=int)
    g[0:5, 0:5] = 4
    g[1:4, 6:9] = 4
    o = g.copy()
    o[1:4, 1:4] = 2
    o[2, 7] = 1
    p = fit("recolor-objects", [(g.tolist(), o.tolist())])[0]
    assert p["part"] == "inner" and p["key"] == "extreme"
    # every cell not of the grid's majority colour becomes 5, whatever that majority is
    assert run("recolor-objects", [[2, 2, 1], [2, 8, 2]], key="any", mapping={"all": 5}, bg="majority") == [[2, 2, 5], [2, 5, 2]]
    assert run("recolor-objects", [[3, 1, 1], [1, 1, 1]], key="any", mapping={"all": 5}, bg="majority") == [[5, 1, 1], [1, 1, 1]]


def test_recolor_by_touching_colour():
    # objects made of colour 1 only (`of`), so the red cell next to one is a neighbour, not part of it
    g = [[1, 2, 0, 1], [0, 0, 0, 1]]
    assert run("recolor-objects", g, key="touches", mapping={"2": 4, "none": 1}, of=1) == [[4, 2, 0, 1], [0, 0, 0, 1]]


def test_recolor_background_regions_touching_a_colour():
    # black regions next to a blue cell turn blue; the one walled off by grey stays black
    g = [[0, 0, 5, 0], [1, 0, 5, 0], [5, 5, 5, 0]]
    o = [[1, 1, 5, 0], [1, 1, 5, 0], [5, 5, 5, 0]]
    p = next(q for q in fit("recolor-objects", [(g, o)]) if q["key"] == "touches_n")
    assert p["n"] == 1 and p["of"] == 0
    assert run("recolor-objects", [[0, 5, 0], [5, 5, 1]], **p) == [[0, 5, 1], [5, 5, 1]]


# -- move-objects -----------------------------------------------------------------------------------
def test_move_toward_anchor_until_contact():
    g = [[2, 2, 0, 0, 0, 8], [0, 0, 0, 0, 0, 8]]
    assert run("move-objects", g, mode="contact", anchors=[8]) == [[0, 0, 0, 2, 2, 8], [0, 0, 0, 0, 0, 8]]
    assert run("move-objects", g, mode="step", anchors=[8]) == [[0, 2, 2, 0, 0, 8], [0, 0, 0, 0, 0, 8]]
    # a diagonal mover stops when it touches the anchor's corner
    d = [[3, 0, 0], [0, 0, 0], [0, 0, 8]]
    assert run("move-objects", d, mode="contact", anchors=[8]) == [[0, 0, 0], [0, 3, 0], [0, 0, 8]]


def test_move_fall_is_rigid_and_fit_learns_the_anchor():
    g = [[1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 2]]
    # the L falls as one piece and stops on the bottom edge (cell 2 is in another column)
    assert run("move-objects", g, mode="fall", direction="down") == [[0, 0, 0], [0, 0, 0], [1, 1, 0], [0, 1, 2]]
    pairs = [([[4, 0, 0, 0, 5]], [[0, 0, 0, 4, 5]]), ([[5, 0, 0, 4, 4]], [[5, 4, 4, 0, 0]])]
    assert fit("move-objects", pairs)[0] == {"mode": "contact", "anchors": [5]}
    assert run("move-objects", [[0, 5, 0, 0, 4]], mode="shift", offsets={"5": [0, -1]}) == [[5, 0, 0, 0, 4]]


def test_move_align_and_lift():
    g = [[0, 0, 0, 0], [3, 0, 0, 0], [3, 0, 1, 0], [0, 0, 1, 0]]
    # the green bar slides down until its top row is the blue anchor's top row
    assert run("move-objects", g, mode="align", anchors=[1], axis="row") == [[0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 1, 0], [3, 0, 1, 0]]
    # home: each cell goes to the line of its own colour, over the other line; a colour with no line goes
    k = [[0, 3, 0, 0, 4], [0, 3, 0, 0, 4], [4, 3, 0, 0, 4], [0, 3, 0, 6, 4]]
    assert run("move-objects", k, mode="home", erase_lone=True) == [[0, 3, 0, 0, 4], [0, 3, 0, 0, 4], [0, 3, 0, 4, 4], [0, 3, 0, 0, 4]]
    # each object goes up by its own height
    h = [[0, 0, 0], [0, 0, 0], [0, 0, 4], [2, 0, 4]]
    assert run("move-objects", h, mode="lift", direction="up") == [[0, 0, 4], [0, 0, 4], [2, 0, 0], [0, 0, 0]]


# -- extract-object ---------------------------------------------------------------------------------
def test_extract_learns_the_rule_and_the_output_mode():
    # the symmetric object is cut out: the largest in one example, the smallest in the other
    a1 = [[1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 2, 0], [1, 0, 0, 2, 2, 2]]
    a2 = [[0, 3, 0, 0, 0], [3, 3, 3, 0, 4], [0, 3, 0, 4, 4]]
    pairs = [(a1, [[0, 2, 0], [2, 2, 2]]), (a2, [[0, 3, 0], [3, 3, 3], [0, 3, 0]])]
    params = fit("extract-object", pairs)
    assert params[0]["select"] == "symmetric"
    assert run("extract-object", [[6, 0, 7], [6, 6, 7]], **params[0]) == [[7], [7]]
    # keep: everything but the largest object becomes background
    g = [[1, 1, 0, 2], [1, 0, 0, 0]]
    assert run("extract-object", g, select="largest", by_color=True, bg=0, groups=False, mode="keep") == [[1, 1, 0, 0], [1, 0, 0, 0]]
    # crop_paint: the cut-out painted in the chosen object's main colour
    m = [[0, 0, 0], [4, 8, 0], [4, 4, 0]]
    assert run("extract-object", m, select="largest", by_color=False, bg=0, groups=False, mode="crop_paint") == [[4, 4], [4, 4]]
    # inside: the cells a rectangular frame encloses
    f = [[0, 3, 3, 3, 0], [0, 3, 7, 3, 1], [0, 3, 3, 3, 0]]
    assert run("extract-object", f, select="frame", by_color=True, bg=0, groups=False, mode="inside") == [[7]]


# -- object-summary ---------------------------------------------------------------------------------
def test_summary_count_fill_and_colours():
    pairs = [([[1, 0, 1, 0, 0]], [[5, 5, 0]]), ([[1, 0, 0, 0, 0]], [[5, 0, 0]]), ([[1, 0, 1, 0, 1]], [[5, 5, 5]])]
    p = next(q for q in fit("object-summary", pairs) if q["mode"] == "count")
    assert run("object-summary", [[0, 1, 0, 1, 0]], **p) == [[5, 5, 0]]
    g = [[2, 2, 0, 3], [2, 0, 0, 0], [0, 0, 4, 4]]
    assert run("object-summary", g, mode="fill", rule="largest_object", shape=[2, 2]) == [[2, 2], [2, 2]]
    assert run("object-summary", g, mode="colors", by="size", axis="row") == [[2, 4, 3]]


def test_summary_count_layout_and_largest_columns():
    g = [[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 0, 0]]
    assert run("object-summary", g, mode="count_layout", layout="diag", colour=None, fill=8) == [[8, 0, 0], [0, 8, 0], [0, 0, 8]]
    h = [[2, 0, 3, 0, 4], [2, 0, 3, 0, 0]]  # two objects of the largest size, 2 then 3 from the left
    assert run("object-summary", h, mode="largest_columns") == [[2, 3], [2, 3]]


def test_summary_lookup_never_memorises_and_declines_unseen_values():
    # every example has a different object count: a table would only memorise them, so none is proposed
    distinct = [([[1, 0, 1]], [[2]]), ([[1, 0, 0]], [[3]])]
    assert not any(p["mode"] == "lookup" for p in fit("object-summary", distinct))
    table = {"yes": [[1]], "no": [[7]]}
    assert run("object-summary", [[1, 2, 1]], mode="lookup", feature="symmetric", table=table) == [[1]]
    with pytest.raises(KeyError):
        run("object-summary", [[1, 2]], mode="lookup", feature="count", table={"5": [[1]]})


# -- fill-object-box --------------------------------------------------------------------------------
def test_fill_box_and_holes_by_side_parity():
    assert run("fill-object-box", [[1, 1, 0], [0, 1, 0]], mode="bbox", color=2) == [[1, 1, 0], [2, 1, 0]]
    ring2 = [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]]
    ring1 = [[1, 1, 1], [1, 0, 1], [1, 1, 1]]
    mapping = {"even": 2, "odd": 7}
    assert run("fill-object-box", ring2, mode="holes", key="side_parity", mapping=mapping) == [
        [1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]]
    # all cells of a colour span one rectangle, filled with that colour
    assert run("fill-object-box", [[0, 3, 0], [0, 0, 0], [0, 0, 3]], mode="bbox", color="own", groups=True) == [[0, 3, 3], [0, 3, 3], [0, 3, 3]]
    # box_recolor: blue cells inside the box spanned by the 8s turn green
    g = [[1, 8, 1, 1], [1, 1, 8, 1], [1, 1, 1, 1]]
    assert run("fill-object-box", g, mode="box_recolor", of=8, target=1, color=3) == [[1, 8, 3, 1], [1, 3, 8, 1], [1, 1, 1, 1]]
    # erase: only the filled inside remains
    assert run("fill-object-box", ring1, mode="holes", key="any", mapping={"any": 3}, erase=True) == [[0, 0, 0], [0, 3, 0], [0, 0, 0]]


# -- replace-shapes ---------------------------------------------------------------------------------
def test_replace_shapes_learns_a_table_and_declines_unseen_shapes():
    # single blue cells become red, blue pairs become green
    pairs = [([[1, 0, 1, 0]], [[2, 0, 2, 0]]), ([[0, 1, 1, 0]], [[0, 3, 3, 0]]), ([[1, 0, 0, 0]], [[2, 0, 0, 0]])]
    p = fit("replace-shapes", pairs)[0]
    assert p["by"] == "exact" and p["margin"] == 0
    assert run("replace-shapes", [[1, 1, 0, 1]], **p) == [[3, 3, 0, 2]]
    with pytest.raises(KeyError):  # a shape never seen: no answer rather than a guess
        run("replace-shapes", [[1, 1, 1]], **p)


# -- copy-to-markers --------------------------------------------------------------------------------
def test_copy_template_centred_on_marker_cells():
    g = [[1, 2, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 5, 0], [0, 0, 0, 0, 0]]
    # a 1x2 template centred on the marker: its centre column (index 1) lands on the marker
    assert run("copy-to-markers", g, marker=5, keep_template=True) == [[1, 2, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 2, 0], [0, 0, 0, 0, 0]]
    blocks = [[3, 4, 0, 5, 5]]
    assert run("copy-to-markers", blocks, marker=5, keep_template=False) == [[0, 0, 0, 3, 4]]


# -- adopt-color ------------------------------------------------------------------------------------
def test_adopt_colour_from_row_column_or_nearest():
    g = [[1, 0, 5, 5], [2, 0, 0, 5]]
    # per cell, from the same row: row 0 takes 1, row 1 takes 2
    assert run("adopt-color", g, color=5, unit="cell", source="row") == [[1, 0, 1, 1], [2, 0, 0, 2]]
    # per object: the whole block takes the colour of the source nearest to any of its cells (1, two cells away)
    assert run("adopt-color", g, color=5, unit="object", source="row") == [[1, 0, 1, 1], [2, 0, 0, 1]]
    h = [[3, 0, 0, 0, 0, 4], [0, 5, 0, 0, 5, 0]]
    assert run("adopt-color", h, color=5, unit="cell", source="nearest") == [[3, 0, 0, 0, 0, 4], [0, 3, 0, 0, 4, 0]]
    pairs = [([[6, 0, 0], [0, 0, 0], [5, 5, 0]], [[6, 0, 0], [0, 0, 0], [6, 6, 0]])]
    assert fit("adopt-color", pairs)[0] == {"color": 5, "unit": "object", "source": "nearest"}
    # the shape takes the marker's colour and the marker goes; the colours differ between examples
    pairs = [([[2, 2, 0], [2, 0, 0], [0, 0, 4]], [[4, 4, 0], [4, 0, 0], [0, 0, 0]]),
             ([[0, 3, 3], [0, 3, 3], [6, 0, 0]], [[0, 6, 6], [0, 6, 6], [0, 0, 0]])]
    p = fit("adopt-color", pairs)[0]
    assert p["color"] == "majority" and p["erase"] is True
    assert run("adopt-color", [[0, 0, 7], [1, 1, 1]], **p) == [[0, 0, 0], [7, 7, 7]]


# -- outline, crop-to-content: fit proposes what PARAMS alone used to offer ------------------------
def test_outline_fit_proposes_hollowing():
    solid = [[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 3, 3, 0], [0, 3, 3, 3, 0]]
    hollow = [[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 0, 3, 0], [0, 3, 3, 3, 0]]
    assert {"mode": "hollow", "color": 0} in fit("outline", [(solid, hollow)])


def test_outline_frames_only_objects_of_a_learned_size():
    # the 4-connected pair is framed, the single cell and the diagonal pair are not
    a = [[0, 0, 0, 0, 0, 0, 0], [0, 2, 2, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0, 0]]
    b = [[3, 3, 3, 3, 0, 0, 0], [3, 2, 2, 3, 0, 0, 2], [3, 3, 3, 3, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0, 0]]
    assert fit("outline", [(a, b)])[0] == {"mode": "frame", "color": 3, "min_size": 2}


def test_crop_fixed_window_from_a_corner():
    # the output is always the 1x2 window one row above the bottom-right corner
    pairs = [([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[5, 6]]), ([[0, 1, 1, 2], [7, 7, 7, 7], [3, 4, 5, 6], [9, 9, 9, 9]], [[5, 6]])]
    p = fit("crop-to-content", pairs)[0]
    assert p["corner"] == "br" and p["offset"] == [1, 0]
    assert run("crop-to-content", [[1, 1], [2, 3], [0, 0]], **p) == [[2, 3]]


# -- real ARC-AGI-1 training tasks ------------------------------------------------------------------
REAL = [
    ("recolor-objects", "d2abd087"), ("recolor-objects", "e8593010"), ("recolor-objects", "810b9b61"),
    ("move-objects", "05f2a901"), ("move-objects", "ae3edfdc"), ("move-objects", "dc433765"),
    ("extract-object", "0b148d64"), ("extract-object", "8efcae92"), ("extract-object", "1c786137"),
    ("object-summary", "ff28f65a"), ("object-summary", "f8ff0b80"), ("object-summary", "445eab21"),
    ("fill-object-box", "6d75e8bb"), ("fill-object-box", "868de0fa"), ("fill-object-box", "d5d6de2d"),
    ("copy-to-markers", "88a10436"), ("copy-to-markers", "e76a88a6"), ("outline", "4347f46a"), ("outline", "b27ca6d3"),
    ("recolor-objects", "9edfc990"), ("recolor-objects", "44d8ac46"), ("recolor-objects", "694f12f3"),
    ("recolor-objects", "9565186b"), ("move-objects", "1caeab9d"), ("move-objects", "5521c0d9"), ("fill-object-box", "56ff96f3"),
    ("object-summary", "d0f5fe59"), ("object-summary", "44f52bb0"), ("object-summary", "794b24be"), ("object-summary", "a3325580"), ("extract-object", "5117e062"), ("extract-object", "3de23699"),
    ("replace-shapes", "6c434453"), ("adopt-color", "aabf363d"), ("fill-object-box", "32597951"),
    ("move-objects", "d687bc17"), ("move-objects", "1a07d186"),
    ("adopt-color", "ddf7fa4f"), ("adopt-color", "c9f8e694"), ("extract-object", "ae4f1146"), ("object-summary", "b9b7f026"),
    ("crop-to-content", "5bd6f4ac"),
]


@pytest.fixture(scope="module")
def training(arc_training):
    return {t.id: t for t in arc_training}


@pytest.mark.parametrize(("name", "task_id"), REAL)
def test_real_training_task_solved_at_depth_1(training, name, task_id):
    task = training[task_id]
    pairs = [(i.tolist(), o.tolist()) for i, o in task.train]
    assert all(solves(name, pairs, i.tolist(), o.tolist()) for i, o in task.test)
