"""Recolour each object according to a property learned from the train pairs."""
import numpy as np

PARAMS = []

_CACHE = {}
# keys tried by fit, most general first (a key with few values generalises to unseen objects)
KEYS = ("any", "extreme", "has_holes", "size_gt", "size_eq", "touches_n", "border", "box", "symmetric", "shape_count", "touches", "rank", "holes",
        "size", "width", "height", "shape")
MAX_SETTINGS = 6


def _components(g, bg=0, diagonal=True, by_color=True, of=None):
    """Connected groups of non-background cells (or of cells of colour ``of``) as sorted (row, col) lists, in scan order."""
    key = (g.shape, g.tobytes(), bg, diagonal, by_color, of)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = _label(g, bg, diagonal, by_color, of)
    return [list(cs) for cs in _CACHE[key]]


def _label(g, bg, diagonal, by_color, of=None):
    from scipy import ndimage

    structure = np.ones((3, 3), dtype=int) if diagonal else None
    labels = np.zeros(g.shape, dtype=int)
    count = 0
    if of is not None:
        layers = [g == of]
    else:
        layers = [g == v for v in np.unique(g) if v != bg] if by_color else [g != bg]
    for mask in layers:
        lab, n = ndimage.label(mask, structure=structure)
        labels[lab > 0] = lab[lab > 0] + count
        count += n
    comps = {}
    for y, x in zip(*np.nonzero(labels)):
        comps.setdefault(labels[y, x], []).append((int(y), int(x)))
    return sorted(comps.values(), key=lambda cs: cs[0])


def _norm(cells):
    y0 = min(y for y, _ in cells)
    x0 = min(x for _, x in cells)
    return tuple(sorted((y - y0, x - x0) for y, x in cells))


def _key(key, cells, comps, shape=None, g=None, bg=0, n=0):
    if key == "any":
        return "all"
    if key == "shape":
        return ";".join(f"{y},{x}" for y, x in _norm(cells))
    if key == "border":
        h, w = shape
        return "edge" if any(y in (0, h - 1) or x in (0, w - 1) for y, x in cells) else "inner"
    if key in ("holes", "has_holes"):
        ys = [y for y, _ in cells]
        xs = [x for _, x in cells]
        box = np.zeros((max(ys) - min(ys) + 3, max(xs) - min(xs) + 3), dtype=int)
        for y, x in cells:
            box[y - min(ys) + 1, x - min(xs) + 1] = 1
        holes = len(_components(box, 1, False, False)) - 1
        return str(holes) if key == "holes" else ("yes" if holes else "no")
    if key == "box":  # a filled rectangle (a square one apart) or not
        hh = max(y for y, _ in cells) - min(y for y, _ in cells) + 1
        ww = max(x for _, x in cells) - min(x for _, x in cells) + 1
        if len(cells) != hh * ww:
            return "no"
        return "square" if hh == ww else "rect"
    if key == "width":
        return str(max(x for _, x in cells) - min(x for _, x in cells) + 1)
    if key == "height":
        return str(max(y for y, _ in cells) - min(y for y, _ in cells) + 1)
    if key == "size_gt":
        return "big" if len(cells) > n else "small"
    if key == "size_eq":
        return "yes" if len(cells) == n else "no"
    if key == "symmetric":
        s = set(_norm(cells))
        h = max(y for y, _ in s)
        w = max(x for _, x in s)
        lr = all((y, w - x) in s for y, x in s)
        ud = all((h - y, x) in s for y, x in s)
        return "yes" if lr or ud else "no"
    if key == "shape_count":
        s = _norm(cells)
        return "unique" if sum(_norm(cs) == s for cs in comps) == 1 else "repeated"
    if key in ("touches", "touches_n"):
        own = {(y, x) for y, x in cells}
        h, w = shape
        cols = set()
        for y, x in cells:
            for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                ny, nx = y + dy, x + dx
                if 0 <= ny < h and 0 <= nx < w and (ny, nx) not in own and g[ny, nx] != bg:
                    cols.add(int(g[ny, nx]))
        if key == "touches_n":
            return "yes" if n in cols else "no"
        return ",".join(str(c) for c in sorted(cols)) or "none"
    sizes = sorted({len(cs) for cs in comps}, reverse=True)
    if key == "size":
        return str(len(cells))
    if key == "rank":
        return str(sizes.index(len(cells)))
    if len(cells) == sizes[0]:
        return "largest"
    if len(cells) == sizes[-1]:
        return "smallest"
    return "other"


def _majority(g):
    vals, counts = np.unique(g, return_counts=True)
    return int(vals[np.argmax(counts)])


