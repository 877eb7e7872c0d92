"""Kills `nnc train --save` at random moments and checks the checkpoint.

    kill_during_save.py NNC MODEL DATA WORKDIR [ROUNDS]

Each round starts a long training run that saves a checkpoint after every
(short) epoch, sends it SIGKILL after a random delay, and then requires that
the checkpoint is either absent or loads: `nnc train --resume` must succeed
(it evaluates and prints the test accuracy). At most one stale temporary file
may remain. Prints one line per round and exits non-zero on a failure.

On a loaded machine compiling the model can take longer than the delays;
each round that ends before any checkpoint exists lengthens the following
delays, so that some rounds always kill during training.
"""
import glob
import os
import random
import signal
import subprocess
import sys
import time


def main():
    nnc, model, data, work = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 12
    rng = random.Random(7)
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "ckpt")
    seen_checkpoint = 0
    slack = 0.0
    for r in range(rounds):
        proc = subprocess.Popen(
            [nnc, "train", model, "--data", data, "--epochs", "100000",
             "--save", ckpt, "--progress=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.8, 2.5) + slack)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        temps = glob.glob(os.path.join(work, ".ckpt.tmp-*"))
        if len(temps) > 1:
            print(f"round {r}: FAIL: {len(temps)} temporary files left: {temps}")
            return 1
        if not os.path.exists(ckpt):
            print(f"round {r}: no checkpoint yet")
            slack = min(slack + 1.5, 20.0)
            continue
        seen_checkpoint += 1
        check = subprocess.run(
            [nnc, "train", model, "--data", data, "--epochs", "1", "--resume",
             ckpt, "--progress=off"], capture_output=True, text=True)
        if check.returncode != 0 or "test accuracy:" not in check.stdout:
            print(f"round {r}: FAIL: the checkpoint does not load: {check.stderr.strip()}")
            return 1
        print(f"round {r}: checkpoint loads")
    if seen_checkpoint == 0:
        print("FAIL: no round produced a checkpoint")
        return 1
    print(f"ok: {rounds} kills, {seen_checkpoint} checkpoints checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
