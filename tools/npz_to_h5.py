#!/usr/bin/env python3
"""Copies a CSDP golden trace (../shared/reference/csdp/tiny_reference_run.npz) into the HDF5
fixture tests/data/csdp/tiny_reference_run.h5, which the C++ tests read through the project's own
payload reader (float32, gzip-compressed). Arrays without a step keep their names; the per-step
arrays p<P>_t<TT>_<what> of a phase are stacked over steps into p<P>_<what> (steps x rows x cols),
since thousands of small HDF5 datasets would cost megabytes. To stay under ~1 MB the per-step weights
(p<P>_t<TT>_W_<S>) are kept only at the steps in WEIGHT_STEPS (stacked in that order).

Usage: tools/npz_to_h5.py <tiny_reference_run.npz> <out.h5>"""
import re
import sys

import h5py
import numpy as np

WEIGHT_STEPS = {1, 2, 3, 10, 20, 30}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: npz_to_h5.py <in.npz> <out.h5>")
    data = np.load(sys.argv[1])
    stacked = {}
    plain = {}
    for name in data.files:
        m = re.match(r"(p\d)_t(\d+)_(.*)$", name)
        if not m:
            plain[name] = data[name]
            continue
        step = int(m.group(2))
        what = m.group(3)
        if what.startswith("W_") and step not in WEIGHT_STEPS:
            continue
        stacked.setdefault(f"{m.group(1)}_{what}", []).append((step, data[name]))
    with h5py.File(sys.argv[2], "w") as out:
        def write(name, value):
            value = np.asarray(value, dtype=np.float32)
            options = {"compression": "gzip", "compression_opts": 9, "shuffle": True} if value.ndim else {}
            out.create_dataset(name, data=value, **options)
        for name, value in plain.items():
            write(name, value)
        for name, steps in stacked.items():
            write(name, np.stack([v for _, v in sorted(steps, key=lambda sv: sv[0])]))
    print(f"{len(plain)} arrays, {len(stacked)} stacked over steps")


if __name__ == "__main__":
    main()
