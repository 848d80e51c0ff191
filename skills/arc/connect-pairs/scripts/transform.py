"""Join pairs of same-coloured cells that face each other along a row, column or diagonal with a line."""
import numpy as np

PARAMS = []  # fit-only: as a first step of a composition it would cost every search checks for little
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
        if idx.size < 2:
            continue
        i, j = idx[:-1], idx[1:]
        ok = (j - i >= 2) & (line[i] == line[j])
        if src is not None:
            ok &= line[i] == src
        for a, b in zip(i[ok].tolist(), j[ok].tolist()):
            out[rows[a + 1:b], cols[a + 1:b]] = line[a] if color is None else color


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
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []  # segments only cover the background between their ends
    added = set()
    for a, b in pairs:
        added |= set(np.unique(b[a != b]).tolist())
    if not added:
        return []
    colors = [None] + ([added.pop()] if len(added) == 1 else [])
    srcs = [None] + sorted(set.intersection(*[{int(v) for v, n in zip(*np.unique(a, return_counts=True)) if n >= 2} for a, _ in pairs]) - {0})
    # every setting paints a subset of what all four axes paint between any same-coloured ends
    for a, b in pairs:
        reach = np.zeros(a.shape, dtype=bool)
        for ax in ("h", "v", "d", "a"):
            reach |= _layer(a, ax, None, None) != a
        if ((a != b) & ~reach).any():
            return []
    found = []
    for src in srcs:
        for color in colors:
            # each axis painted once per pair; the settings only differ in which layers go on top
            layers = [{ax: _layer(a, ax, color, src) for ax in ("h", "v", "d", "a")} for a, _ in pairs]
            for axes in ("h", "v", "hv", "vh", "d", "all"):
                if all(np.array_equal(_stack(a, lay, axes), b) for (a, b), lay in zip(pairs, layers)):
                    found.append({"axes": axes, "color": color, "src": src, "bg": 0})
                    if len(found) >= 2:
                        return found
        if found:
            return found
    return found


def _layer(a, axis, color, src):
    out = a.copy()
    _paint(a, out, axis, color, src, 0)
    return out


def _stack(a, layers, axes):
    out = a.copy()
    for ax in _AXES[axes]:
        m = layers[ax] != a
        out[m] = layers[ax][m]
    return out
