"""Cut out the bounding box of one object chosen by a rule."""
import numpy as np

PARAMS = [
    {"select": s, "by_color": b}
    for s in ("largest", "smallest", "most_colors", "rarest_color", "commonest_color", "unique_shape")
    for b in (True, False)
]


_CACHE = {}


def _components(g, bg=0, diagonal=True, by_color=True):
    """Connected groups of non-background cells as sorted lists of (row, col), in scan order."""
    key = (g.shape, g.tobytes(), bg, diagonal, by_color)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = _label(g, bg, diagonal, by_color)
    return [list(cs) for cs in _CACHE[key]]


def _label(g, bg, diagonal, by_color):
    try:
        from scipy import ndimage
    except ImportError:  # pragma: no cover - scipy ships with agentmem's dependencies
        ndimage = None
    if ndimage is not None:
        structure = np.ones((3, 3), dtype=int) if diagonal else None
        labels = np.zeros(g.shape, dtype=int)
        count = 0
        layers = [g == v for v in np.unique(g) if v != bg] if by_color else [g != bg]
        for mask in layers:
            lab, n = ndimage.label(mask, structure=structure)
            labels[lab > 0] = lab[lab > 0] + count
            count += n
        comps = {}
        for y, x in zip(*np.nonzero(labels)):
            comps.setdefault(labels[y, x], []).append((int(y), int(x)))
        return sorted(comps.values(), key=lambda cs: cs[0])
    h, w = g.shape
    seen = np.zeros((h, w), dtype=bool)
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if diagonal:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    comps = []
    for r in range(h):
        for c in range(w):
            if seen[r, c] or g[r, c] == bg:
                continue
            seen[r, c] = True
            stack, cells = [(r, c)], []
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny, nx] and g[ny, nx] != bg:
                        if by_color and g[ny, nx] != g[y, x]:
                            continue
                        seen[ny, nx] = True
                        stack.append((ny, nx))
            comps.append(sorted(cells))
    return comps


def _shape(cs):
    y0, x0 = min(y for y, _ in cs), min(x for _, x in cs)
    return tuple(sorted((y - y0, x - x0) for y, x in cs))


def _symmetric(cs):
    s = set(_shape(cs))
    h = max(y for y, _ in s)
    w = max(x for _, x in s)
    return all((y, w - x) in s for y, x in s) or all((h - y, x) in s for y, x in s)


def _bbox(cs):
    ys = [y for y, _ in cs]
    xs = [x for _, x in cs]
    return min(ys), min(xs), max(ys), max(xs)


def _holes(cs):
    y0, x0, y1, x1 = _bbox(cs)
    box = np.zeros((y1 - y0 + 3, x1 - x0 + 3), dtype=int)
    for y, x in cs:
        box[y - y0 + 1, x - x0 + 1] = 1
    return len(_components(box, 1, False, False)) - 1


def _frame(cs):
    y0, x0, y1, x1 = _bbox(cs)
    if y1 - y0 < 2 or x1 - x0 < 2:
        return False
    ring = {(y, x) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1) if y in (y0, y1) or x in (x0, x1)}
    return ring <= set(cs)


def _only(items):
    return items[0] if len(items) == 1 else None


def _argmax(comps, score):
    best = max(score(cs) for cs in comps)
    return _only([cs for cs in comps if score(cs) == best])


def _pick(g, comps, select, bg=0, color=None):
    if not comps:
        return None
    if select == "most_of":  # most cells of one colour
        return _argmax(comps, lambda cs: sum(int(g[y, x]) == color for y, x in cs))
    if select == "largest":
        return max(comps, key=len)
    if select == "smallest":
        return min(comps, key=len)
    if select == "most_colors":
        return max(comps, key=lambda cs: len({int(g[y, x]) for y, x in cs}))
    if select == "most_minor":  # most cells not of the object's own main colour
        def minor(cs):
            vals = [int(g[y, x]) for y, x in cs]
            return len(vals) - max(vals.count(v) for v in set(vals))
        return _argmax(comps, minor)
    if select == "largest_bbox":
        return _argmax(comps, lambda cs: (_bbox(cs)[2] - _bbox(cs)[0] + 1) * (_bbox(cs)[3] - _bbox(cs)[1] + 1))
    if select == "symmetric":
        return _only([cs for cs in comps if _symmetric(cs)])
    if select == "asymmetric":
        return _only([cs for cs in comps if not _symmetric(cs)])
    if select == "has_holes":
        return _only([cs for cs in comps if _holes(cs)])
    if select == "frame":
        return _only([cs for cs in comps if _frame(cs)])
    if select == "touches_rarest":  # the object next to the cells of the rarest colour (a marker)
        vals, counts = np.unique(g[g != bg], return_counts=True)
        if len(vals) < 2:
            return None
        marker = int(vals[np.argmin(counts)])
        h, w = g.shape
        def touches(cs):
            own = set(cs)
            return any(0 <= y + dy < h and 0 <= x + dx < w and (y + dy, x + dx) not in own and g[y + dy, x + dx] == marker
                       for y, x in cs for dy in (-1, 0, 1) for dx in (-1, 0, 1))
        return _only([cs for cs in comps if int(g[cs[0]]) != marker and touches(cs)])
    colours = [int(g[cs[0]]) for cs in comps]
    counts = {c: colours.count(c) for c in colours}
    if select == "rarest_color":
        rare = [cs for cs, col in zip(comps, colours) if counts[col] == min(counts.values())]
        return rare[0] if len(rare) == 1 else None
    if select == "commonest_color":
        return max(comps, key=lambda cs: (counts[int(g[cs[0]])], len(cs)))
    shapes = [_shape(cs) for cs in comps]
    if select == "unique_shape":
        unique = [cs for cs, s in zip(comps, shapes) if shapes.count(s) == 1]
        return unique[0] if len(unique) == 1 else None
    if select == "commonest_shape":
        best = max(shapes.count(s) for s in shapes)
        common = {s for s in shapes if shapes.count(s) == best}
        return comps[shapes.index(common.pop())] if len(common) == 1 and best > 1 else None
    return None


