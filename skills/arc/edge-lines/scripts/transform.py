"""Join cells of one colour that face each other across the grid (on the left and right edge of a row, or the
top and bottom edge of a column) with a full line, keeping or clearing everything else."""
import numpy as np

PARAMS = []


def transform(grid, rest="keep", pure=False, bg=0):
    """``rest``: ``keep`` the other cells, or ``clear`` them (only the lines remain); ``pure``: only colours
    found nowhere but on the grid's border make lines."""
    g = np.asarray(grid)
    h, w = g.shape
    out = g.copy() if rest == "keep" else np.full_like(g, bg)
    inner = set(np.unique(g[1:-1, 1:-1]).tolist()) if pure else set()
    found = False
    for y in range(h):
        if g[y, 0] != bg and g[y, 0] == g[y, w - 1] and int(g[y, 0]) not in inner:
            out[y, :] = g[y, 0]
            found = True
    for x in range(w):
        if g[0, x] != bg and g[0, x] == g[h - 1, x] and int(g[0, x]) not in inner:
            out[:, x] = g[0, x]
            found = True
    if not found:
        raise ValueError("no facing edge cells")
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    out = []
    for rest, pure in (("keep", False), ("clear", False), ("keep", True), ("clear", True)):
        p = {"rest": rest, "pure": pure}
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
        except ValueError:
            continue
    return out
