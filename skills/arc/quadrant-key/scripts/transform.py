"""Cut out the pattern of a board divided by separator lines and colour it by a small key found elsewhere on
the board: the pattern is split into as many equal parts as the key has cells, each part painted in its key
colour."""
import numpy as np

PARAMS = [{}]


def _spans(full, n):
    spans, start = [], None
    for i in range(n + 1):
        if i < n and not full[i]:
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    return spans


def _parts(g, bg):
    """Separator colour and the boxes between its full lines, largest first."""
    h, w = g.shape
    for sep in np.unique(g):
        if sep == bg:
            continue
        rows, cols = (g == sep).all(axis=1), (g == sep).all(axis=0)
        if (not rows.any() and not cols.any()) or rows.all() or cols.all():
            continue
        boxes = [(r0, r1, c0, c1) for r0, r1 in _spans(rows, h) for c0, c1 in _spans(cols, w)]
        if len(boxes) >= 2:
            return int(sep), sorted(boxes, key=lambda b: -(b[1] - b[0]) * (b[3] - b[2]))
    raise ValueError("no separator lines")


def _key(g, boxes, sep, bg):
    """The key: the coloured cells outside the largest box, laid out by their rows and columns."""
    r0, r1, c0, c1 = boxes[0]
    cells = []
    for b in boxes[1:]:
        for y in range(b[0], b[1]):
            for x in range(b[2], b[3]):
                if g[y, x] not in (bg, sep):
                    cells.append((y, x, int(g[y, x])))
    ys = sorted({y for y, _, _ in cells})
    xs = sorted({x for _, x, _ in cells})
    if not cells or len(ys) * len(xs) != len(cells) or len(cells) < 2:
        raise ValueError("the key is not a full grid of cells")
    key = np.zeros((len(ys), len(xs)), dtype=int)
    for y, x, c in cells:
        key[ys.index(y), xs.index(x)] = c
    return key


def transform(grid, bg=0):
    g = np.asarray(grid)
    sep, boxes = _parts(g, bg)
    key = _key(g, boxes, sep, bg)
    r0, r1, c0, c1 = boxes[0]
    pat = g[r0:r1, c0:c1]
    h, w = pat.shape
    kh, kw = key.shape
    if h % kh or w % kw:
        raise ValueError("the pattern does not split evenly by the key")
    y, x = np.mgrid[0:h, 0:w]
    colours = key[(y * kh) // h, (x * kw) // w]
    return np.where(pat != bg, colours, bg)


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    try:
        return [{}] if all(np.array_equal(transform(a), b) for a, b in pairs) else []
    except ValueError:
        return []
