"""Every shipped ARC playbook transform on hand-made grids, and the skills' Agent Skills format."""

from __future__ import annotations

import re

import numpy as np
import pytest

from agentmem.evals.arc.library import TransformLibrary, read_skill_md, shipped_arc_dir

LIB = TransformLibrary()
T = LIB.by_name


def run(name, grid, **params):
    return np.asarray(T[name].apply(np.array(grid), params)).tolist()


def test_every_skill_follows_the_agent_skills_format():
    # skills/arc also holds knowledge skills (no scripts); the transforms are its playbooks
    folders = sorted(p for p in shipped_arc_dir().iterdir() if (p / "scripts" / "transform.py").is_file())
    assert len(folders) == len(LIB.primitives) >= 20
    for folder in folders:
        meta, body = read_skill_md(folder / "SKILL.md")
        assert meta["name"] == folder.name
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"]) and len(meta["name"]) <= 64
        assert 1 <= len(meta["description"]) <= 1024 and "Use when" in meta["description"]
        md = meta["metadata"]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in md.items())
        assert md["kind"] == "playbook" and md["domain"] == "arc" and (folder / md["entry"]).is_file()
        assert md["shape"] in ("same", "changes") and md["colors"] in ("same", "changes")
        assert body.strip().startswith("#")
        t = T[folder.name]
        assert t.params or t.can_fit, f"{folder.name}: neither PARAMS nor fit"


def test_geometric():
    g = [[1, 2], [3, 4], [5, 6]]
    assert run("rotate", g, k=1) == [[5, 3, 1], [6, 4, 2]]
    assert run("rotate", g, k=2) == [[6, 5], [4, 3], [2, 1]]
    assert run("flip", g, axis="h") == [[2, 1], [4, 3], [6, 5]]
    assert run("flip", g, axis="v") == [[5, 6], [3, 4], [1, 2]]
    assert run("transpose", g, diagonal="main") == [[1, 3, 5], [2, 4, 6]]
    assert run("transpose", g, diagonal="anti") == [[6, 4, 2], [5, 3, 1]]


def test_crop_and_extract_objects():
    g = [[0, 0, 0, 0, 0], [0, 3, 3, 0, 0], [0, 3, 0, 0, 7], [0, 0, 0, 0, 0]]
    assert run("crop-to-content", g, bg="zero") == [[3, 3, 0, 0], [3, 0, 0, 7]]
    assert run("crop-to-content", [[5, 5, 5], [5, 2, 5], [5, 5, 5]], bg="majority") == [[2]]
    assert run("extract-object", g, select="largest", by_color=True) == [[3, 3], [3, 0]]
    assert run("extract-object", g, select="smallest", by_color=True) == [[7]]
    h = [[1, 0, 0, 0], [0, 0, 2, 2], [1, 0, 0, 0], [0, 0, 0, 1]]
    assert run("extract-object", h, select="rarest_color", by_color=True) == [[2, 2]]


def test_color_map_fit_and_apply():
    pairs = [(np.array([[1, 2], [2, 0]]), np.array([[3, 2], [2, 0]])), (np.array([[1, 1]]), np.array([[3, 3]]))]
    params = T["color-map"].fit(pairs)
    assert params == [{"mapping": {"1": 3, "2": 2, "0": 0}}]
    assert run("color-map", [[1, 0], [0, 2]], **params[0]) == [[3, 0], [0, 2]]
    assert T["color-map"].fit([(np.array([[1, 1]]), np.array([[2, 3]]))]) == []  # 1 maps to two colours


def test_gravity_tile_scale_mirror():
    g = [[1, 0], [0, 2], [0, 0]]
    assert run("gravity", g, direction="down") == [[0, 0], [0, 0], [1, 2]]
    assert run("gravity", g, direction="right") == [[0, 1], [0, 2], [0, 0]]
    assert run("tile", [[1, 2]], rows=2, cols=2, mode="plain") == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert run("tile", [[1, 2]], rows=2, cols=2, mode="mirror") == [[1, 2, 2, 1], [1, 2, 2, 1]]
    assert run("scale", [[1, 2]], factor=2) == [[1, 1, 2, 2], [1, 1, 2, 2]]
    assert run("scale", [[1, 1, 2, 2], [1, 1, 2, 0]], factor=-2) == [[1, 2]]
    assert run("mirror-concat", [[1, 2]], side="right") == [[1, 2, 2, 1]]
    assert run("mirror-concat", [[1], [2]], side="below") == [[1], [2], [2], [1]]


