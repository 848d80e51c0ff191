"""Cells (or objects) of one colour take the colour of another cell: the nearest one, or the nearest in the
same row or column."""
import numpy as np

PARAMS = []
SOURCES = ("nearest", "row", "column", "line")


def _source_colour(g, cells, color, source):
    """Colour of the nearest non-background cell not of ``color`` reachable from ``cells`` by ``source``."""
    h, w = g.shape
    best = None
    for y, x in cells:
        if source in ("row", "line"):
            for xx in range(w):
                v = int(g[y, xx])
                if v not in (0, color):
                    d = abs(xx - x)
                    if best is None or d < best[0]:
                        best = (d, v)
        if source in ("column", "line"):
            for yy in range(h):
                v = int(g[yy, x])
                if v not in (0, color):
                    d = abs(yy - y)
                    if best is None or d < best[0]:
                        best = (d, v)
    return None if best is None else best[1]


def _nearest(g, color):
    """(distance to, colour of) the nearest source cell, per grid cell; None without a source."""
    from scipy import ndimage

    src = (g != 0) & (g != color)
    if not src.any():
        return None
    dist, (iy, ix) = ndimage.distance_transform_cdt(~src, metric="taxicab", return_indices=True)
    return dist, g[iy, ix]


def transform(grid, color=5, unit="cell", source="nearest", erase=False):
    g = np.asarray(grid)
    if color == "majority":
        vals, counts = np.unique(g[g != 0], return_counts=True)
        if len(vals) == 0:
            return g.copy()
        color = int(vals[np.argmax(counts)])
    out = _adopt(g, color, unit, source)
    if erase:
        out[(g != 0) & (g != color)] = 0  # the source cells go
    return out


def _adopt(g, color, unit, source):
    from scipy import ndimage

    out = g.copy()
    near = _nearest(g, color) if source == "nearest" else None
    if source == "nearest" and near is None:
        return out
    if unit == "cell" and near is not None:
        out[g == color] = near[1][g == color]
        return out
    if unit == "cell":
        groups = [[(int(y), int(x))] for y, x in zip(*np.nonzero(g == color))]
    else:
        lab, n = ndimage.label(g == color)  # 4-connected: blocks touching at a corner stay apart
        groups = [list(zip(*[v.tolist() for v in np.nonzero(lab == k)])) for k in range(1, n + 1)]
    for cells in groups:
        if near is not None:
            y, x = min(cells, key=lambda c: near[0][c])
            v = int(near[1][y, x])
        else:
            v = _source_colour(g, cells, color, source)
        if v is not None:
            for y, x in cells:
                out[y, x] = v
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    changed = set()
    for a, b in pairs:
        changed |= {int(v) for v in np.unique(a[a != b])}
    if 0 in changed or not changed:
        return []
    if len(changed) == 1:
        color, erase = changed.pop(), False
    else:
        # the recoloured colour keeps no cell of its own; every other changed cell is a source that is cleared
        keep = [c for c in changed if all(not ((a == c) & (b == c)).any() for a, b in pairs)
                and all(((b == 0) | (a != c2)).all() for c2 in changed - {c} for a, b in pairs)]
        if len(keep) != 1:
            color, erase = "majority", True  # a different colour in each example: each grid's commonest colour
    out = []
    for unit in ("object", "cell"):
        for source in SOURCES:
            p = {"color": color, "unit": unit, "source": source}
            if erase:
                p["erase"] = True
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
                if len(out) == 2:
                    return out
    return out
