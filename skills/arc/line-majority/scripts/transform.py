"""Repaint every row (or column, or the whole grid) in its most common colour."""
import numpy as np

PARAMS = []  # fit-only (a first step of a composition would cost every search checks for little)
AXES = ("rows", "cols", "auto", "grid")


def _mode(v):
    counts = np.bincount(v.ravel(), minlength=10)
    return int(np.argmax(counts))


def transform(grid, axis="rows"):
    """``axis="rows"``: each row becomes its most common colour; ``"cols"``: each column; ``"grid"``: the
    whole grid becomes its most common colour (ties go to the smaller colour); ``"auto"``: rows or columns,
    whichever changes fewer cells."""
    g = np.asarray(grid)
    if axis == "auto":  # whichever of rows or columns changes fewer cells (stripes of either direction)
        a, b = transform(g, "rows"), transform(g, "cols")
        return a if (a != g).sum() <= (b != g).sum() else b
    out = np.empty_like(g)
    if axis == "grid":
        out[:] = _mode(g)
    elif axis == "rows":
        for r in range(g.shape[0]):
            out[r] = _mode(g[r])
    else:
        for c in range(g.shape[1]):
            out[:, c] = _mode(g[:, c])
    return out


def fit(train_pairs):
    """The axes whose majority repaint reproduces every train output."""
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    return [{"axis": ax} for ax in AXES if all(np.array_equal(transform(a, ax), b) for a, b in pairs)][:2]
