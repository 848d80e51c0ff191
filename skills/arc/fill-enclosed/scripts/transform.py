"""Fill background regions that are enclosed by other colours."""
import numpy as np

PARAMS = [{"color": c} for c in range(1, 10)]


def _enclosed(g):
    """Background cells not 4-connected to the border through background (numpy only: grow the outside
    region from the border one step at a time until it stops changing)."""
    free = g == 0
    outside = np.zeros_like(free)
    outside[0], outside[-1], outside[:, 0], outside[:, -1] = free[0], free[-1], free[:, 0], free[:, -1]
    while True:
        grown = outside.copy()
        grown[1:] |= outside[:-1]
        grown[:-1] |= outside[1:]
        grown[:, 1:] |= outside[:, :-1]
        grown[:, :-1] |= outside[:, 1:]
        grown &= free
        if np.array_equal(grown, outside):
            return free & ~outside
        outside = grown


def fit(train_pairs):
    colours = set()
    for inp, out in train_pairs:
        a, b = np.asarray(inp), np.asarray(out)
        if a.shape != b.shape:
            return []
        mask = _enclosed(a)
        if mask.any():
            vals = np.unique(b[mask])
            colours |= {int(v) for v in vals if v != 0}
    return [{"color": c} for c in sorted(colours)]


def transform(grid, color=1):
    g = np.asarray(grid)
    out = g.copy()
    out[_enclosed(g)] = color
    return out
