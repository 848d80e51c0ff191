"""Continue a diagonal path that bounces: from a lone pixel (in a learned direction) or from the free end of a
diagonal segment, step diagonally over the background, turning back sideways at the grid's side edges and at
coloured cells, until the path leaves the grid's top or bottom."""
import numpy as np

PARAMS = [{"start": [-1, 1]}, {"start": [-1, -1]}]  # first steps: bounce, then e.g. colour the background
DIAGS = ((-1, 1), (-1, -1), (1, 1), (1, -1))


def _starts(g, bg, start):
    """(y, x, dy, dx) paths: each lone pixel in ``start`` direction, or each diagonal segment's free end."""
    h, w = g.shape
    ys, xs = np.nonzero(g != bg)
    cells = set(zip(ys.tolist(), xs.tolist()))
    out = []
    for y, x in sorted(cells):
        nbs = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy or dx) and (y + dy, x + dx) in cells]
        if start != "segment" and not nbs:
            out.append((y, x) + tuple(start))
        elif start == "segment" and len(nbs) == 1 and nbs[0][0] and nbs[0][1]:
            dy, dx = -nbs[0][0], -nbs[0][1]  # away from the one diagonal neighbour
            ny, nx = y + dy, x + dx
            if 0 <= ny < h and 0 <= nx < w:  # the free end, not the end on the edge
                out.append((y, x, dy, dx))
    return out


def transform(grid, start=(-1, 1), color=None, edges="bounce", bg=0):
    """``start``: a direction ``[dy, dx]`` for lone pixels, or ``"segment"`` (continue diagonal segments);
    ``edges``: ``bounce`` (turn back sideways at the left and right edges) or ``stop``."""
    g = np.asarray(grid)
    h, w = g.shape
    out = g.copy()
    paths = _starts(g, bg, start if start == "segment" else tuple(start))
    if not paths:
        raise ValueError("nothing to continue")

    def free(y, x):
        return 0 <= y < h and 0 <= x < w and g[y, x] == bg

    for y, x, dy, dx in paths:
        paint = int(g[y, x]) if color is None else int(color)
        for _ in range(4 * (h + w)):
            ny, nx = y + dy, x + dx
            if not 0 <= ny < h:
                break  # out at the top or bottom
            if not 0 <= nx < w:
                if edges == "stop":
                    break
                dx = -dx  # off a side edge
            elif not free(ny, nx):  # a coloured cell: reflect off the wall it belongs to
                side, ahead = free(y, x + dx), free(y + dy, x)
                if not side and ahead:
                    dx = -dx
                elif side and not ahead:
                    dy = -dy
                else:
                    dy, dx = -dy, -dx
            ny, nx = y + dy, x + dx
            if not free(ny, nx):
                break
            y, x = ny, nx
            out[y, x] = paint
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []  # the path only crosses the background
    added = set()
    for a, b in pairs:
        added |= {int(v) for v in np.unique(b[a != b])}
    colors = [None] + ([next(iter(added))] if len(added) == 1 else [])
    out = []
    for start in ["segment"] + [list(d) for d in DIAGS]:
        for color, edges in [(c, e) for e in ("bounce", "stop") for c in colors]:
            p = {"start": start, "color": color, "edges": edges}
            try:
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    out.append(p)
                    break
            except ValueError:
                continue
    return out[:2]
