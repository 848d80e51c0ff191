"""Fill inside each object: the background of its bounding box, or its enclosed holes (coloured by a
property of each hole learned from the examples), optionally erasing the object itself."""
import numpy as np

PARAMS = []


def _objects(g, groups=False):
    """8-connected objects, or (``groups``) all the cells of each colour as one object."""
    if groups:
        return [np.argwhere(g == c) for c in np.unique(g) if c != 0]
    from scipy import ndimage

    lab, n = ndimage.label(g != 0, structure=np.ones((3, 3), dtype=int))
    return [np.argwhere(lab == k + 1) for k in range(n)]


def _holes(g, cells):
    """Background regions inside the object's box that do not reach the box's outside (4-connected)."""
    from scipy import ndimage

    y0, x0 = cells.min(0)
    y1, x1 = cells.max(0)
    own = np.zeros((y1 - y0 + 3, x1 - x0 + 3), dtype=bool)
    own[cells[:, 0] - y0 + 1, cells[:, 1] - x0 + 1] = True
    lab, n = ndimage.label(~own)
    outside = lab[0, 0]
    holes = []
    for k in range(1, n + 1):
        if k == outside:
            continue
        hole = np.argwhere(lab == k) + [y0 - 1, x0 - 1]
        if all(g[y, x] == 0 for y, x in hole):
            holes.append(hole)
    return holes


def _key(hole, key):
    if key == "any":
        return "any"
    if key == "size":
        return str(len(hole))
    h = hole[:, 0].max() - hole[:, 0].min() + 1
    if key == "side_parity":
        return "even" if h % 2 == 0 else "odd"
    return str(h)  # "side"


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    src = {int(v) for a, b in pairs for v in np.unique(a[a != b])}
    dst = {int(v) for a, b in pairs for v in np.unique(b[a != b])}
    if len(src) == 1 and len(dst) == 1 and src != {0}:
        # cells of one colour repainted inside the box that the cells of another colour span
        t, v = src.pop(), dst.pop()
        common = set(range(1, 10))
        for a, _ in pairs:
            common &= {int(c) for c in np.unique(a)}
        for of in sorted(common - {t, v}):
            p = {"mode": "box_recolor", "of": of, "target": t, "color": v}
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                return [p]
    for a, b in pairs:  # only background cells are filled, and only object cells cleared
        ch = a != b
        if (ch & (a != 0) & (b != 0)).any():
            return []
    new = None
    for a, b in pairs:
        cs = {int(v) for v in np.unique(b[(a == 0) & (b != 0)])}
        new = cs if new is None else new | cs
    out = []
    bbox = [{"mode": "bbox", "color": next(iter(new))}] if new and len(new) == 1 else []
    bbox += [{"mode": "bbox", "color": "own", "groups": True}]
    for p in bbox:
        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
            out.append(p)
            break
    for erase in (False, True):
        for key in ("any", "side_parity", "side", "size"):
            mapping = {}
            ok = True
            for a, b in pairs:
                for cells in _objects(a):
                    for hole in _holes(a, cells):
                        cols = {int(b[y, x]) for y, x in hole}
                        k = _key(hole, key)
                        if len(cols) != 1 or mapping.setdefault(k, next(iter(cols))) != next(iter(cols)):
                            ok = False
                            break
                    if not ok:
                        break
                if not ok:
                    break
            if not ok or not mapping or all(v == 0 for v in mapping.values()):
                continue
            p = {"mode": "holes", "key": key, "mapping": mapping, "erase": erase}
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
                break
    return out[:2]


def transform(grid, mode="bbox", color=1, key="any", mapping=None, erase=False, groups=False, of=8, target=1):
    g = np.asarray(grid)
    out = g.copy()
    if mode == "box_recolor":
        ys, xs = np.nonzero(g == of)
        if len(ys):
            box = out[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            box[box == target] = color
        return out
    for cells in _objects(g, groups and mode == "bbox"):
        if mode == "bbox":
            y0, x0 = cells.min(0)
            y1, x1 = cells.max(0)
            box = out[y0:y1 + 1, x0:x1 + 1]
            box[g[y0:y1 + 1, x0:x1 + 1] == 0] = g[cells[0][0], cells[0][1]] if color == "own" else color
            continue
        for hole in _holes(g, cells):
            k = _key(hole, key)
            if mapping and k in mapping:
                out[hole[:, 0], hole[:, 1]] = int(mapping[k])
        if erase:
            out[cells[:, 0], cells[:, 1]] = 0
    return out
