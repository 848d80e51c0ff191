"""Make the picture symmetric: add its mirror images (or quarter turns) about a centre."""
import numpy as np

PARAMS = []  # fit-only (a first step of a composition would cost every search checks for little)
GROUPS = ("d4", "rot4", "both", "rot2", "lr", "ud")  # the most symmetric reading first


def _maps(group):
    """Point maps (y, x) -> image about the origin, as functions of centred coordinates."""
    lr, ud, r180 = (lambda y, x: (y, -x)), (lambda y, x: (-y, x)), (lambda y, x: (-y, -x))
    r90, r270 = (lambda y, x: (x, -y)), (lambda y, x: (-x, y))
    d1, d2 = (lambda y, x: (x, y)), (lambda y, x: (-x, -y))
    return {"lr": [lr], "ud": [ud], "both": [lr, ud, r180], "rot2": [r180], "rot4": [r90, r180, r270],
            "d4": [lr, ud, r180, r90, r270, d1, d2]}[group]


def transform(grid, group="both", center=None, bg=0):
    """Every coloured cell is copied to its images under ``group`` (``lr``, ``ud``, ``both``, ``rot2``,
    ``rot4``, ``d4``) about the centre of the coloured cells' bounding box (or of ``center``, a colour:
    its cells' bounding box; ``"grid"``: the grid's centre); copies land only on background cells inside the grid."""
    g = np.asarray(grid)
    if center == "grid":
        ref = np.ones(g.shape, dtype=bool)
    else:
        ref = (g != bg) if center is None else (g == center)
    ys, xs = np.nonzero(ref)
    if ys.size == 0:
        raise ValueError("nothing to mirror")
    cy2, cx2 = ys.min() + ys.max(), xs.min() + xs.max()  # twice the centre: keeps half-cells exact
    if group in ("rot4", "d4") and (cy2 + cx2) % 2:
        raise ValueError("a quarter turn needs a centre on the cell grid or its corners alike")
    out = g.copy()
    sy, sx = np.nonzero(g != bg)
    vals = g[sy, sx]
    h, w = g.shape
    for f in _maps(group):
        ty, tx = f(2 * sy - cy2, 2 * sx - cx2)
        ty, tx = (np.asarray(ty) + cy2), (np.asarray(tx) + cx2)
        if (ty % 2).any() or (tx % 2).any():
            raise ValueError("the images fall between cells")
        ty, tx = ty // 2, tx // 2
        inside = (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
        ty, tx, v = ty[inside], tx[inside], vals[inside]
        free = out[ty, tx] == bg
        out[ty[free], tx[free]] = v[free]
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []
    centres = [None, "grid"] + sorted(set.intersection(*[set(np.unique(a).tolist()) for a, _ in pairs]) - {0})
    found = []
    for center in centres:
        for group in GROUPS:
            p = {"group": group, "center": center, "bg": 0}
            try:
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    found.append(p)
                    if len(found) >= 2:
                        return found
            except ValueError:
                continue
    return found