def _configs(train_pairs):
    """Object definitions worth trying: (bg, diagonal, of); the default first. A background colour whose
    cells change in some example is no background (a cheap filter: fit also runs on every intermediate)."""
    moved = set()
    for a, b in train_pairs:
        a, b = np.asarray(a), np.asarray(b)
        moved |= {int(v) for v in np.unique(a[a != b])}
    confs = [] if 0 in moved else [(0, True, None), (0, False, None)]
    majors = [_majority(np.asarray(a)) for a, _ in train_pairs]
    bgs = set(majors)
    if len(bgs) == 1 and 0 not in bgs and not bgs & moved:
        b = bgs.pop()
        confs += [(b, True, None), (b, False, None)]
    elif len(bgs) > 1 and all(not (np.asarray(a)[np.asarray(a) != np.asarray(b)] == m).any()
                              for (a, b), m in zip(train_pairs, majors)):
        confs += [("majority", True, None), ("majority", False, None)]  # each grid's own majority colour
    changed = None
    for a, b in train_pairs:
        a, b = np.asarray(a), np.asarray(b)
        cs = {int(v) for v in np.unique(a[a != b])}
        changed = cs if changed is None else changed | cs
    if changed is not None and len(changed) == 1:
        c = changed.pop()
        confs += [(0, True, c), (0, False, c)]
    return confs


def _inner(cells):
    """The object's cells whose four neighbours all belong to it."""
    own = set(cells)
    return [(y, x) for y, x in cells if {(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)} <= own]


def _interior_change(train_pairs):
    """Whether every changed cell is a non-background cell whose four neighbours are non-background too."""
    for a, b in train_pairs:
        a, b = np.asarray(a), np.asarray(b)
        p = np.pad(a != 0, 1)
        inner = (a != 0) & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
        if ((a != b) & ~inner).any():
            return False
    return True


def _bg(g, bg):
    return _majority(g) if bg == "majority" else bg


def _size_values(train_pairs, bg, diagonal, of):
    sizes = set()
    for a, _ in train_pairs:
        for cs in _components(np.asarray(a), _bg(np.asarray(a), bg), diagonal, False, of):
            sizes.add(len(cs))
    return sorted(sizes)


def _try(train_pairs, key, bg, diagonal, of, n, part="all"):
    mapping = {}
    for inp, out in train_pairs:
        a, b = np.asarray(inp), np.asarray(out)
        ab = _bg(a, bg)
        comps = _components(a, ab, diagonal, False, of)
        for cells in comps:
            painted = _inner(cells) if part == "inner" else cells
            if not painted:
                continue
            cols = {int(b[y, x]) for y, x in painted}
            if len(cols) != 1:
                return None
            col = cols.pop()
            k = _key(key, cells, comps, a.shape, a, ab, n)
            if mapping.setdefault(k, col) != col:
                return None
    return mapping or None


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    out_params = []
    confs = [(bg, diagonal, of, "all") for bg, diagonal, of in _configs(pairs)]
    if _interior_change(pairs):
        confs.insert(0, (0, True, None, "inner"))  # only object interiors change: recolour those
    for bg, diagonal, of, part in confs:
        default = (bg, diagonal, of) == (0, True, None)
        for key in KEYS:
            if key in ("size_gt", "size_eq"):
                ns = _size_values(pairs, bg, diagonal, of)
            elif key == "touches_n":
                ns = sorted({int(c) for a, _ in pairs for c in np.unique(a)} - {bg, of})
            else:
                ns = [0]
            for n in ns:
                mapping = _try(pairs, key, bg, diagonal, of, n, part)
                if mapping is None or (key in ("size_gt", "size_eq", "touches_n") and len(mapping) < 2):
                    continue
                # the objects must explain every changed cell
                p = {"key": key, "mapping": mapping}
                if key in ("size_gt", "size_eq", "touches_n"):
                    p["n"] = n
                if not default:
                    p.update({"bg": bg, "diagonal": diagonal, "of": of})
                if part != "all":
                    p["part"] = part
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    out_params.append(p)
                    break
        if len(out_params) >= MAX_SETTINGS:
            break
    return out_params[:MAX_SETTINGS]


def transform(grid, key="extreme", mapping=None, n=0, bg=0, diagonal=True, of=None, part="all"):
    g = np.asarray(grid)
    out = g.copy()
    bg = _bg(g, bg)
    comps = _components(g, bg, diagonal, False, of)
    for cells in comps:
        k = _key(key, cells, comps, g.shape, g, bg, n)
        if mapping and k in mapping:
            for y, x in (_inner(cells) if part == "inner" else cells):
                out[y, x] = int(mapping[k])
    return out
