"""Complete a picture to a symmetric one about a centre (the grid's, the drawing's, or its largest object's),
painting the added cells in their mirrored colour or in one new colour learned from the examples."""
import numpy as np

PARAMS = []
GROUPS = {"lr": ("lr",), "ud": ("ud",), "both": ("lr", "ud", "r180"), "r180": ("r180",),
          "r90": ("r90", "r180", "r270"), "diag": ("t",), "all": ("lr", "ud", "r90", "r180", "r270", "t", "at")}


def _best(g, group, bg):
    """The centre most same-colour pairs of cells are symmetric about (a half-turn vote: every pair (p, q)
    votes for the doubled centre p + q), among the few best-voted ones the first whose images of the coloured
    cells never land on a cell of another colour."""
    h, w = g.shape
    ys, xs = np.nonzero(g != bg)
    if ys.size == 0 or ys.size > 400:
        raise ValueError("no centre search on this grid")
    cols = g[ys, xs]
    same = cols[:, None] == cols[None, :]
    vy = (ys[:, None] + ys[None, :])[same]
    vx = (xs[:, None] + xs[None, :])[same]
    keys, counts = np.unique(vy * (2 * w) + vx, return_counts=True)
    for k in keys[np.argsort(-counts, kind="stable")][:5]:
        cy, cx = int(k // (2 * w)), int(k % (2 * w))
        ok = True
        for op in GROUPS[group]:
            ny, nx = _image(ys, xs, op, cy, cx)
            if ((ny % 2) | (nx % 2)).any():
                ok = False
                break
            ny, nx = ny // 2, nx // 2
            inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
            hit = g[ny[inside], nx[inside]]
            if ((hit != bg) & (hit != cols[inside])).any():
                ok = False
                break
        if ok:
            return cy, cx
    raise ValueError("no centre of symmetry")


def _pivot(g, group, bg):
    """The centre of the one object (8-connected, one colour, 3+ cells) that is itself symmetric under the group
    while the picture is not: a marker the rest is mirrored about."""
    from scipy import ndimage

    h, w = g.shape
    found = []
    for c in np.unique(g):
        if c == bg:
            continue
        lab, n = ndimage.label(g == c, structure=np.ones((3, 3), dtype=int))
        for i in range(1, n + 1):
            ys, xs = np.nonzero(lab == i)
            if ys.size < 3:
                continue
            cy, cx = int(ys.min() + ys.max()), int(xs.min() + xs.max())
            cells = set(zip(ys.tolist(), xs.tolist()))
            ok = True
            for op in GROUPS[group]:
                ny, nx = _image(ys, xs, op, cy, cx)
                if ((ny % 2) | (nx % 2)).any() or not set(zip((ny // 2).tolist(), (nx // 2).tolist())) <= cells:
                    ok = False
                    break
            if ok:
                found.append((cy, cx))
    if len(found) != 1:
        raise ValueError("not exactly one symmetric marker object")
    return found[0]


def _centre(g, where, bg, group="lr"):
    """(cy, cx), doubled so that half-cells are integers."""
    h, w = g.shape
    if where == "grid":
        return h - 1, w - 1
    if where == "best":
        return _best(g, group, bg)
    if where == "pivot":
        return _pivot(g, group, bg)
    mask = g != bg
    if where == "largest":
        from scipy import ndimage

        lab, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=int))
        if n == 0:
            raise ValueError("empty grid")
        sizes = np.bincount(lab.ravel())[1:]
        mask = lab == 1 + int(np.argmax(sizes))
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ValueError("empty grid")
    return int(ys.min() + ys.max()), int(xs.min() + xs.max())


def _image(y, x, op, cy, cx):
    """Doubled-centre coordinates of the image of (y, x) under ``op``."""
    dy, dx = 2 * y - cy, 2 * x - cx
    ny, nx = {"lr": (dy, -dx), "ud": (-dy, dx), "r180": (-dy, -dx), "r90": (dx, -dy), "r270": (-dx, dy),
              "t": (dx, dy), "at": (-dx, -dy)}[op]
    return ny + cy, nx + cx


def transform(grid, group="lr", centre="grid", color=None, bg=0):
    g = np.asarray(grid)
    h, w = g.shape
    cy, cx = _centre(g, centre, bg, group)
    out = g.copy()
    ys, xs = np.nonzero(g != bg)
    for op in GROUPS[group]:
        ny, nx = _image(ys, xs, op, cy, cx)
        if ((ny % 2) | (nx % 2)).any():
            raise ValueError("the centre does not map cells onto cells")
        ny, nx = ny // 2, nx // 2
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        ty, tx, src = ny[inside], nx[inside], g[ys[inside], xs[inside]]
        free = out[ty, tx] == bg
        out[ty[free], tx[free]] = src[free] if color is None else color
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []  # only background cells are added
    added = set()
    for a, b in pairs:
        added |= {int(v) for v in np.unique(b[a != b])}
    colors = [None] + ([next(iter(added))] if len(added) == 1 else [])
    out = []
    for color in colors:
        for centre in ("grid", "drawing", "largest", "best", "pivot"):
            for group in GROUPS:
                p = {"group": group, "centre": centre, "color": color}
                try:
                    if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                        out.append(p)
                except ValueError:
                    continue
                if len(out) >= 2:
                    return out
    return out
