"""Lay out copies of the grid, each turned or flipped its own way, in a rows x cols arrangement."""
import numpy as np

PARAMS = []
OPS = ("id", "lr", "ud", "rot180", "rot90", "rot270", "transpose", "antitranspose")


def _op(g, name):
    return {"id": lambda: g, "lr": lambda: g[:, ::-1], "ud": lambda: g[::-1], "rot180": lambda: g[::-1, ::-1],
            "rot90": lambda: np.rot90(g, -1), "rot270": lambda: np.rot90(g, 1), "transpose": lambda: g.T,
            "antitranspose": lambda: g[::-1, ::-1].T}[name]()


def transform(grid, layout=None):
    """``layout``: rows of operation names (``id``, ``lr``, ``ud``, ``rot180``, ``rot90`` clockwise,
    ``rot270``, ``transpose``, ``antitranspose``); block (i, j) of the output is the grid under ``layout[i][j]``."""
    g = np.asarray(grid)
    layout = layout or [["id"]]
    blocks = [[_op(g, name) for name in row] for row in layout]
    if len({b.shape for row in blocks for b in row}) != 1:
        raise ValueError("the blocks differ in shape (quarter turns need a square grid)")
    return np.concatenate([np.concatenate(row, axis=1) for row in blocks], axis=0)


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    ratios = set()
    for a, b in pairs:
        if b.shape[0] % a.shape[0] or b.shape[1] % a.shape[1]:
            return []
        ratios.add((b.shape[0] // a.shape[0], b.shape[1] // a.shape[1]))
    if len(ratios) != 1:
        return []
    r, c = ratios.pop()
    if (r, c) == (1, 1) or r * c > 16:
        return []
    layout = []
    for i in range(r):
        row = []
        for j in range(c):
            fits = [name for name in OPS
                    if all(_fits(a, b, name, i, j) for a, b in pairs)]
            if not fits:
                return []
            row.append(fits[0])
        layout.append(row)
    p = {"layout": layout}
    try:
        return [p] if all(np.array_equal(transform(a, **p), b) for a, b in pairs) else []
    except ValueError:
        return []


def _fits(a, b, name, i, j):
    h, w = a.shape
    t = _op(a, name)
    return t.shape == (h, w) and np.array_equal(b[i * h:(i + 1) * h, j * w:(j + 1) * w], t)
