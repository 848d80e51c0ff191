"""Recolour cells by a small lookup learned from the train pairs: the cell's colour plus one or two features
of the cell or of the object it belongs to (position parity, neighbour colours, object size, the cell's
place inside its object), the features chosen as the smallest set that explains every pair and predicts
each pair from the others (leave-one-out)."""
import numpy as np

PARAMS = []
FEATURES = ("x2", "y2", "x3", "y3", "nb4", "nb8", "osize", "low", "right", "idx2", "border", "ncount", "ink4", "rowc", "colc", "enclosed", "xc", "yc", "diag")
MAX_SETTINGS = 2
_CACHE = {}


def _objects(g, bg):
    """Per cell: object id (8-connected same colour, background cells -1), with each object's cells."""
    from scipy import ndimage

    ids = np.full(g.shape, -1)
    n = 0
    for c in np.unique(g):
        if c == bg:
            continue
        lab, k = ndimage.label(g == c, structure=np.ones((3, 3), dtype=int))
        ids[lab > 0] = lab[lab > 0] - 1 + n
        n += k
    return ids, n


def features(g, bg=0):
    """Every feature of every cell, as integer arrays shaped like ``g``."""
    key = (g.shape, g.tobytes(), bg)
    if key in _CACHE:
        return _CACHE[key]
    h, w = g.shape
    y, x = np.mgrid[0:h, 0:w]
    f = {"color": g.astype(np.int64), "ink": (g != bg).astype(np.int64), "x2": x % 2, "y2": y % 2, "x3": x % 3, "y3": y % 3,
         "xc": 1 + np.sign(2 * x - (w - 1)), "yc": 1 + np.sign(2 * y - (h - 1)),  # before / on / after the middle line
         "diag": (y == x).astype(np.int64) + 2 * (y + x == w - 1)}  # on the main and/or the anti-diagonal
    p = np.pad(g, 1, constant_values=-1)
    n4 = [p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]]
    n8 = n4 + [p[:-2, :-2], p[:-2, 2:], p[2:, :-2], p[2:, 2:]]
    f["nb4"] = sum((1 << (nb + 1)) * ((nb != g) & (nb != bg) & (nb >= 0)) for nb in n4)
    f["nb8"] = sum((1 << (nb + 1)) * ((nb != g) & (nb != bg) & (nb >= 0)) for nb in n8)
    f["ncount"] = sum(((nb == g) & (g != bg)).astype(int) for nb in n8)
    f["ink4"] = sum(((nb != bg) & (nb >= 0)).astype(int) for nb in n4)
    bits = np.where(g != bg, 1 << (g.astype(np.int64) + 1), 0)
    f["rowc"] = np.broadcast_to(np.bitwise_or.reduce(bits, axis=1)[:, None], g.shape)
    f["colc"] = np.broadcast_to(np.bitwise_or.reduce(bits, axis=0)[None, :], g.shape)
    from scipy import ndimage

    lab, _ = ndimage.label(g == bg)
    edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    f["enclosed"] = ((lab > 0) & ~np.isin(lab, edge)).astype(np.int64)
    ids, n = _objects(g, bg)
    osize = low = right = idx2 = border = np.zeros(g.shape, dtype=np.int64)
    if n:
        from scipy import ndimage

        obj = ids >= 0
        oid = np.where(obj, ids, 0)
        boxes = ndimage.find_objects(ids + 1)  # one (row slice, column slice) per object id
        y0 = np.array([b[0].start for b in boxes])
        y1 = np.array([b[0].stop for b in boxes])
        x0 = np.array([b[1].start for b in boxes])
        x1 = np.array([b[1].stop for b in boxes])
        hh, ww = (y1 - y0)[oid], (x1 - x0)[oid]
        osize = np.where(obj, np.bincount(ids[obj], minlength=n)[oid], 0)
        low = np.where(obj, 1 + ((y - y0[oid]) >= hh - hh // 2), 0)  # 2: the lower half (a middle row counts as upper)
        right = np.where(obj, 1 + ((x - x0[oid]) >= ww - ww // 2), 0)
        edge = (y0 == 0) | (x0 == 0) | (y1 == h) | (x1 == w)
        border = np.where(obj, 1 + edge[oid], 0)
        flat = ids.ravel()
        order = np.argsort(flat, kind="stable")  # cells grouped by object, reading order inside each
        sf = flat[order]
        start = np.searchsorted(sf, sf)  # first position of each cell's object in that order
        rank = np.empty(flat.size, dtype=np.int64)
        rank[order] = np.arange(flat.size) - start
        idx2 = np.where(obj, 1 + rank.reshape(g.shape) % 2, 0)
    f.update({"osize": osize, "low": low, "right": right, "idx2": idx2, "border": border})
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = f
    return f


def _keys(g, feats, bg):
    f = features(g, bg)
    k = np.zeros(g.shape, dtype=np.int64)
    for name in feats:
        k = k * 4099 + f[name]
    return k


def _apply(g, feats, uk, vals, bg):
    if uk.size == 0:
        return g.copy()
    k = _keys(g, feats, bg).ravel()
    pos = np.searchsorted(uk, k)
    pos[pos >= uk.size] = 0
    hit = (uk[pos] == k) & (vals[pos] >= 0)
    out = g.ravel().copy()
    out[hit] = vals[pos[hit]]
    return out.reshape(g.shape)


def transform(grid, feats=(), table=None, bg=0):
    """``feats``: ``color`` or ``ink`` (coloured or not) then the features; ``table``: rows ``[*feature values,
    output colour]``; a cell whose key is not listed keeps its colour."""
    g = np.asarray(grid)
    rows = np.asarray(table or [], dtype=np.int64).reshape(-1, len(feats) + 1)
    k = np.zeros(rows.shape[0], dtype=np.int64)
    for i in range(len(feats)):
        k = k * 4099 + rows[:, i]
    order = np.argsort(k)
    return _apply(g, list(feats), k[order], rows[order, -1], bg)


def _rows(pairs, feats, bg):
    """The table as plain rows (only keys whose colour changes)."""
    rows = {}
    for a, b in pairs:
        f = features(a, bg)
        for y, x in zip(*np.nonzero(a != b)):
            rows[tuple(int(f[n][y, x]) for n in feats)] = int(b[y, x])
    return [list(k) + [v] for k, v in sorted(rows.items())]


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if len(pairs) < 2 or any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(a.size > 900 for a, _ in pairs):
        return []
    # every train cell at once: its features, its target (-1: keeps its colour) and which pair it is from
    feats = [features(a, 0) for a, _ in pairs]
    cols = {n: np.concatenate([f[n].ravel() for f in feats]).astype(np.int64) for n in ("color", "ink") + FEATURES}
    vs = np.concatenate([np.where(b == a, -1, b).ravel() for a, b in pairs]).astype(np.int64)
    ps = np.concatenate([np.full(a.size, i) for i, (a, _) in enumerate(pairs)])
    if _consistent(cols["color"], vs):
        return []  # a plain colour map (no feature needed) is color-map's job
    out = []
    fm = np.stack([cols[n] for n in FEATURES])  # features x cells
    for base in ("color", "ink"):
        if not _consistent(_combine(cols, (base,) + FEATURES), vs):
            continue  # not even every feature together explains the pairs: no subset will
        # singles; and for each, the cells it leaves in conflict (same key, different targets, adjacent once sorted):
        # a second feature can only help if it tells every such two cells apart
        clash = {}
        candidates = []
        for f in FEATURES:
            k = _combine(cols, (base, f))
            ci, cj = _conflicts(k, vs)
            clash[f] = (ci, cj)
            if ci.size == 0:
                candidates.append(((base, f), k))
        for i, f1 in enumerate(FEATURES):
            ci, cj = clash[f1]
            if ci.size == 0:
                continue  # already consistent alone: a pair adds nothing but a finer key
            apart = (fm[:, ci] != fm[:, cj]).all(axis=1)
            for j in range(i + 1, len(FEATURES)):
                if apart[j]:
                    names = (base, f1, FEATURES[j])
                    candidates.append((names, _combine(cols, names)))
        for names, k in candidates:
            if not _consistent(k, vs) or not _loo(k, vs, ps):
                continue
            p = {"feats": list(names), "table": _rows(pairs, names, 0)}
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
                if len(out) >= MAX_SETTINGS:
                    return out
    return out


def _conflicts(k, vs):
    """Index pairs of cells with the same key and different targets (neighbours in key-then-target order)."""
    order = np.lexsort((vs, k))
    ks, vv = k[order], vs[order]
    bad = np.nonzero((ks[1:] == ks[:-1]) & (vv[1:] != vv[:-1]))[0]
    return order[bad], order[bad + 1]


def _combine(cols, names):
    k = np.zeros_like(cols["color"])
    for n in names:
        k = k * 4099 + cols[n]
    return k


def _consistent(k, vs):
    """No key with two different targets."""
    order = np.lexsort((vs, k))
    ks, vv = k[order], vs[order]
    return not ((ks[1:] == ks[:-1]) & (vv[1:] != vv[:-1])).any()


def _loo(k, vs, ps):
    """Leave-one-out, exactly: with a consistent table, a held-out pair is reproduced by the table of the other
    pairs unless one of its cells changes colour under a key no other pair has (that cell would keep its colour)."""
    kp = np.unique(np.stack([k, ps], axis=1), axis=0)
    keys, npairs = np.unique(kp[:, 0], return_counts=True)
    private = keys[npairs == 1]
    return not (np.isin(k, private) & (vs != -1)).any()
