"""Tile a grid rows x cols times, plainly or with mirrored copies."""
import numpy as np

PARAMS = [
    {"rows": r, "cols": c, "mode": m}
    for (r, c) in ((1, 2), (2, 1), (2, 2), (3, 3), (1, 3), (3, 1), (4, 4))
    for m in ("plain", "mirror")
] + [{"rows": 0, "cols": 0, "mode": m} for m in ("self", "self_inverse")] + [{"rows": 2, "cols": 2, "mode": "rotate"}]


def transform(grid, rows=2, cols=2, mode="plain"):
    g = np.asarray(grid)
    if mode in ("self", "self_inverse"):
        # fractal tiling: a copy of the grid wherever the grid has a coloured (or, inverse, an empty) cell
        mask = (g != 0) if mode == "self" else (g == 0)
        return np.kron(mask.astype(g.dtype), g)
    if mode == "rotate":
        # 2x2 quarter turns: the grid, then clockwise around the square (needs a square grid)
        if g.shape[0] != g.shape[1]:
            raise ValueError("rotate tiling needs a square grid")
        top = np.concatenate([g, np.rot90(g, -1)], axis=1)
        return np.concatenate([top, np.concatenate([np.rot90(g, 1), np.rot90(g, 2)], axis=1)], axis=0)
    if mode == "plain":
        return np.tile(g, (rows, cols))
    bands = []
    for i in range(rows):
        row = []
        for j in range(cols):
            block = g
            if j % 2 == 1:
                block = block[:, ::-1]
            if i % 2 == 1:
                block = block[::-1, :]
            row.append(block)
        bands.append(np.concatenate(row, axis=1))
    return np.concatenate(bands, axis=0)