def test_symmetry_completion():
    full = np.array([[1, 2, 2, 1], [3, 4, 4, 3], [3, 4, 4, 3], [1, 2, 2, 1]])
    masked = full.copy()
    masked[0:2, 0:2] = 8
    pairs = [(masked, full)]
    assert T["symmetry-complete"].fit(pairs) == [{"mask": 8}]
    assert run("symmetry-complete", masked, mask=8) == full.tolist()


def test_draw_lines():
    g = [[0, 0, 0], [0, 5, 0], [0, 0, 0]]
    assert run("draw-lines", g, directions="row") == [[0, 0, 0], [5, 5, 5], [0, 0, 0]]
    assert run("draw-lines", g, directions="cross") == [[0, 5, 0], [5, 5, 5], [0, 5, 0]]
    assert run("draw-lines", g, directions="diagonals") == [[5, 0, 5], [0, 5, 0], [5, 0, 5]]
    assert run("draw-lines", [[1, 0, 2, 0]], directions="right") == [[1, 1, 2, 2]]


def test_fill_enclosed_and_outline():
    ring = [[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 0, 3, 0], [0, 3, 3, 3, 0], [0, 0, 0, 0, 0]]
    filled = [r[:] for r in ring]
    filled[2][2] = 4
    assert T["fill-enclosed"].fit([(np.array(ring), np.array(filled))]) == [{"color": 4}]
    assert run("fill-enclosed", ring, color=4) == filled
    solid = [[2, 2, 2], [2, 2, 2], [2, 2, 2]]
    assert run("outline", solid, mode="hollow", color=0) == [[2, 2, 2], [2, 0, 2], [2, 2, 2]]
    assert run("outline", [[0, 0, 0], [0, 1, 0], [0, 0, 0]], mode="frame", color=6) == [[6, 6, 6], [6, 1, 6], [6, 6, 6]]


