"""Join the pixel of one colour to the pixel of another with an L-shaped path."""
import numpy as np

PARAMS = []


def _one(g, color):
    ys, xs = np.nonzero(g == color)
    if ys.size != 1:
        raise ValueError("needs exactly one pixel of each end colour")
    return int(ys[0]), int(xs[0])


def transform(grid, start=2, end=3, first="h", color=8):
    """From the ``start`` pixel go along its row (``first="h"``) or column (``"v"``) to the line of the
    ``end`` pixel, then turn towards it; the path's background cells take ``color``."""
    g = np.asarray(grid)
    (y0, x0), (y1, x1) = _one(g, start), _one(g, end)
    out = g.copy()
    cells = []
    if first == "h":
        cells += [(y0, x) for x in range(min(x0, x1), max(x0, x1) + 1)]
        cells += [(y, x1) for y in range(min(y0, y1), max(y0, y1) + 1)]
    else:
        cells += [(y, x0) for y in range(min(y0, y1), max(y0, y1) + 1)]
        cells += [(y1, x) for x in range(min(x0, x1), max(x0, x1) + 1)]
    for cell in cells:
        if g[cell] == 0:
            out[cell] = color
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    colours = set.intersection(*[{int(v) for v in np.unique(a) if v != 0 and (a == v).sum() == 1} for a, _ in pairs])
    added = set()
    for a, b in pairs:
        added |= set(np.unique(b[a != b]).tolist())
    if len(added) != 1 or len(colours) < 2:
        return []
    color = added.pop()
    found = []
    for s in sorted(colours):
        for e in sorted(colours - {s}):
            for first in ("h", "v"):
                p = {"start": s, "end": e, "first": first, "color": color}
                try:
                    if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                        found.append(p)
                except ValueError:
                    pass
    return found[:2]
