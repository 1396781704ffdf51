#!/usr/bin/python3
"""Writes its results with numpy/h5py directly (no helper): compressed .npz or HDF5 by extension."""
import json
import sys

import numpy as np

p = json.load(open(sys.argv[1]))
out = sys.argv[2]
k = int(p["k"])
grid = np.arange(12, dtype=np.float32).reshape(3, 4) * k
counts = np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3) - 2)
if out.endswith(".npz"):
    np.savez_compressed(out, grid=grid, counts=counts, flags=np.array([True, False]), score=np.float64(k) / 2)
else:
    import h5py
    with h5py.File(out, "w") as f:
        f.attrs["score"] = k / 2
        f.attrs["note"] = "strings are not metrics"
        f["grid"] = grid
        f.create_group("sub")["counts"] = counts
        f["scalar_ds"] = np.int32(7)
