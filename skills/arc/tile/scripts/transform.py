"""Tile a grid rows x cols times, plainly or with mirrored copies."""
import numpy as np

PARAMS = [
    {"rows": r, "cols": c, "mode": m}
    for (r, c) in ((1, 2), (2, 1), (2, 2), (3, 3), (1, 3), (3, 1), (4, 4))
    for m in ("plain", "mirror")
] + [{"rows": 0, "cols": 0, "mode": m} for m in ("self", "self_inverse")]


def transform(grid, rows=2, cols=2, mode="plain", phase="00", color=None):
    """``phase`` (mirror mode): ``"ab"``, a=1 flips the even block rows upside down instead of the odd
    ones, b=1 the even block columns left-right. ``mode="self_color"``: a copy wherever the grid has
    ``color``; ``"self_top"``: wherever it has its most common colour."""
    g = np.asarray(grid)
    if mode in ("self", "self_inverse", "self_color", "self_top"):
        # fractal tiling: a copy of the grid wherever the grid has a coloured (or, inverse, an empty) cell
        if mode == "self":
            mask = g != 0
        elif mode == "self_inverse":
            mask = g == 0
        elif mode == "self_color":
            mask = g == color
        else:
            mask = g == np.bincount(g.ravel()).argmax()
        return np.kron(mask.astype(g.dtype), g)
    if mode == "rotate":
        # 2x2 quarter turns: the grid, then clockwise around the square (needs a square grid)
        if g.shape[0] != g.shape[1]:
            raise ValueError("rotate tiling needs a square grid")
        top = np.concatenate([g, np.rot90(g, -1)], axis=1)
        return np.concatenate([top, np.concatenate([np.rot90(g, 1), np.rot90(g, 2)], axis=1)], axis=0)
    if mode == "plain":
        return np.tile(g, (rows, cols))
    flip_row, flip_col = int(phase[0]), int(phase[1])
    bands = []
    for i in range(rows):
        row = []
        for j in range(cols):
            block = g
            if j % 2 != flip_col:
                block = block[:, ::-1]
            if i % 2 != flip_row:
                block = block[::-1, :]
            row.append(block)
        bands.append(np.concatenate(row, axis=1))
    return np.concatenate(bands, axis=0)


def fit(train_pairs):
    """Settings whose output reproduces every train pair: the block counts from the shapes, then each mode."""
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    ratios = set()
    for a, b in pairs:
        if b.shape[0] % a.shape[0] or b.shape[1] % a.shape[1]:
            return []
        ratios.add((b.shape[0] // a.shape[0], b.shape[1] // a.shape[1]))
    if len(ratios) != 1:
        return _fit_self(pairs)
    r, c = ratios.pop()
    if (r, c) == (1, 1):
        return []
    cands = [{"rows": r, "cols": c, "mode": "plain"}]
    cands += [{"rows": r, "cols": c, "mode": "mirror", "phase": p} for p in ("00", "01", "10", "11")]
    if (r, c) == (2, 2):
        cands.append({"rows": 2, "cols": 2, "mode": "rotate"})
    found = [p for p in cands if _ok(p, pairs)]
    return (found + _fit_self(pairs))[:2]


def _ok(p, pairs):
    try:
        return all(np.array_equal(transform(a, **p), b) for a, b in pairs)
    except ValueError:
        return False


def _fit_self(pairs):
    if any(b.shape != (a.shape[0] ** 2, a.shape[1] ** 2) for a, b in pairs):
        return []
    cands = [{"rows": 0, "cols": 0, "mode": m} for m in ("self", "self_inverse", "self_top")]
    common = set.intersection(*[set(np.unique(a).tolist()) for a, _ in pairs])
    cands += [{"rows": 0, "cols": 0, "mode": "self_color", "color": int(c)} for c in sorted(common)]
    return [p for p in cands if _ok(p, pairs)][:2]
