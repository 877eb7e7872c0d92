#!/usr/bin/python3
# ===- torch_bench.py - The PyTorch side of the benchmark suite -----------=== #
#
# The four benchmark models of bench/models/*.nn in torch.nn (eager mode),
# timed the way nnc-bench times the compiled ones: the same 1024 examples
# (the first Fashion-MNIST training images, or the same pseudo-random
# fallback, reproduced bit for bit with numpy), the same fixed batches, the
# same loss (softmax cross-entropy, mean over the batch) and optimizer (Adam,
# lr 0.001). A training step is zero_grad + forward + loss + backward +
# optimizer.step. Prints one JSON line per case in nnc-bench's format:
#
#   /usr/bin/python3 bench/torch_bench.py [--threads N] [--min-time S]
#       [--warmup S] [--data DIR] [model:kind:batch ...]
#
# model is mlp, cnn, lstm or rnn; kind is train (images/s), step (latency)
# or infer (forward under torch.inference_mode). Without case arguments,
# cases are read from standard input, one per line. Runs 1 thread unless
# --threads says otherwise; bench/bench.py also sets OMP_NUM_THREADS and
# OPENBLAS_NUM_THREADS in its environment (they must be set before torch is
# loaded, which happens in main()).
#
# ===----------------------------------------------------------------------=== #

import argparse
import gzip
import json
import math
import os
import sys
import time