def test_majority_denoise_keep_border():
    g = [[1, 1, 2], [0, 1, 2], [3, 0, 0]]
    assert run("majority-color", g, which="most", output="cell") == [[1]]
    assert run("majority-color", g, which="least", output="recolor") == [[3, 3, 3], [0, 3, 3], [3, 0, 0]]
    noisy = [[4, 4, 0, 0], [4, 4, 0, 7], [0, 0, 0, 0]]
    assert run("denoise", noisy, method="specks", size=1) == [[4, 4, 0, 0], [4, 4, 0, 0], [0, 0, 0, 0]]
    assert run("denoise", [[1, 1, 1], [1, 5, 1], [1, 1, 1]], method="majority", size=0) == [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    assert run("keep-color", g, mode="keep", color=2) == [[0, 0, 2], [0, 0, 2], [0, 0, 0]]
    assert run("keep-color", g, mode="erase", color=1) == [[0, 0, 2], [0, 0, 2], [3, 0, 0]]
    assert run("border", [[0, 0, 0], [0, 1, 0], [0, 0, 0]], mode="paint", color=8) == [[8, 8, 8], [8, 1, 8], [8, 8, 8]]
    assert run("border", [[1]], mode="pad", color=2) == [[2, 2, 2], [2, 1, 2], [2, 2, 2]]


def test_split_combine_dedupe_recolor():
    g = [[1, 0, 5, 1, 1], [0, 0, 5, 0, 1]]  # left | separator | right
    assert run("split-combine", g, axis="h", op="and", color=2) == [[2, 0], [0, 0]]
    assert run("split-combine", g, axis="h", op="xor", color=2) == [[0, 2], [0, 2]]
    assert T["split-combine"].fit([(np.array(g), np.array([[2, 0], [0, 0]]))])[0]["color"] == 2
    assert run("dedupe-lines", [[1, 1, 2], [1, 1, 2], [3, 3, 3]], which="both") == [[1, 2], [3, 3]]
    objs = np.array([[1, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 1]])
    out = np.array([[2, 2, 0, 3], [2, 2, 0, 0], [0, 0, 0, 3]])
    params = T["recolor-objects"].fit([(objs, out)])
    assert {"key": "extreme", "mapping": {"largest": 2, "smallest": 3}} in params
    assert run("recolor-objects", [[1, 0, 1, 1, 1]], key="extreme", mapping={"largest": 2, "smallest": 3}) == [[3, 0, 2, 2, 2]]


@pytest.mark.parametrize("name", sorted(T))
def test_transforms_never_crash_on_odd_grids(name):
    t = T[name]
    for grid in (np.array([[0]]), np.array([[3, 3], [3, 3]]), np.arange(30).reshape(5, 6) % 10):
        for params in (t.params or [{}])[:6]:
            try:
                out = np.asarray(t.apply(grid, params))
            except (TypeError, ValueError):
                continue  # fit-only transform without its learned parameters, or a grid it does not apply to
            # (ValueError = "not applicable": the search drops the candidate instead of answering the input)
            assert out.ndim == 2


def test_cell_rule_learns_a_local_rule_and_refuses_memorisation():
    a = np.zeros((5, 5), int)
    a[2, 2] = 3
    b = a.copy()
    b[1, 2] = b[3, 2] = b[2, 1] = b[2, 3] = 4
    a2 = np.zeros((4, 6), int)
    a2[1, 4] = 3
    b2 = a2.copy()
    b2[0, 4] = b2[2, 4] = b2[1, 3] = b2[1, 5] = 4
    params = T["cell-rule"].fit([(a, b), (a2, b2)])
    assert params and params[0]["kind"] == "n4"
    new = np.zeros((3, 3), int)
    new[1, 1] = 3
    assert run("cell-rule", new, **params[0]) == [[0, 4, 0], [4, 3, 4], [0, 4, 0]]
    # a rule that each pair's changes cannot predict from the others (leave-one-out) is not proposed
    noise = [(np.array([[0, 0], [0, 0]]), np.array([[5, 0], [0, 0]])), (np.array([[0, 0, 0]]), np.array([[0, 0, 6]]))]
    assert T["cell-rule"].fit(noise) == []


def test_pattern_complete_fills_and_crops_a_periodic_patch():
    g = [[1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4], [1, 2, 0, 0, 1, 2], [3, 4, 0, 0, 3, 4]]
    assert run("pattern-complete", g, mask=0, output="fill") == [[1, 2] * 3, [3, 4] * 3, [1, 2] * 3, [3, 4] * 3]
    assert run("pattern-complete", g, mask=0, output="crop") == [[1, 2], [3, 4]]
    assert {"mask": 0, "output": "crop"} in T["pattern-complete"].fit([(np.array(g), np.array([[1, 2], [3, 4]]))])


def test_grid_partition_cells():
    g = [[1, 0, 5, 1, 1, 5, 1, 0], [0, 1, 5, 1, 1, 5, 0, 1], [5, 5, 5, 5, 5, 5, 5, 5], [1, 0, 5, 0, 0, 5, 1, 0], [0, 1, 5, 0, 3, 5, 0, 1]]
    assert run("grid-partition", g, mode="most") == [[1, 1], [1, 1]]
    assert run("grid-partition", g, mode="least") == [[0, 0], [0, 3]]
    assert run("grid-partition", g, mode="unique") == g  # two odd cells: not applicable, grid unchanged


def test_fractal_tile_and_new_recolour_keys():
    g = [[1, 0], [0, 1]]
    assert run("tile", g, rows=0, cols=0, mode="self") == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    objs = np.array([[1, 1, 1, 0, 1], [1, 0, 1, 0, 0], [1, 1, 1, 0, 0]])
    out = np.array([[2, 2, 2, 0, 7], [2, 0, 2, 0, 0], [2, 2, 2, 0, 0]])
    params = T["recolor-objects"].fit([(objs, out)])
    assert {"key": "has_holes", "mapping": {"yes": 2, "no": 7}} in params  # the yes/no key generalises to hole counts never seen
