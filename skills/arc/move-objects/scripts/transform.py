"""Move objects as rigid shapes: toward an anchor until they touch it (or one step), fall until blocked,
or shift each colour by a learned offset."""
import numpy as np

PARAMS = [{"mode": "fall", "direction": d} for d in ("down", "up", "left", "right")]

_DIRS = {"down": (1, 0), "up": (-1, 0), "left": (0, -1), "right": (0, 1)}


def _components(mask, diagonal=True):
    from scipy import ndimage

    lab, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=int) if diagonal else None)
    comps = [[] for _ in range(n)]
    for y, x in zip(*np.nonzero(lab)):
        comps[lab[y, x] - 1].append((int(y), int(x)))
    return comps


def _sign(v):
    return (v > 0) - (v < 0)


def _toward(cells, anchor):
    """Unit step from ``cells`` toward the ``anchor`` cells: straight when their ranges overlap, else diagonal."""
    ys = [y for y, _ in cells]
    xs = [x for _, x in cells]
    ay = [y for y, _ in anchor]
    ax = [x for _, x in anchor]
    dy = 0 if max(ys) >= min(ay) and min(ys) <= max(ay) else _sign(min(ay) - min(ys))
    dx = 0 if max(xs) >= min(ax) and min(xs) <= max(ax) else _sign(min(ax) - min(xs))
    return dy, dx


def _touching(cells, occupied_anchor, diagonal):
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1)) + (((-1, -1), (-1, 1), (1, -1), (1, 1)) if diagonal else ())
    return any((y + dy, x + dx) in occupied_anchor for y, x in cells for dy, dx in steps)


def _blocked(cells, d, h, w, occupied):
    own = set(cells)
    for y, x in cells:
        ny, nx = y + d[0], x + d[1]
        if not (0 <= ny < h and 0 <= nx < w) or ((ny, nx) in occupied and (ny, nx) not in own):
            return True
    return False


def _paint(out, g, cells, d, k):
    vals = [int(g[y, x]) for y, x in cells]
    for y, x in cells:
        out[y, x] = 0
    for (y, x), v in zip(cells, vals):
        out[y + d[0] * k, x + d[1] * k] = v


def _approach(g, anchors, mode):
    h, w = g.shape
    out = g.copy()
    amask = np.isin(g, anchors)
    objs = _components(amask)
    if not objs:
        return out
    acells = {c for o in objs for c in o}
    occupied = {(int(y), int(x)) for y, x in zip(*np.nonzero(g))}
    for cells in _components((g != 0) & ~amask):
        # the nearest anchor object, one in line with it (rows or columns overlapping) first
        near = min(objs, key=lambda o: (0 not in _toward(cells, o), min(max(abs(y - ay), abs(x - ax)) for y, x in cells for ay, ax in o)))
        d = _toward(cells, near)
        if d == (0, 0):
            continue
        diagonal = d[0] != 0 and d[1] != 0
        k = 0
        cur = list(cells)
        while not (mode == "contact" and _touching(cur, acells, diagonal)) and not (mode == "step" and k == 1):
            if _blocked(cur, d, h, w, occupied):
                break
            occupied -= set(cur)
            cur = [(y + d[0], x + d[1]) for y, x in cur]
            occupied |= set(cur)
            k += 1
        if k:
            _paint(out, g, cells, d, k)
    return out


def _home(g, erase_lone):
    """Every object moves straight to touch the largest object of its own colour (its home line); a lone
    single cell with no home is cleared when ``erase_lone``."""
    h, w = g.shape
    out = g.copy()
    moves = []
    for c in np.unique(g):
        if c == 0:
            continue
        objs = sorted(_components(g == c), key=len, reverse=True)
        home = objs[0]
        if len(home) == 1:
            if erase_lone:
                for cells in objs:
                    out[cells[0]] = 0
            continue
        moves += [(cells, home) for cells in objs[1:]]
    for cells, home in moves:  # movers pass over other movers and other colours' lines
        d = _toward(cells, home)
        if 0 not in d or d == (0, 0):
            continue  # not in line with its home (or within its span): stays
        homeset = set(home)
        k, cur = 0, list(cells)
        while not _touching(cur, homeset, False) and not _blocked(cur, d, h, w, homeset):
            cur = [(y + d[0], x + d[1]) for y, x in cur]
            k += 1
        if k:
            for y, x in cells:
                if out[y, x] == g[y, x]:
                    out[y, x] = 0
            for y, x in cells:
                out[y + d[0] * k, x + d[1] * k] = g[y, x]
    return out


