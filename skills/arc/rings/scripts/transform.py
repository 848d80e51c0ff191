"""Treat the grid as concentric rings (cells at the same distance from the border) each of one colour, and
reorder the rings' colours: reversed (outermost takes the innermost's colour) or rotated by a learned step."""
import numpy as np

PARAMS = [{"order": "reverse"}]


def _depth(h, w):
    y, x = np.mgrid[0:h, 0:w]
    return np.minimum(np.minimum(y, x), np.minimum(h - 1 - y, w - 1 - x))


def transform(grid, order="reverse", step=1):
    """``order``: ``reverse`` or ``rotate`` (ring ``i`` takes the colour of ring ``i - step``)."""
    g = np.asarray(grid)
    d = _depth(*g.shape)
    n = int(d.max()) + 1
    colours = []
    for i in range(n):
        vals = np.unique(g[d == i])
        if vals.size != 1:
            raise ValueError("a ring of several colours")
        colours.append(int(vals[0]))
    new = colours[::-1] if order == "reverse" else [colours[(i - step) % n] for i in range(n)]
    return np.asarray(new, dtype=g.dtype)[d]


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    out = []
    for p in [{"order": "reverse"}] + [{"order": "rotate", "step": s} for s in (1, -1, 2, -2)]:
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
        except ValueError:
            return []
    return out[:2]
