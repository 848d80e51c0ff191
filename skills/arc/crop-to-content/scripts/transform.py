"""Crop a grid to the bounding box of its non-background cells."""
import numpy as np

PARAMS = [{"bg": "zero"}, {"bg": "majority"}]


def _background(g, bg):
    if bg == "majority":
        vals, counts = np.unique(g, return_counts=True)
        return int(vals[np.argmax(counts)])
    return 0


def transform(grid, bg="zero"):
    g = np.asarray(grid)
    b = _background(g, bg)
    rows, cols = np.nonzero(g != b)
    if rows.size == 0:
        return g.copy()
    return g[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()
