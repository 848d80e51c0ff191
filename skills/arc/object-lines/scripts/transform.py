"""Draw full rows and/or columns through objects, over the background only: through each object's centre,
or along every row and column its box covers; in one learned colour or the object's own."""
import numpy as np

PARAMS = []
_CACHE = {}


def _boxes(g, bg, of):
    """(colour, y0, y1, x0, x1) of every object (memoised: fit tries many settings on the same grids)."""
    key = (g.shape, g.tobytes(), bg, of)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = _label(g, bg, of)
    return _CACHE[key]


def _label(g, bg, of):
    from scipy import ndimage

    out = []
    for c in np.unique(g):
        if c == bg or (of is not None and c != of):
            continue
        lab, n = ndimage.label(g == c, structure=np.ones((3, 3), dtype=int))
        for sl in ndimage.find_objects(lab):
            out.append((int(c), sl[0].start, sl[0].stop, sl[1].start, sl[1].stop))
    return out


def transform(grid, where="centre", axes="hv", color=None, of=None, bg=0):
    """``where``: ``centre`` (the middle row / column of the object's box; an even side has none) or ``span``
    (every row / column of the box); ``axes``: ``h`` rows, ``v`` columns, ``hv`` both."""
    g = np.asarray(grid)
    out = g.copy()
    empty = g == bg
    for c, y0, y1, x0, x1 in _boxes(g, bg, of):
        paint = c if color is None else int(color)
        if where == "centre":
            rows = [(y0 + y1 - 1) // 2] if (y1 - y0) % 2 else []
            cols = [(x0 + x1 - 1) // 2] if (x1 - x0) % 2 else []
        else:
            rows, cols = list(range(y0, y1)), list(range(x0, x1))
        if "h" in axes:
            for r in rows:
                out[r, empty[r]] = paint
        if "v" in axes:
            for k in cols:
                out[empty[:, k], k] = paint
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    majors = {int(np.bincount(a.ravel()).argmax()) for a, _ in pairs}
    out = []
    for bg in sorted({0} | (majors if len(majors) == 1 else set())):
        if any(((a != b) & (a != bg)).any() for a, b in pairs):
            continue  # lines only cover the background
        added = set()
        for a, b in pairs:
            added |= {int(v) for v in np.unique(b[a != b])}
        colors = [None] + ([next(iter(added))] if len(added) == 1 else [])
        common = set.intersection(*[{int(v) for v in np.unique(a)} for a, _ in pairs]) - {bg}
        for of in [None] + sorted(common):
            for where in ("centre", "span"):
                for axes in ("hv", "h", "v"):
                    for color in colors:
                        p = {"where": where, "axes": axes, "color": color, "of": of, "bg": bg}
                        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                            out.append(p)
                            if len(out) >= 2:
                                return out
    return out
