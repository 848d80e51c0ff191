"""Join pairs of same-coloured cells that face each other along a row, column or diagonal with a line."""
import numpy as np

PARAMS = [{"axes": a} for a in ("hv", "h", "v")]
_AXES = {"h": ["h"], "v": ["v"], "hv": ["h", "v"], "vh": ["v", "h"], "d": ["d", "a"], "all": ["h", "v", "d", "a"]}


def _lines(h, w, axis):
    """Index arrays (rows, cols) of every line of ``axis``: rows, columns, diagonals, anti-diagonals."""
    if axis == "h":
        return [(np.full(w, r), np.arange(w)) for r in range(h)]
    if axis == "v":
        return [(np.arange(h), np.full(h, c)) for c in range(w)]
    out = []
    for k in range(-h + 1, w):
        rows = np.arange(max(0, -k), min(h, w - k))
        cols = rows + k
        out.append((rows, cols if axis == "d" else w - 1 - cols))
    return out


def _paint(g, out, axis, color, src, bg):
    for rows, cols in _lines(*g.shape, axis):
        line = g[rows, cols]
        idx = np.nonzero(line != bg)[0]
        for i, j in zip(idx[:-1], idx[1:]):
            a = line[i]
            if j - i < 2 or a != line[j] or (src is not None and a != src):
                continue
            out[rows[i + 1:j], cols[i + 1:j]] = a if color is None else color


def transform(grid, axes="hv", color=None, src=None, bg=0):
    """Between two cells of one colour (``src`` only, when given) with only background between them on a
    line of ``axes`` (``h``, ``v``, ``hv``/``vh``: both, the later drawn on top, ``d``: diagonals, ``all``),
    draw a line of ``color`` (None: the pair's own colour)."""
    g = np.asarray(grid)
    out = g.copy()
    for axis in _AXES[axes]:
        _paint(g, out, axis, color, src, bg)
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    added = set()
    for a, b in pairs:
        added |= set(np.unique(b[a != b]).tolist())
    if not added:
        return []
    colors = [None] + ([added.pop()] if len(added) == 1 else [])
    srcs = [None] + sorted(set.intersection(*[set(np.unique(a).tolist()) for a, _ in pairs]) - {0})
    found = []
    for src in srcs:
        for color in colors:
            for axes in ("h", "v", "hv", "vh", "d", "all"):
                p = {"axes": axes, "color": color, "src": src, "bg": 0}
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    found.append(p)
                    if len(found) >= 2:
                        return found
        if found:
            return found
    return found
