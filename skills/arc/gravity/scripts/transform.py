"""Pack non-background cells against one side of the grid."""
import numpy as np

PARAMS = [{"direction": d} for d in ("down", "up", "left", "right")]


def _pack(line, to_end):
    cells = [v for v in line if v != 0]
    pad = [0] * (len(line) - len(cells))
    return pad + cells if to_end else cells + pad


def transform(grid, direction="down"):
    g = np.asarray(grid)
    out = np.zeros_like(g)
    if direction in ("down", "up"):
        for c in range(g.shape[1]):
            out[:, c] = _pack(list(g[:, c]), direction == "down")
    else:
        for r in range(g.shape[0]):
            out[r, :] = _pack(list(g[r, :]), direction == "right")
    return out
