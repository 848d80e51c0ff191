"""Remove small specks or smooth with a 3 x 3 majority filter."""
import numpy as np

PARAMS = [{"method": "specks", "size": s} for s in (1, 2, 3)] + [{"method": "majority", "size": 0}, {"method": "open", "size": 2}]


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
    """Flood fill in plain Python (numpy and the standard library only: the script runs alone in the sandbox)."""
    g = g.tolist()
    h, w = len(g), len(g[0])
    seen = [[False] * w for _ in range(h)]
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if diagonal:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    comps = []
    for r in range(h):
        for c in range(w):
            if seen[r][c] or g[r][c] == bg:
                continue
            seen[r][c] = True
            stack, cells = [(r, c)], []
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny][nx] and g[ny][nx] != bg:
                        if by_color and g[ny][nx] != g[y][x]:
                            continue
                        seen[ny][nx] = True
                        stack.append((ny, nx))
            comps.append(sorted(cells))
    return comps


def transform(grid, method="specks", size=1):
    g = np.asarray(grid)
    out = g.copy()
    if method == "specks":
        for cells in _components(g, 0, True, True):
            if len(cells) <= size:
                for y, x in cells:
                    out[y, x] = 0
        return out
    if method == "open":
        return _open(g, size)
    counts = np.stack([_box_sum(g == v) for v in range(10)])
    return np.argmax(counts, axis=0).astype(g.dtype)


def _box_sum(mask):
    """Number of True cells in each cell's 3 x 3 neighbourhood (inside the grid)."""
    p = np.pad(mask.astype(int), 1)
    h, w = mask.shape
    return sum(p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))


def _open(g, k):
    """Keep only cells covered by some k x k block of one non-background colour; the rest become 0."""
    h, w = g.shape
    if h < k or w < k:
        return np.zeros_like(g)
    top = g[:h - k + 1, :w - k + 1]
    solid = top != 0
    for dy in range(k):
        for dx in range(k):
            solid &= g[dy:dy + h - k + 1, dx:dx + w - k + 1] == top
    keep = np.zeros(g.shape, dtype=bool)
    for dy in range(k):
        for dx in range(k):
            keep[dy:dy + h - k + 1, dx:dx + w - k + 1] |= solid
    return np.where(keep, g, 0).astype(g.dtype)
