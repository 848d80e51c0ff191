"""Work between two lone pixels that share a row or a column: grow each toward the other and mark the cell
halfway, or mark only the halfway cell (a dot or a plus)."""
import numpy as np

PARAMS = []


def _pairs(g, bg):
    """(a, b) cell pairs: the two coloured cells of a row or column that holds exactly two, with a middle cell."""
    out = []
    for axis in (0, 1):
        lines = g if axis == 0 else g.T
        for i, line in enumerate(lines):
            idx = np.nonzero(line != bg)[0]
            if idx.size == 2 and (idx[1] - idx[0]) % 2 == 0 and idx[1] - idx[0] >= 2:
                a, b = int(idx[0]), int(idx[1])
                out.append(((i, a), (i, b)) if axis == 0 else ((a, i), (b, i)))
    return out


def transform(grid, mode="meet", color=5, bg=0):
    """``mode``: ``meet`` (each end grows to the middle in its colour, the middle cell in ``color``), ``dot``
    (the middle cell only) or ``plus`` (a plus of ``color`` centred on the middle cell)."""
    g = np.asarray(grid)
    h, w = g.shape
    pairs = _pairs(g, bg)
    if not pairs:
        raise ValueError("no two pixels sharing a line")
    out = g.copy()
    for (y0, x0), (y1, x1) in pairs:
        my, mx = (y0 + y1) // 2, (x0 + x1) // 2
        if mode == "meet":
            if y0 == y1:
                out[y0, x0:mx] = g[y0, x0]
                out[y0, mx + 1:x1 + 1] = g[y1, x1]
            else:
                out[y0:my, x0] = g[y0, x0]
                out[my + 1:y1 + 1, x0] = g[y1, x1]
        cells = [(my, mx)] + ([(my - 1, mx), (my + 1, mx), (my, mx - 1), (my, mx + 1)] if mode == "plus" else [])
        for y, x in cells:
            if 0 <= y < h and 0 <= x < w and g[y, x] == bg:
                out[y, x] = color
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []
    new = set()
    for a, b in pairs:
        new |= {int(v) for v in np.unique(b[a != b])} - {int(v) for v in np.unique(a)}
    if len(new) != 1:
        return []
    color = new.pop()
    out = []
    for mode in ("meet", "dot", "plus"):
        p = {"mode": mode, "color": color}
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
        except ValueError:
            continue
    return out
