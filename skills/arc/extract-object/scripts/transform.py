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


def _pick(g, comps, select):
    if not comps:
        return None
    if select == "largest":
        return max(comps, key=len)
    if select == "smallest":
        return min(comps, key=len)
    if select == "most_colors":
        return max(comps, key=lambda cs: len({int(g[y, x]) for y, x in cs}))
    colours = [int(g[cs[0]]) for cs in comps]
    counts = {c: colours.count(c) for c in colours}
    if select == "rarest_color":
        rare = [cs for cs, col in zip(comps, colours) if counts[col] == min(counts.values())]
        return rare[0] if len(rare) == 1 else None
    if select == "commonest_color":
        return max(comps, key=lambda cs: (counts[int(g[cs[0]])], len(cs)))
    if select == "unique_shape":
        def shape(cs):
            y0, x0 = min(y for y, _ in cs), min(x for _, x in cs)
            return tuple(sorted((y - y0, x - x0) for y, x in cs))
        shapes = [shape(cs) for cs in comps]
        unique = [cs for cs, s in zip(comps, shapes) if shapes.count(s) == 1]
        return unique[0] if len(unique) == 1 else None
    return None


def transform(grid, select="largest", by_color=True):
    g = np.asarray(grid)
    chosen = _pick(g, _components(g, 0, True, by_color), select)
    if chosen is None:
        return g.copy()
    ys = [y for y, _ in chosen]
    xs = [x for _, x in chosen]
    return g[min(ys):max(ys) + 1, min(xs):max(xs) + 1].copy()