def _fall(g, direction):
    h, w = g.shape
    d = _DIRS[direction]
    out = g.copy()
    objs = _components(g != 0)
    # the objects nearest the edge they fall toward move first
    objs.sort(key=lambda cs: -max(y * d[0] + x * d[1] for y, x in cs))
    occupied = {(int(y), int(x)) for y, x in zip(*np.nonzero(g))}
    for cells in objs:
        k = 0
        cur = list(cells)
        while not _blocked(cur, d, h, w, occupied):
            occupied -= set(cur)
            cur = [(y + d[0], x + d[1]) for y, x in cur]
            occupied |= set(cur)
            k += 1
        if k:
            vals = [int(out[y, x]) for y, x in cells]
            for y, x in cells:
                out[y, x] = 0
            for (y, x), v in zip(cells, vals):
                out[y + d[0] * k, x + d[1] * k] = v
    return out


def _rigid(g, moves):
    """Apply ``[(cells, dy, dx)]`` at once (all objects lifted first, then placed; off-grid cells dropped)."""
    h, w = g.shape
    out = g.copy()
    for cells, _, _ in moves:
        for y, x in cells:
            out[y, x] = 0
    for cells, dy, dx in moves:
        for y, x in cells:
            if 0 <= y + dy < h and 0 <= x + dx < w:
                out[y + dy, x + dx] = g[y, x]
    return out


def _align(g, anchors, axis):
    """Every non-anchor object slides (rows or columns) so its top (left) edge lines up with the anchor's."""
    amask = np.isin(g, anchors)
    if not amask.any():
        return g.copy()
    ys, xs = np.nonzero(amask)
    moves = []
    for cells in _components((g != 0) & ~amask):
        if axis == "row":
            moves.append((cells, int(ys.min()) - min(y for y, _ in cells), 0))
        else:
            moves.append((cells, 0, int(xs.min()) - min(x for _, x in cells)))
    return _rigid(g, moves)


def _lift(g, direction):
    """Every object moves in ``direction`` by its own height (or width, sideways)."""
    dy, dx = _DIRS[direction]
    moves = []
    for cells in _components(g != 0, diagonal=False):
        hgt = max(y for y, _ in cells) - min(y for y, _ in cells) + 1
        wid = max(x for _, x in cells) - min(x for _, x in cells) + 1
        moves.append((cells, dy * hgt, dx * wid))
    return _rigid(g, moves)


def _shift(g, offsets):
    h, w = g.shape
    out = np.where(np.isin(g, [int(c) for c in offsets]), 0, g)
    for c, (dy, dx) in offsets.items():
        ys, xs = np.nonzero(g == int(c))
        for y, x in zip(ys, xs):
            if 0 <= y + dy < h and 0 <= x + dx < w:
                out[y + dy, x + dx] = int(c)
    return out


def _learn_offsets(pairs):
    offsets = {}
    colours = set()
    for a, _ in pairs:
        colours |= {int(v) for v in np.unique(a) if v != 0}
    for c in sorted(colours):
        common = None
        for a, b in pairs:
            ya, xa = np.nonzero(a == c)
            yb, xb = np.nonzero(b == c)
            if len(ya) == 0:
                continue
            if len(ya) != len(yb):
                return None
            dy, dx = int(yb.min() - ya.min()), int(xb.min() - xa.min())
            common = (dy, dx) if common is None else common
            if common != (dy, dx):
                return None
        if common and common != (0, 0):
            offsets[str(c)] = list(common)
    return offsets or None


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    for a, b in pairs:  # cheap filter: moving keeps every colour's cell count (bar cells pushed off the grid)
        ca, cb = np.bincount(a.ravel(), minlength=10)[1:], np.bincount(b.ravel(), minlength=10)[1:]
        if (cb > ca).any():
            return []
    cands = []
    fixed = None
    for a, b in pairs:
        here = {int(c) for c in np.unique(a) if c != 0 and np.array_equal(a == c, b == c)}
        present = {int(c) for c in np.unique(a) if c != 0}
        fixed = here if fixed is None else (fixed & here) | (here - present) | (fixed - present)
    if fixed:
        cands += [{"mode": m, "anchors": sorted(fixed)} for m in ("contact", "step")]
        cands += [{"mode": "align", "anchors": sorted(fixed), "axis": a} for a in ("row", "column")]
    cands += [{"mode": "lift", "direction": d} for d in _DIRS]
    cands += [{"mode": "home", "erase_lone": e} for e in (False, True)]
    cands += [{"mode": "fall", "direction": d} for d in _DIRS]
    offsets = _learn_offsets(pairs)
    if offsets:
        cands.append({"mode": "shift", "offsets": offsets})
    return [p for p in cands if all(np.array_equal(transform(a, **p), b) for a, b in pairs)][:2]


def transform(grid, mode="fall", direction="down", anchors=None, offsets=None, axis="row", erase_lone=False):
    g = np.asarray(grid)
    if mode == "fall":
        return _fall(g, direction)
    if mode == "shift":
        return _shift(g, offsets or {})
    if mode == "align":
        return _align(g, list(anchors or []), axis)
    if mode == "lift":
        return _lift(g, direction)
    if mode == "home":
        return _home(g, erase_lone)
    return _approach(g, list(anchors or []), mode)
