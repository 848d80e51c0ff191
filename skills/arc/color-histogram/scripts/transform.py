"""Turn colour counts into a picture: a bar as long as a colour's count, or the colours listed by frequency."""
import numpy as np

PARAMS = []


def _counts(g, bg):
    vals, counts = np.unique(g[g != bg], return_counts=True)
    return [(int(v), int(n)) for v, n in zip(vals, counts)]


def transform(grid, mode="bar", orient="row", skip=0, bg=0):
    """``mode="bar"``: the grid's one non-background colour repeated as many times as it occurs (a row or a
    column); ``"rank"``: the non-background colours from most to least common (tied counts: inapplicable),
    the first ``skip`` left out, one per cell along ``orient``; ``"order"``: the colours from left to right
    (``orient="row"``) or top to bottom by their mean position (``"auto"``: along the axis they spread
    over most); ``"bars"``: a bar per colour, most common
    first, as long as its count (columns hanging from the top when ``orient="col"``)."""
    g = np.asarray(grid)
    cs = _counts(g, bg)
    if mode == "bars":
        return _bars(cs, orient, g.dtype, bg)
    if mode == "order" and orient == "auto":  # along whichever axis the colours are spread out more
        spread = [np.ptp([np.nonzero(g == v)[ax].mean() for v, _ in cs]) if cs else 0 for ax in (0, 1)]
        orient = "row" if spread[1] > spread[0] else "col"
    if mode == "order":
        axis = 1 if orient == "row" else 0
        pos = {v: float(np.nonzero(g == v)[axis].mean()) for v, _ in cs}
        line = sorted(pos, key=lambda v: pos[v])
        if len(set(pos.values())) != len(pos):
            raise ValueError("colours share a position")
    elif mode == "bar":
        if len(cs) != 1:
            raise ValueError("a bar needs exactly one colour")
        line = [cs[0][0]] * cs[0][1]
    else:
        if len({n for _, n in cs}) != len(cs):
            raise ValueError("tied counts give no order")
        line = [v for v, _ in sorted(cs, key=lambda t: (-t[1], t[0]))][skip:]
    if not line or len(line) > 30:
        raise ValueError("nothing to draw")
    out = np.array([line], dtype=g.dtype)
    return out if orient == "row" else out.T


def _bars(cs, orient, dtype, bg):
    """One bar per colour, most common first, as long as its count (columns when ``orient="col"``)."""
    if not cs or len({n for _, n in cs}) != len(cs):
        raise ValueError("tied counts give no order")
    cs = sorted(cs, key=lambda t: -t[1])
    out = np.full((cs[0][1], len(cs)), bg, dtype=dtype)
    for j, (v, n) in enumerate(cs):
        out[:n, j] = v
    return out if orient == "col" else out.T


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    found = []
    bgs = {0, int(np.bincount(np.concatenate([a.ravel() for a, _ in pairs])).argmax())}
    for bg in sorted(bgs):
        modes = (("bars", (0,)),) if any(min(b.shape) != 1 for _, b in pairs) else (("bar", (0,)), ("rank", (0, 1)), ("order", (0,)))
        for mode, skips in modes:
            for skip in skips:
                for orient in ("row", "col", "auto") if mode == "order" else ("row", "col"):
                    p = {"mode": mode, "orient": orient, "skip": skip, "bg": bg}
                    try:
                        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                            found.append(p)
                    except ValueError:
                        pass
    return found[:2]
