"""Collapse consecutive identical rows and/or columns."""
import numpy as np

PARAMS = [{"which": w} for w in ("both", "rows", "cols")]


def _rows(g):
    keep = [0] + [i for i in range(1, g.shape[0]) if not np.array_equal(g[i], g[i - 1])]
    return g[keep]


def transform(grid, which="both"):
    g = np.asarray(grid)
    if which in ("rows", "both"):
        g = _rows(g)
    if which in ("cols", "both"):
        g = _rows(g.T).T
    return g.copy()
