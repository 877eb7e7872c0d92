"""Writes a small Fashion-MNIST-shaped IDX data set for tests.

    make_idx.py DIR [--count N] [--gzip]

Two classes that a linear model separates: class c images are bright in
row band c. Writes train-* and t10k-* images and labels, plain or gzipped,
with the standard IDX headers (magic 0x803 / 0x801, big-endian dims).
"""
import gzip
import os
import random
import struct
import sys


def main():
    out = sys.argv[1]
    count = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 256
    zipped = "--gzip" in sys.argv
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1)
    for split in ("train", "t10k"):
        images = bytearray(struct.pack(">IIII", 0x803, count, 28, 28))
        labels = bytearray(struct.pack(">II", 0x801, count))
        for _ in range(count):
            c = rng.randrange(10)
            labels.append(c)
            for row in range(28):
                for col in range(28):
                    bright = row // 3 == c
                    images.append(rng.randrange(150, 256) if bright else rng.randrange(0, 60))
        for name, data in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            path = os.path.join(out, f"{split}-{name}")
            if zipped:
                with gzip.open(path + ".gz", "wb") as f:
                    f.write(data)
            else:
                with open(path, "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
