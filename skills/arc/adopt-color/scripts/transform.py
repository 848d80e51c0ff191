"""Cells (or objects) of one colour take the colour of another cell: the nearest one, or the nearest in the
same row or column."""
import numpy as np

PARAMS = []
SOURCES = ("nearest", "row", "column", "line")


def _along(g, color, axis):
    """(distance to, colour of) the nearest source cell in the same row (axis 1) or column (axis 0), per cell."""
    h, w = g.shape
    big = h + w + 1
    src = (g != 0) & (g != color)
    grid = g if axis == 1 else g.T
    mask = src if axis == 1 else src.T
    dist = np.full(grid.shape, big)
    col = np.zeros(grid.shape, dtype=g.dtype)
    pos = np.arange(grid.shape[1])
    for r in range(grid.shape[0]):
        xs = np.nonzero(mask[r])[0]
        if len(xs) == 0:
            continue
        d = np.abs(pos[:, None] - xs[None, :])
        k = d.argmin(axis=1)  # the first (leftmost / topmost) of equally near sources
        dist[r] = d[pos, k]
        col[r] = grid[r, xs[k]]
    return (dist, col) if axis == 1 else (dist.T, col.T)


def _source_map(g, color, source):
    """(distance, colour) of each cell's source along ``source`` (row, column or line), or None."""
    if source == "row":
        dist, col = _along(g, color, 1)
    elif source == "column":
        dist, col = _along(g, color, 0)
    else:
        dr, cr = _along(g, color, 1)
        dc, cc = _along(g, color, 0)
        use_col = dc < dr  # the row wins ties
        dist, col = np.where(use_col, dc, dr), np.where(use_col, cc, cr)
    big = g.shape[0] + g.shape[1] + 1
    return dist, col, big


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
    if source == "nearest":
        near = _nearest(g, color)
        if near is None:
            return out
        dist, col, big = near[0], near[1], None
    else:
        dist, col, big = _source_map(g, color, source)
    if unit == "cell":
        mask = g == color
        if big is not None:
            mask &= dist < big  # a cell with no source in its row/column keeps its colour
        out[mask] = col[mask]
        return out
    lab, n = ndimage.label(g == color)  # 4-connected: blocks touching at a corner stay apart
    for k in range(1, n + 1):
        ys, xs = np.nonzero(lab == k)
        i = int(np.argmin(dist[ys, xs]))  # the first cell (scan order) of those nearest a source
        if big is not None and dist[ys[i], xs[i]] >= big:
            continue
        out[ys, xs] = col[ys[i], xs[i]]
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