SELECTS = ("largest", "smallest", "most_colors", "rarest_color", "commonest_color", "unique_shape", "most_minor",
           "largest_bbox", "symmetric", "asymmetric", "has_holes", "frame", "touches_rarest", "commonest_shape")
MAX_SETTINGS = 3


def _majority(g):
    vals, counts = np.unique(g, return_counts=True)
    return int(vals[np.argmax(counts)])


def _objects(g, by_color, bg, groups, diagonal=True):
    if not groups:
        return _components(g, bg, diagonal, by_color)
    return [list(zip(*[v.tolist() for v in np.nonzero(g == c)])) for c in np.unique(g) if c != bg]


def _inside(a, b):
    """Whether ``b`` is a sub-grid of ``a``."""
    if b.shape[0] > a.shape[0] or b.shape[1] > a.shape[1]:
        return False
    windows = np.lib.stride_tricks.sliding_window_view(a, b.shape)
    return bool((windows == b).all(axis=(2, 3)).any())


def _could(a, b, objs, mode, bg):
    """Whether one of ``objs`` gives output ``b`` under ``mode`` (whatever rule picks it)."""
    if mode in ("keep", "erase"):
        target = (a != b) if mode == "erase" else (b != bg)
        cells = set(zip(*[v.tolist() for v in np.nonzero(target)]))
        return any(set(o) == cells for o in objs)
    for o in objs:
        y0, x0, y1, x1 = _bbox(o)
        if mode.startswith("inside"):
            y0, x0, y1, x1 = y0 + 1, x0 + 1, y1 - 1, x1 - 1
        if (y1 - y0 + 1, x1 - x0 + 1) == b.shape:
            if mode.endswith("_paint") or np.array_equal(a[y0:y1 + 1, x0:x1 + 1], b):
                return True
    return False


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    bgs = {0}
    maj = {_majority(a) for a, _ in pairs}
    if len(maj) == 1:
        bgs |= maj
    if all(a.shape == b.shape for a, b in pairs):
        # keep/erase only clear cells to a background colour
        if any(((a != b) & (b != 0) & (b != _majority(a))).any() for a, b in pairs):
            return []
        modes = ("keep", "erase")
    elif all(b.shape[0] <= a.shape[0] and b.shape[1] <= a.shape[1] and set(np.unique(b).tolist()) <= set(np.unique(a).tolist())
             for a, b in pairs):
        modes = ("crop", "inside") if all(_inside(a, b) for a, b in pairs) else ()
        if all(len(set(np.unique(b).tolist()) - {0}) == 1 for _, b in pairs):
            modes += ("crop_paint", "inside_paint")  # the cut-out painted in the chosen object's main colour
        if not modes:
            return []
    else:
        return []
    out = []
    out_colours = sorted({int(c) for _, b in pairs for c in np.unique(b)})
    for bg in sorted(bgs):
        for groups, by_color, diagonal in ((False, True, True), (False, False, True), (True, True, True), (False, False, False),
                                           (False, True, False)):
            # only the modes for which, in every pair, some object is the one the output needs (checked once,
            # before trying the selection rules)
            objs = [_objects(a, by_color, bg, groups, diagonal) for a, _ in pairs]
            usable = tuple(m for m in modes if all(_could(a, b, os, m, bg) for (a, b), os in zip(pairs, objs)))
            if not usable:
                continue
            for select in SELECTS + ("most_of",):
                for color in (out_colours if select == "most_of" else [None]):
                    for mode in usable:
                        p = {"select": select, "by_color": by_color}
                        if (bg, groups, mode, diagonal) != (0, False, "crop", True):
                            p.update({"bg": bg, "groups": groups, "mode": mode, "diagonal": diagonal})
                        if color is not None:
                            p["color"] = color
                        if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                            out.append(p)
                            if len(out) >= MAX_SETTINGS:
                                return out
    return out


def transform(grid, select="largest", by_color=True, bg=0, groups=False, mode="crop", diagonal=True, color=None):
    g = np.asarray(grid)
    chosen = _pick(g, _objects(g, by_color, bg, groups, diagonal), select, bg, color)
    if chosen is None:
        return g.copy()
    if mode in ("keep", "erase"):
        mask = np.zeros(g.shape, dtype=bool)
        for y, x in chosen:
            mask[y, x] = True
        return np.where(mask if mode == "erase" else ~mask, bg, g)
    y0, x0, y1, x1 = _bbox(chosen)
    if mode.startswith("inside"):
        if y1 - y0 < 2 or x1 - x0 < 2:
            return g.copy()
        out = g[y0 + 1:y1, x0 + 1:x1].copy()
    else:
        out = g[y0:y1 + 1, x0:x1 + 1].copy()
    if mode.endswith("_paint"):
        vals = [int(g[y, x]) for y, x in chosen]
        out[out != bg] = max(set(vals), key=lambda v: (vals.count(v), -v))
    return out