EXAMPLES = 1024
EXAMPLE_SIZE = 28 * 28
CLASSES = 10
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def splitmix64(np, x):
    """nnc::splitmix64 over a uint64 array (numpy multiplication wraps)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def idx_bytes(np, path, rank, count):
    """The first `count` entries of a gzip or plain IDX file of bytes."""
    opener = gzip.open if os.path.exists(path + ".gz") else open
    name = path + ".gz" if opener is gzip.open else path
    with opener(name, "rb") as f:
        header = f.read(4 + 4 * rank)
        dims = [int.from_bytes(header[4 + 4 * i:8 + 4 * i], "big")
                for i in range(rank)]
        per_entry = math.prod(dims[1:])
        if header[2] != 0x08 or header[3] != rank or dims[0] < count:
            raise ValueError(f"{name}: unexpected IDX header")
        return np.frombuffer(f.read(count * per_entry), dtype=np.uint8)


def bench_data(np, directory):
    """(source, inputs [1024, 784] float32, labels [1024] int64)."""
    try:
        images = idx_bytes(np, os.path.join(directory,
                                            "train-images-idx3-ubyte"),
                           3, EXAMPLES)
        labels = idx_bytes(np, os.path.join(directory,
                                            "train-labels-idx1-ubyte"),
                           1, EXAMPLES)
        # v / 255 computed in float32, as nnc's runtime does.
        inputs = images.astype(np.float32) / np.float32(255)
        return ("fashion-mnist", inputs.reshape(EXAMPLES, EXAMPLE_SIZE),
                labels.astype(np.int64))
    except (OSError, ValueError):
        pass
    index = np.arange(EXAMPLES * EXAMPLE_SIZE, dtype=np.uint64)
    inputs = ((splitmix64(np, index) >> np.uint64(40)).astype(np.float32)
              / np.float32(16777216.0))
    label_index = np.uint64(1 << 40) + np.arange(EXAMPLES, dtype=np.uint64)
    labels = (splitmix64(np, label_index) % np.uint64(CLASSES)).astype(
        np.int64)
    return "random", inputs.reshape(EXAMPLES, EXAMPLE_SIZE), labels


def build_models(torch):
    nn = torch.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    class Wide(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 1024)
            self.fc2 = nn.Linear(1024, 1024)
            self.fc3 = nn.Linear(1024, 10)

        def forward(self, x):
            x = torch.relu(self.fc1(x))
            return self.fc3(torch.relu(self.fc2(x)))

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(16 * 7 * 7, 10)

        def forward(self, x):
            x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
            return self.fc(torch.flatten(x, 1))

    class Recurrent(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.cell = cell(28, 64, batch_first=True)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            _, state = self.cell(x)
            h = state[0] if isinstance(state, tuple) else state
            return self.fc(h[-1])

    return {
        "mlp": (MLP, (EXAMPLE_SIZE,)),
        "cnn": (CNN, (1, 28, 28)),
        "lstm": (lambda: Recurrent(nn.LSTM), (28, 28)),
        "rnn": (lambda: Recurrent(nn.RNN), (28, 28)),
        "wide": (Wide, (EXAMPLE_SIZE,)),
    }


class Bench:
    def __init__(self, torch, args, data):
        self.torch = torch
        self.args = args
        self.source, inputs, labels = data
        self.checksum = float(inputs.astype("float64").sum()
                              + labels.astype("float64").sum())
        self.inputs = torch.from_numpy(inputs.copy())
        self.labels = torch.from_numpy(labels.copy())
        self.factories = build_models(torch)
        self.states = {}

    def state(self, model):
        """(module, optimizer, input shape), kept across cases so repeated
        measurements continue one training run, as nnc-bench does."""
        if model not in self.states:
            torch = self.torch
            torch.manual_seed(42)
            factory, shape = self.factories[model]
            module = factory()
            optimizer = torch.optim.Adam(module.parameters(), lr=0.001)
            self.states[model] = (module, optimizer, shape)
        return self.states[model]

    def time_loop(self, iteration):
        i = 0
        start = time.perf_counter()
        n = 0
        while n < 2 or time.perf_counter() - start < self.args.warmup:
            iteration(i)
            i += 1
            n += 1
        iters = 0
        cpu_start = time.process_time()
        start = time.perf_counter()
        elapsed = 0.0
        while iters < 2 or elapsed < self.args.min_time:
            iteration(i)
            i += 1
            iters += 1
            elapsed = time.perf_counter() - start
        return iters, elapsed, time.process_time() - cpu_start

    def batch(self, i, batch, shape):
        batches = EXAMPLES // batch
        first = (i % batches) * batch
        x = self.inputs[first:first + batch].reshape((batch,) + shape)
        return x, self.labels[first:first + batch]

    def run(self, case):
        try:
            model, kind, batch = case.split(":")
            batch = int(batch)
        except ValueError:
            return self.error(case, "expected model:kind:batch")
        if model not in self.factories:
            return self.error(case, "unknown model")
        if not 1 <= batch <= EXAMPLES:
            return self.error(case, "batch out of range")
        module, optimizer, shape = self.state(model)
        torch = self.torch
        extra = {}
        if kind in ("train", "step"):
            module.train()
            loss_fn = torch.nn.CrossEntropyLoss()
            losses = [None, None]  # the first (warm-up included) and last

            def step(i):
                x, y = self.batch(i, batch, shape)
                optimizer.zero_grad()
                loss = loss_fn(module(x), y)
                loss.backward()
                optimizer.step()
                if losses[0] is None:
                    losses[0] = loss.detach()
                losses[1] = loss.detach()

            iters, elapsed, cpu = self.time_loop(step)
            first, last = float(losses[0]), float(losses[1])
            if not math.isfinite(last):
                return self.error(case, "non-finite loss")
            extra = {"loss_first": first, "loss_last": last}
        elif kind == "infer":
            module.eval()

            def forward(i):
                x, _ = self.batch(i, batch, shape)
                with torch.inference_mode():
                    module(x)

            iters, elapsed, cpu = self.time_loop(forward)
        else:
            return self.error(case, "unknown kind (train, step or infer)")
        per_iter = elapsed / iters
        record = {
            "side": "torch", "case": case, "model": model, "kind": kind,
            "batch": batch, "threads": torch.get_num_threads(),
            "iters": iters, "seconds": elapsed, "cpu_seconds": cpu,
            "us_per_iter": per_iter * 1e6, "images_per_s": batch / per_iter,
            "data": self.source, "data_checksum": self.checksum,
            "torch_version": torch.__version__,
        }
        record.update(extra)
        self.emit(record)

    def error(self, case, message):
        self.emit({"side": "torch", "case": case, "error": message})

    @staticmethod
    def emit(record):
        print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser(
        description="PyTorch side of the nnc benchmark suite")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=0.5)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()

    # OpenMP and OpenBLAS read these when torch is loaded.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    # Subnormals flushed to zero, as nnc's entry points compute
    # (runtime/nnc_model.h), so that neither side pays for them.
    torch.set_flush_denormal(True)

    bench = Bench(torch, args, bench_data(np, args.data))
    if args.cases:
        for case in args.cases:
            bench.run(case)
    else:
        for line in sys.stdin:
            if line.strip():
                bench.run(line.strip())


if __name__ == "__main__":
    main()
