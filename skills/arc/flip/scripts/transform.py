"""Mirror a grid left-right (h) or top-bottom (v)."""
import numpy as np

PARAMS = [{"axis": "h"}, {"axis": "v"}]


def transform(grid, axis="h"):
    g = np.asarray(grid)
    return (g[:, ::-1] if axis == "h" else g[::-1, :]).copy()
