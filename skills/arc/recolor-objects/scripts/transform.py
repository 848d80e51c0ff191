"""Recolour each object according to its size."""
import numpy as np

PARAMS = []


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


def _key(key, cells, comps, shape=None):
    if key == "shape":
        y0 = min(y for y, _ in cells)
        x0 = min(x for _, x in cells)
        return ";".join(f"{y - y0},{x - x0}" for y, x in sorted(cells))
    if key == "border":
        h, w = shape
        return "edge" if any(y in (0, h - 1) or x in (0, w - 1) for y, x in cells) else "inner"
    if key == "holes":
        ys = [y for y, _ in cells]
        xs = [x for _, x in cells]
        box = np.zeros((max(ys) - min(ys) + 3, max(xs) - min(xs) + 3), dtype=int)
        for y, x in cells:
            box[y - min(ys) + 1, x - min(xs) + 1] = 1
        outside = _components(box, 1, False, False)
        return str(len(outside) - 1)
    if key == "width":
        return str(max(x for _, x in cells) - min(x for _, x in cells) + 1)
    if key == "height":
        return str(max(y for y, _ in cells) - min(y for y, _ in cells) + 1)
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


def fit(train_pairs):
    out_params = []
    for key in ("extreme", "rank", "size", "shape", "border", "holes", "width", "height"):
        mapping, ok = {}, True
        for inp, out in train_pairs:
            a, b = np.asarray(inp), np.asarray(out)
            if a.shape != b.shape:
                return []
            comps = _components(a, 0, True, False)
            for cells in comps:
                cols = {int(b[y, x]) for y, x in cells}
                k = _key(key, cells, comps, a.shape)
                if len(cols) != 1 or mapping.get(k, next(iter(cols))) != next(iter(cols)):
                    ok = False
                    break
                mapping[k] = next(iter(cols))
            if not ok:
                break
        if ok and mapping:
            out_params.append({"key": key, "mapping": mapping})
    return out_params


def transform(grid, key="extreme", mapping=None):
    g = np.asarray(grid)
    out = g.copy()
    comps = _components(g, 0, True, False)
    for cells in comps:
        k = _key(key, cells, comps, g.shape)
        if mapping and k in mapping:
            for y, x in cells:
                out[y, x] = int(mapping[k])
    return out
