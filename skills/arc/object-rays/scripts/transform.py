"""Shoot straight rays out of objects: from an object's outermost cell in directions learned per colour, from
the loose end of a one-cell tail, or out of the empty corner of an L-shaped notch."""
import numpy as np

PARAMS = []
DIRS = {"u": (-1, 0), "d": (1, 0), "l": (0, -1), "r": (0, 1), "ul": (-1, -1), "ur": (-1, 1), "dl": (1, -1), "dr": (1, 1)}


def _objects(g, bg):
    from scipy import ndimage

    out = []
    for c in np.unique(g):
        if c == bg:
            continue
        lab, n = ndimage.label(g == c, structure=np.ones((3, 3), dtype=int))
        for i in range(1, n + 1):
            ys, xs = np.nonzero(lab == i)
            out.append((int(c), list(zip(ys.tolist(), xs.tolist()))))
    return out


def _shoot(g, out, y, x, d, color, bg):
    """Paint background cells from the cell after (y, x) in direction ``d`` up to the edge or a coloured cell."""
    dy, dx = DIRS[d]
    h, w = g.shape
    y, x = y + dy, x + dx
    while 0 <= y < h and 0 <= x < w and g[y, x] == bg:
        out[y, x] = color
        y, x = y + dy, x + dx


def _starts(cells, mode, dirs):
    """(y, x, direction) rays of one object (the ray starts after (y, x))."""
    own = set(cells)
    if mode == "corner":
        for d in dirs:
            dy, dx = DIRS[d]
            score = [dy * y + dx * x for y, x in cells]
            top = max(score)
            ends = [c for c, s in zip(cells, score) if s == top]
            if len(ends) == 1:
                yield ends[0] + (d,)
        return
    if mode == "tail":
        for y, x in cells:
            nbs = [(y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy or dx) and (y + dy, x + dx) in own]
            if len(nbs) == 1 and len(own) > 2:
                ny, nx = nbs[0]
                for d, (dy, dx) in DIRS.items():
                    if (dy, dx) == (y - ny, x - nx):
                        yield (y, x, d)
        return
    # notch: an object of three cells filling three quarters of a 2 x 2 box shoots out of the empty quarter
    ys = [y for y, _ in cells]
    xs = [x for _, x in cells]
    if len(cells) == 3 and max(ys) - min(ys) == 1 and max(xs) - min(xs) == 1:
        y0, x0 = min(ys), min(xs)
        for y, x in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
            if (y, x) not in own:
                dy, dx = (-1 if y == y0 else 1), (-1 if x == x0 else 1)
                for d, v in DIRS.items():
                    if v == (dy, dx):
                        yield (y, x, d)


def transform(grid, mode="corner", rays=None, bg=0):
    """``rays``: ``{colour: [directions]}`` for ``corner`` (a colour not listed shoots nothing)."""
    g = np.asarray(grid)
    out = g.copy()
    for c, cells in _objects(g, bg):
        dirs = (rays or {}).get(str(c), []) if mode == "corner" else []
        for y, x, d in _starts(cells, mode, dirs):
            _shoot(g, out, y, x, d, c, bg)
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []  # rays only cross the background
    out = []
    for mode in ("tail", "notch"):
        p = {"mode": mode}
        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
            out.append(p)
    # corner: per colour, the directions whose rays are all drawn in every example
    rays = {}
    for a, b in pairs:
        for c, cells in _objects(a, 0):
            ok = []
            for d in DIRS:
                trial = a.copy()
                for y, x, dd in _starts(cells, "corner", [d]):
                    _shoot(a, trial, y, x, dd, c, 0)
                drawn = trial != a
                if drawn.any() and (b[drawn] == c).all():
                    ok.append(d)
            key = str(c)
            rays[key] = [d for d in rays[key] if d in ok] if key in rays else ok
    rays = {k: v for k, v in rays.items() if v}
    if rays:
        p = {"mode": "corner", "rays": rays}
        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
            out.append(p)
    return out
