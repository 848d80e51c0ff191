"""Rotate a grid clockwise by k quarter turns."""
import numpy as np

PARAMS = [{"k": 1}, {"k": 2}, {"k": 3}]


def transform(grid, k=1):
    g = np.asarray(grid)
    return np.rot90(g, -int(k)).copy()
