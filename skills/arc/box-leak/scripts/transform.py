"""Fill a box whose wall has one gap and let the fill leak out through the gap: a straight beam as wide as the
gap runs to the grid's edge, optionally with diagonal rays spreading from the gap's two ends."""
import numpy as np

PARAMS = []


def _box(g, bg):
    """(y0, y1, x0, x1) of the largest one-colour object's box, and its wall cells missing on the rim."""
    from scipy import ndimage

    best = None
    for c in np.unique(g):
        if c == bg:
            continue
        lab, n = ndimage.label(g == c, structure=np.ones((3, 3), dtype=int))
        for i, sl in enumerate(ndimage.find_objects(lab), start=1):
            size = int((lab[sl] == i).sum())
            if best is None or size > best[0]:
                best = (size, sl)
    if best is None:
        raise ValueError("no box")
    sy, sx = best[1]
    return sy.start, sy.stop - 1, sx.start, sx.stop - 1


def transform(grid, color=4, diagonals=False, bg=0):
    g = np.asarray(grid)
    h, w = g.shape
    y0, y1, x0, x1 = _box(g, bg)
    if y1 - y0 < 2 or x1 - x0 < 2:
        raise ValueError("box too small")
    sides = {"top": [(y0, x) for x in range(x0, x1 + 1)], "bottom": [(y1, x) for x in range(x0, x1 + 1)],
             "left": [(y, x0) for y in range(y0, y1 + 1)], "right": [(y, x1) for y in range(y0, y1 + 1)]}
    gaps = {s: [c for c in cells if g[c] == bg] for s, cells in sides.items()}
    open_sides = [s for s, cells in gaps.items() if cells]
    if len(open_sides) != 1:
        raise ValueError("not exactly one side open")
    side = open_sides[0]
    gap = gaps[side]
    out = g.copy()
    inner = out[y0 + 1:y1, x0 + 1:x1]
    inner[inner == bg] = color
    for c in gap:
        out[c] = color
    dy, dx = {"top": (-1, 0), "bottom": (1, 0), "left": (0, -1), "right": (0, 1)}[side]
    for y, x in gap:  # the beam, straight out to the edge
        y, x = y + dy, x + dx
        while 0 <= y < h and 0 <= x < w and g[y, x] == bg:
            out[y, x] = color
            y, x = y + dy, x + dx
    if diagonals:  # from beside each end of the gap, spreading away from the beam
        py, px = (0, 1) if dy else (1, 0)
        for (y, x), k in ((gap[0], -1), (gap[-1], 1)):
            ry, rx = dy + k * py, dx + k * px
            y, x = y + ry, x + rx
            while 0 <= y < h and 0 <= x < w and g[y, x] == bg:
                out[y, x] = color
                y, x = y + ry, x + rx
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []
    added = set()
    for a, b in pairs:
        added |= {int(v) for v in np.unique(b[a != b])}
    if len(added) != 1:
        return []
    color = added.pop()
    out = []
    for diagonals in (False, True):
        p = {"color": color, "diagonals": diagonals}
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
        except ValueError:
            continue
    return out
