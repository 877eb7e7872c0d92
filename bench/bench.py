#!/usr/bin/python3
# ===- bench.py - Runs the benchmark suite and reports it ------------------=== #
#
# The orchestrator behind bench/run (which builds the programs first). It
# runs, each as its own process:
#   - nnc-gemm-bench: nnc's nn.matmul vs oneDNN and OpenBLAS, once with the
#     environment as it is and once, for OpenBLAS only, with
#     OPENBLAS_CORETYPE=SkylakeX;
#   - nnc-bench (the models of bench/models/ compiled ahead of time) and
#     bench/torch_bench.py (the same models in PyTorch eager) as long-lived
#     workers fed one case at a time, alternating nnc and PyTorch for every
#     repetition so that both see the same machine conditions, plus
#     nnc-libtorch-mlp for the MLP inference baseline;
#   - the nnc compiler on every example, for compile time and peak memory.
# It prints one table (median, with min and max over the repetitions, and
# the targets with pass/fail marks), writes every raw sample and the
# summary as JSON and draws the ratios as a PNG. Everything runs on 1 thread
# unless --threads N asks for batch-256 training on N threads against 1:
# the MLP and the CNN, nnc and PyTorch, each in pairs of runs back to back
# (their ratio is taken per pair), threads pinned unless the environment
# places them, after probes of what the host gives N threads (the FMA
# loop of fma_peak.cpp and reads from the cache and from memory, each on 1
# thread, then on N at once; reads of data the other thread wrote).
#
#   /usr/bin/python3 bench/bench.py [--build DIR] [--quick]
#       [--only gemm,train,latency,compile] [--threads N] [--json PATH]
#
# ===----------------------------------------------------------------------=== #

import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["mlp", "cnn", "lstm", "rnn", "wide"]
MODEL_NAMES = {"mlp": "MLP 784-128-10", "cnn": "CNN 2 conv", "lstm": "LSTM 64",
               "rnn": "RNN 64 (tanh)", "wide": "MLP 784-1024-1024-10"}
SECTIONS = ["gemm", "train", "latency", "compile"]
GEMM_TARGET_SHAPES = ["sq512", "mlp_fwd1", "mlp_fwd2", "mlp_dw1", "mlp_dw2",
                      "mlp_dh"]
TORCH_PYTHON = "/usr/bin/python3"

# The targets.
TARGET_GEMM = 1.0          # nnc / oneDNN, GEMM 512^3 and the MLP shapes
TARGET_TRAIN = 2.0         # nnc / PyTorch images/s at batch 64
TARGET_TRAIN_MODELS = ["mlp", "cnn", "lstm", "rnn"]  # (the wide MLP: shown)
TARGET_STEP = 10.0         # PyTorch us / nnc us, batch-1 step (MLP, CNN, LSTM)
TARGET_STEP_MODELS = ["mlp", "cnn", "lstm"]
TARGET_INFER = 3.0         # libtorch us / nnc us, MLP forward at batch 1
INFER_BATCH = 64           # the batch of the batched inference table (not judged)
TARGET_THREADS = 1.7       # nnc 2 threads / 1 thread, batch 256 (MLP, CNN)
# "On a host that gives two cores": the target is judged over the
# repetitions whose FMA probe, run just before the pair, retired at least
# this many times its 1-thread rate on 2 threads. A shared host sometimes
# gives its 2 virtual CPUs one core's worth (the probe then reads about
# 1.0), and a thread count ratio measured then says nothing about nnc.
TWO_CORES_FMA = 1.8
# Not part of the judgement, but printed beside it: the repetitions in which
# a thread read what the other had just written (HANDOFF_PROBE) at least
# this fraction of the rate at which it read its own writes. On this class
# of host the two virtual CPUs sometimes share a last-level cache (about
# 65 against 140 GB/s) and sometimes do not (about 29 GB/s), and a step that
# hands data between its threads, as the MLP's does, follows that.
SHARED_CACHE_HANDOFF = 1 / 3
TARGET_COMPILE_S = 2.0     # seconds per example


def log(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Statistics and formatting


def stats(values):
    """{median, min, max, n} of a list of numbers (None if empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def fmt(value, digits=3):
    """A number with `digits` significant digits, without exponent when
    reasonable."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 10 ** digits:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - int(f"{magnitude:e}".split("e")[1]))
    return f"{value:.{decimals}f}"


def fmt_stats(s, digits=3):
    if s is None:
        return "-"
    return f"{fmt(s['median'], digits)} ({fmt(s['min'], digits)}-" \
           f"{fmt(s['max'], digits)})"


def paired(by_rep, num, den):
    """Stats of num/den over the repetitions that have both: {rep: {key:
    value}}. nnc and its baseline run back to back in each repetition, so
    each ratio compares the two under the same machine conditions."""
    ratios = [v[num] / v[den] for v in by_rep.values()
              if v.get(num) is not None and v.get(den)]
    return stats(ratios)


def median_of(s):
    return s and s["median"]


def mark(value, target):
    if value is None:
        return "n/a"
    return "PASS" if value >= target else "FAIL"


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Processes


# OpenMP's placement of the threads of multi-thread runs, unless the
# environment chooses one: each thread on a core of its own, for the whole
# run. Unbound, a thread may move to the other core and find its share of
# the batch in the other core's cache. The places are one CPU of each core,
# from Linux's topology (core_places), rather than OMP_PLACES=cores: on the
# virtual machines this suite runs on, libomp takes both virtual CPUs for
# one core and binds the two threads to {0,1}, that is, not at all.
def core_places():
    """OMP_PLACES naming the first CPU of each core this process may run
    on ("{0},{2},..."), or "cores" where the topology cannot be read."""
    firsts = set()
    allowed = os.sched_getaffinity(0)
    try:
        for cpu in sorted(allowed):
            path = (f"/sys/devices/system/cpu/cpu{cpu}/topology/"
                    "thread_siblings_list")
            with open(path) as f:
                siblings = f.read().strip()
            first = int(siblings.replace("-", ",").split(",")[0])
            firsts.add(first if first in allowed else cpu)
    except (OSError, ValueError):
        return "cores"
    return ",".join(f"{{{cpu}}}" for cpu in sorted(firsts)) or "cores"


PIN_THREADS = {"OMP_PROC_BIND": "close", "OMP_PLACES": core_places()}


# After its last parallel loop an OpenMP thread spins for a while before it
# sleeps (LLVM's libomp: KMP_BLOCKTIME, 200 ms by default), and a worker
# process keeps its threads between cases: the run after a multi-thread one
# waits that out, or it shares a core with them for its warm-up and the
# first part of its timed loop (nnc's MLP step at batch 256 on 2 threads,
# straight after another 2-thread run: about 14 % slower).
SETTLE_SECONDS = 0.25

# The host probes of --threads runs (nnc-bench cases, and the JSON field of
# their rate): arithmetic, reads from the last-level cache (4 MiB per
# thread: the size of the MLP step's data) and from memory (64 MiB).
FMA_PROBE, CACHE_PROBE, MEMORY_PROBE = \
    "host:fma", "host:read:4", "host:read:64"
HOST_PROBES = [(FMA_PROBE, "gflops"), (CACHE_PROBE, "gbs"),
               (MEMORY_PROBE, "gbs")]
# Two threads taking turns writing 256 KiB and reading what the other
# wrote (about what the MLP's first weight matrix hands over per step).
HANDOFF_PROBE = "host:handoff:256"
# The models trained on N threads against 1 at batch 256; the target (>= 1.7
# on 2 threads) is the MLP's and the CNN's.
THREAD_MODELS = ("mlp", "cnn", "lstm", "rnn")
THREAD_TARGET_MODELS = ("mlp", "cnn")
# Every thread training half the MLP's hidden units on the same batch, all
# at once (nnc-bench's runUnitsBound): how fast a step that splits the MLP
# by units between 2 threads could be on the host's current placement.
UNITS_BOUND = "host:units:256"


def pinned_cpus():
    """The CPUs of PIN_THREADS' places ({0},{1} -> [0, 1]), or none."""
    try:
        return [int(place.strip("{}"))
                for place in PIN_THREADS["OMP_PLACES"].split(",")]
    except ValueError:
        return []


def child_env(threads, extra=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["NNC_THREADS"] = str(threads)
    if threads > 1 and not any(var in os.environ for var in
                               ("OMP_PROC_BIND", "OMP_PLACES",
                                "KMP_AFFINITY", "GOMP_CPU_AFFINITY")):
        env.update(PIN_THREADS)
    env.update(extra or {})
    return env


class Worker:
    """A benchmark program that reads one case per line and answers with one
    JSON line."""

    def __init__(self, name, argv, env, cpu=None):
        self.name = name
        self.argv = argv
        # `cpu`: run on that CPU only.
        pin = (lambda: os.sched_setaffinity(0, {cpu})) \
            if cpu is not None else None
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=ROOT, preexec_fn=pin)

    def run(self, case):
        try:
            self.proc.stdin.write(case + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            code = self.proc.poll()
            return {"case": case, "error": f"{self.name} exited ({code})"}
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return {"case": case, "error": f"{self.name}: bad output {line!r}"}

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_json_lines(argv, env):
    """Runs a program to completion and parses its JSON output lines."""
    log("  $ " + " ".join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, text=True, env=env,
                          cwd=ROOT)
    records = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            records.append(json.loads(line))
    if proc.returncode != 0:
        records.append({"kind": "error",
                        "error": f"{argv[0]} exited with {proc.returncode}"})
    return records


# --------------------------------------------------------------------------
# Machine


def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = ""
    try:
        flags = open("/proc/cpuinfo").read()
        isa = "avx512f" if "avx512f" in flags else (
            "avx2" if "avx2" in flags else "other")
    except OSError:
        isa = "unknown"
    return {
        "cpu": cpu,
        "isa": isa,
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "git_rev": rev,
        "load_average_start": os.getloadavg(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
    }


# --------------------------------------------------------------------------
# Sections


def run_gemm(cfg, build):
    binary = os.path.join(build, "bin", "nnc-gemm-bench")
    if not os.path.exists(binary):
        log("gemm: nnc-gemm-bench was not built (oneDNN/OpenBLAS missing?)")
        return {"error": "nnc-gemm-bench not built"}
    common = ["--reps", str(cfg.gemm_reps), "--min-time", str(cfg.gemm_time)]
    log("gemm: nnc, oneDNN and OpenBLAS as the environment selects")
    main = run_json_lines([binary] + common, child_env(1))
    log("gemm: OpenBLAS with OPENBLAS_CORETYPE=SkylakeX")
    skx = run_json_lines([binary, "--libs", "openblas", "--no-peak"] + common,
                         child_env(1, {"OPENBLAS_CORETYPE": "SkylakeX"}))

    def info(records):
        return next((r for r in records if r.get("kind") == "info"), {})

    columns = {"nnc": ("nnc", main), "dnnl": ("dnnl", main),
               "openblas": ("openblas", main),
               "openblas_skx": ("openblas", skx)}
    shapes = {}
    errors = []
    for column, (lib, records) in columns.items():
        for r in records:
            if r.get("kind") == "verify" and not r.get("ok"):
                errors.append({"column": column, **r})
            if r.get("kind") == "gemm" and r["lib"] == lib:
                shape = shapes.setdefault(r["shape"], {
                    "label": r["label"], "m": r["m"], "n": r["n"],
                    "k": r["k"], "samples": {}, "by_rep": {}})
                shape["samples"].setdefault(column, []).append(r["gflops"])
                if column != "openblas_skx":  # (a separate process)
                    shape["by_rep"].setdefault(r["rep"], {})[column] = \
                        r["gflops"]
            if r.get("kind") == "error":
                errors.append({"column": column, **r})
    for shape in shapes.values():
        shape["gflops"] = {c: stats(v) for c, v in shape["samples"].items()}
    peaks = [r["gflops"] for r in main if r.get("kind") == "peak"]
    compile_ms = {r["shape"]: r["ms"] for r in main
                  if r.get("kind") == "compile"}
    return {
        "info": info(main), "info_skx": info(skx),
        "peak": stats(peaks), "peak_isa": next(
            (r["isa"] for r in main if r.get("kind") == "peak"), None),
        "shapes": shapes, "errors": errors, "nnc_compile_ms": compile_ms,
        "raw": main + [dict(r, env="OPENBLAS_CORETYPE=SkylakeX")
                       for r in skx],
    }


def worker_argv(side, build, threads, cfg):
    timing = ["--min-time", str(cfg.min_time), "--warmup", str(cfg.warmup),
              "--threads", str(threads)]
    if side == "nnc":
        return [os.path.join(build, "bin", "nnc-bench")] + timing
    if side == "torch":
        return [TORCH_PYTHON, os.path.join(ROOT, "bench", "torch_bench.py")] \
            + timing
    return [os.path.join(build, "bin", "nnc-libtorch-mlp")] + timing


def run_models(cfg, build, sections, threads):
    """Training (batch 64 and 256) and latency (batch-1 step, MLP
    inference) cases, nnc and its baselines alternating."""
    # (side, threads) -> list of cases
    plan = []
    if "train" in sections:
        for batch in (64, 256):
            for m in MODELS:
                plan.append((f"{m}:train:{batch}", ["nnc", "torch"], 1))
    # N threads against 1: each pair of runs back to back, so that both see
    # the same machine (a drift over the minutes between two separate runs
    # would otherwise show in the ratio), with a probe of the host first.
    paired_cases = [f"{m}:train:256" for m in THREAD_MODELS] \
        if "train" in sections and threads > 1 else []
    if "latency" in sections:
        for m in MODELS:
            plan.append((f"{m}:step:1", ["nnc", "torch"], 1))
        infer_sides = ["nnc", "libtorch", "torch"]
        if not os.path.exists(worker_argv("libtorch", build, 1, cfg)[0]):
            log("latency: nnc-libtorch-mlp was not built; the MLP inference "
                "baseline is PyTorch eager (torch.inference_mode)")
            infer_sides = ["nnc", "torch"]
        plan.append(("mlp:infer:1", infer_sides, 1))
        # Batched inference (not a target): the forward entry point, which
        # allocates its intermediates per call, against torch.inference_mode.
        for m in MODELS:
            plan.append((f"{m}:infer:{INFER_BATCH}", ["nnc", "torch"], 1))

    workers = {}

    def worker(side, n, cpu=None):
        key = (side, n, cpu)
        if key not in workers:
            name = f"{side}/{n}t" + (f"/cpu{cpu}" if cpu is not None else "")
            workers[key] = Worker(name, worker_argv(side, build, n, cfg),
                                  child_env(n), cpu=cpu)
        return workers[key]

    samples = []
    pairs = []
    handoffs = []
    units = []
    # The paired cases on 1 thread on each CPU that the threads run on: a
    # CPU slower than the other caps what an even split can gain.
    per_cpu = []
    cpus = pinned_cpus() if paired_cases else []

    def run(side, n, case, rep, cpu=None):
        record = worker(side, n, cpu).run(case)
        if n > 1:
            time.sleep(SETTLE_SECONDS)
        record.update({"rep": rep, "side": side, "threads_requested": n})
        if "error" in record:
            log(f"  {side} {case}: error: {record['error']}")
        return record

    try:
        for rep in range(cfg.reps):
            log(f"models: repetition {rep + 1} of {cfg.reps}")
            for case, sides, n in plan:
                for side in sides:
                    samples.append(run(side, n, case, rep))
            if not paired_cases:
                continue
            # The host: the FMA loop and reads of a buffer per thread the
            # size of a step's working set (last-level cache) and of one
            # well beyond it (memory), each on 1 thread, then on N at once;
            # then two threads reading what the other just wrote.
            for probe, unit in HOST_PROBES:
                host = [run("nnc", n, probe, rep) for n in (1, threads)]
                if all(unit in h for h in host):
                    pairs.append({"rep": rep, "case": probe, "side": "host",
                                  "one": host[0][unit],
                                  "many": host[1][unit]})
            handoff = run("nnc", threads, HANDOFF_PROBE, rep)
            if "gbs_other" in handoff:
                handoffs.append(handoff)
            if threads == 2:
                bound = run("nnc", threads, UNITS_BOUND, rep)
                if "us_per_iter" in bound:
                    units.append(bound)
            for case in paired_cases:
                for cpu in cpus:
                    record = run("nnc", 1, case, rep, cpu)
                    if "us_per_iter" in record:
                        per_cpu.append({"rep": rep, "case": case, "cpu": cpu,
                                        "us": record["us_per_iter"]})
            for case in paired_cases:
                for side in ("nnc", "torch"):
                    # Alternate which goes first.
                    order = (1, threads) if rep % 2 == 0 else (threads, 1)
                    got = {n: run(side, n, case, rep) for n in order}
                    if any("error" in r for r in got.values()):
                        samples.extend(r for r in got.values()
                                       if "error" in r)
                        continue
                    pairs.append({"rep": rep, "case": case, "side": side,
                                  "one": got[1]["images_per_s"],
                                  "many": got[threads]["images_per_s"],
                                  "one_us": got[1]["us_per_iter"],
                                  "many_us": got[threads]["us_per_iter"]})
    finally:
        for w in workers.values():
            w.close()

    results = {}
    for r in samples:
        if "error" in r:
            continue
        key = f"{r['side']}/{r['threads_requested']}t/{r['case']}"
        entry = results.setdefault(key, {"us": [], "images_per_s": [],
                                         "loss_first": [], "loss_last": []})
        entry["us"].append(r["us_per_iter"])
        entry["images_per_s"].append(r["images_per_s"])
        entry["loss_first"].append(r.get("loss_first"))
        entry["loss_last"].append(r.get("loss_last"))
    summary = {k: {"us": stats(v["us"]),
                   "images_per_s": stats(v["images_per_s"]),
                   "loss_last": stats(v["loss_last"])}
               for k, v in results.items()}
    checksums = {(r["side"], r.get("data"), round(r["data_checksum"], 2))
                 for r in samples if "data_checksum" in r}
    paired_summary = {}
    for p in pairs:
        entry = paired_summary.setdefault(f"{p['side']}/{p['case']}",
                                          {"one": [], "many": [],
                                           "ratio": []})
        entry["one"].append(p["one"])
        entry["many"].append(p["many"])
        entry["ratio"].append(p["many"] / p["one"] if p["one"] else None)
    paired_summary = {k: {name: stats(v) for name, v in e.items()}
                      for k, e in paired_summary.items()}
    handoff_summary = {
        name: stats([h[name] for h in handoffs])
        for name in ("gbs_other", "gbs_own", "gbs_update_shared",
                     "gbs_update_own")
        if all(name in h for h in handoffs)} if handoffs else None
    return {"samples": samples, "summary": summary,
            "pairs": pairs, "paired_summary": paired_summary,
            "per_cpu": per_cpu,
            "handoffs": handoffs, "handoff_summary": handoff_summary,
            "units": units,
            "errors": [r for r in samples if "error" in r],
            "data": sorted({d for _, d, _ in checksums}),
            "data_checksums": sorted({c for _, _, c in checksums}),
            "threads": threads}


def run_compile(cfg, build):
    nnc = os.path.join(build, "bin", "nnc")
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "*.nn"))) + \
        sorted(glob.glob(os.path.join(ROOT, "bench", "models", "*.nn")))
    results = {}
    with tempfile.TemporaryDirectory(prefix="nnc-bench-") as tmp:
        for rep in range(cfg.compile_reps):
            for path in files:
                name = os.path.relpath(path, ROOT)
                if rep == 0:
                    log(f"compile: {name}")
                out = os.path.join(tmp, "model.o")
                start = time.perf_counter()
                proc = subprocess.Popen([nnc, path, "-o", out],
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
                _, status, usage = os.wait4(proc.pid, 0)
                elapsed = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                entry = results.setdefault(name, {
                    "seconds": [], "cpu_seconds": [], "max_rss_mib": [],
                    "errors": []})
                if proc.returncode != 0:
                    entry["errors"].append(proc.stderr.read()[-2000:].decode(
                        errors="replace"))
                    continue
                entry["seconds"].append(elapsed)
                entry["cpu_seconds"].append(usage.ru_utime + usage.ru_stime)
                entry["max_rss_mib"].append(usage.ru_maxrss / 1024)
    for entry in results.values():
        entry["seconds_stats"] = stats(entry["seconds"])
        entry["cpu_stats"] = stats(entry["cpu_seconds"])
        entry["max_rss_stats"] = stats(entry["max_rss_mib"])
    return results


# --------------------------------------------------------------------------
# Report


class Report:
    def __init__(self, results):
        self.results = results
        self.targets = []   # {section, name, value, target, pass}
        self.lines = []

    def target(self, section, name, value, target):
        self.targets.append({"section": section, "name": name,
                             "value": value, "target": target,
                             "pass": None if value is None
                             else bool(value >= target)})
        return mark(value, target)

    def add(self, text=""):
        self.lines.append(text)

    def gemm(self, g):
        if "error" in g:
            self.add(f"GEMM: {g['error']}")
            return
        info, skx = g["info"], g["info_skx"]
        peak = g["peak"]
        self.add(f"### GEMM, f32, 1 thread (GFLOP/s, median (min-max) of "
                 f"{self.results['config']['gemm_reps']})")
        self.add()
        blas = (info.get("openblas_config") or "OpenBLAS ?").split()
        self.add(f"oneDNN {info.get('dnnl_version')}; OpenBLAS "
                 f"{blas[1] if len(blas) > 1 else '?'} with kernel {info.get('openblas_core')} (environment "
                 f"OPENBLAS_CORETYPE={info.get('openblas_coretype_env')}) "
                 f"and {skx.get('openblas_core')} (OPENBLAS_CORETYPE="
                 f"{skx.get('openblas_coretype_env')}); peak = best "
                 f"{g.get('peak_isa')} FMA loop, "
                 f"{fmt(peak['max'] if peak else None)} GFLOP/s.")
        self.add()
        core = info.get("openblas_core", "?")
        skx_core = skx.get("openblas_core", "?")
        rows = []
        order = ["sq64", "sq128", "sq256", "sq512", "sq1024", "mlp_fwd1",
                 "mlp_fwd2", "mlp_dw1", "mlp_dw2", "mlp_dh"]
        for key in order:
            if key not in g["shapes"]:
                continue
            shape = g["shapes"][key]
            col = shape["gflops"]
            nnc = col.get("nnc")
            by_rep = shape.get("by_rep", {})
            r_dnnl = paired(by_rep, "nnc", "dnnl")
            r_blas = paired(by_rep, "nnc", "openblas")
            frac = nnc["median"] / peak["max"] if nnc and peak else None
            status = ""
            if key in GEMM_TARGET_SHAPES:
                status = " " + self.target("gemm", f"GEMM {shape['label']} "
                                           "nnc/oneDNN", median_of(r_dnnl),
                                           TARGET_GEMM)
            rows.append([shape["label"], fmt_stats(nnc),
                         fmt_stats(col.get("dnnl")),
                         fmt_stats(col.get("openblas")),
                         fmt_stats(col.get("openblas_skx")),
                         fmt_stats(r_dnnl) + status, fmt(median_of(r_blas)),
                         f"{frac:.1%}" if frac is not None else "-"])
        self.add(markdown_table(
            ["shape (M x K * K x N)", "nnc", "oneDNN",
             f"OpenBLAS ({core})", f"OpenBLAS ({skx_core})",
             f"nnc/oneDNN (target >= {TARGET_GEMM})",
             f"nnc/OpenBLAS ({core})", "nnc % of peak"], rows))
        for e in g["errors"]:
            self.add(f"- ERROR {e.get('column')} {e.get('shape', '')}: "
                     f"{e.get('error', 'wrong result, max_rel_err ' + str(e.get('max_rel_err')))}")
        self.add()

    def models(self, m, sections):
        s = m["summary"]
        threads = m["threads"]
        reps = self.results["config"]["reps"]

        def get(side, case, n=1):
            return s.get(f"{side}/{n}t/{case}")

        def pair(case, num, den, field):
            """num/den of `field` per repetition (1 thread)."""
            by_rep = {}
            for r in m["samples"]:
                if r.get("case") == case and "error" not in r and \
                        r.get("threads_requested") == 1:
                    by_rep.setdefault(r["rep"], {})[r["side"]] = r[field]
            return paired(by_rep, num, den)

        if "train" in sections:
            self.add(f"### Training throughput, batch 64, 1 thread "
                     f"(images/s, median (min-max) of {reps})")
            self.add()
            rows = []
            for model in MODELS:
                a = get("nnc", f"{model}:train:64")
                b = get("torch", f"{model}:train:64")
                a, b = a and a["images_per_s"], b and b["images_per_s"]
                r = pair(f"{model}:train:64", "nnc", "torch", "images_per_s")
                status = "(not a target)"
                if model in TARGET_TRAIN_MODELS:
                    status = self.target(
                        "train", f"train {model} b64 nnc/PyTorch",
                        median_of(r), TARGET_TRAIN)
                rows.append([MODEL_NAMES[model], fmt_stats(a), fmt_stats(b),
                             f"{fmt_stats(r)} {status}"])
            self.add(markdown_table(["model", "nnc", "PyTorch",
                                     f"nnc/PyTorch (target >= "
                                     f"{TARGET_TRAIN})"], rows))
            self.add()
            self.add(f"### Training throughput, batch 256, 1 thread "
                     f"(images/s, median (min-max) of {reps})")
            self.add()
            rows = []
            for model in MODELS:
                a = get("nnc", f"{model}:train:256")
                b = get("torch", f"{model}:train:256")
                a, b = a and a["images_per_s"], b and b["images_per_s"]
                rows.append([MODEL_NAMES[model], fmt_stats(a), fmt_stats(b),
                             fmt_stats(pair(f"{model}:train:256", "nnc",
                                            "torch", "images_per_s"))])
            self.add(markdown_table(["model", "nnc", "PyTorch",
                                     "nnc/PyTorch"], rows))
            self.add()
            if threads > 1:
                self.threads(m, threads, reps)
        if "latency" in sections:
            self.add(f"### Training step latency, batch 1, 1 thread "
                     f"(microseconds, median (min-max) of {reps})")
            self.add()
            rows = []
            for model in MODELS:
                a = get("nnc", f"{model}:step:1")
                b = get("torch", f"{model}:step:1")
                a, b = a and a["us"], b and b["us"]
                r = pair(f"{model}:step:1", "torch", "nnc", "us_per_iter")
                status = ""
                if model in TARGET_STEP_MODELS:
                    status = " " + self.target(
                        "latency", f"step {model} b1 PyTorch/nnc",
                        median_of(r), TARGET_STEP)
                rows.append([MODEL_NAMES[model], fmt_stats(a), fmt_stats(b),
                             fmt_stats(r) + status])
            self.add(markdown_table(
                ["model", "nnc", "PyTorch", f"speed-up (target >= "
                 f"{TARGET_STEP} for MLP, CNN, LSTM)"], rows))
            self.add()
            self.add("### MLP inference, batch 1, 1 thread "
                     "(microseconds per image)")
            self.add()
            a = get("nnc", "mlp:infer:1")
            lib = get("libtorch", "mlp:infer:1")
            eager = get("torch", "mlp:infer:1")
            a, lib, eager = (a and a["us"], lib and lib["us"],
                             eager and eager["us"])
            rows = []
            if lib:
                r = pair("mlp:infer:1", "libtorch", "nnc", "us_per_iter")
                rows.append(["libtorch C++ (InferenceMode)", fmt_stats(a),
                             fmt_stats(lib), fmt_stats(r) + " " + self.target(
                                 "latency", "MLP infer b1 libtorch/nnc",
                                 median_of(r), TARGET_INFER)])
            if eager:
                r = pair("mlp:infer:1", "torch", "nnc", "us_per_iter")
                status = ""
                if not lib:
                    status = " " + self.target(
                        "latency", "MLP infer b1 PyTorch eager/nnc "
                        "(libtorch not built)", median_of(r), TARGET_INFER)
                rows.append(["PyTorch eager (inference_mode)", fmt_stats(a),
                             fmt_stats(eager), fmt_stats(r) + status])
            self.add(markdown_table(
                ["baseline", "nnc", "baseline", f"speed-up (target >= "
                 f"{TARGET_INFER} vs libtorch)"], rows))
            self.add()
            self.add(f"### Inference, batch {INFER_BATCH}, 1 thread "
                     f"(images/s, median (min-max) of {reps}; "
                     f"`nnc_<M>_forward` against torch.inference_mode)")
            self.add()
            rows = []
            for model in MODELS:
                case = f"{model}:infer:{INFER_BATCH}"
                a, b = get("nnc", case), get("torch", case)
                a, b = a and a["images_per_s"], b and b["images_per_s"]
                rows.append([MODEL_NAMES[model], fmt_stats(a), fmt_stats(b),
                             fmt_stats(pair(case, "nnc", "torch",
                                            "images_per_s")) +
                             " (not a target)"])
            self.add(markdown_table(["model", "nnc", "PyTorch",
                                     "nnc/PyTorch"], rows))
            self.add()
        for e in m["errors"]:
            self.add(f"- ERROR {e.get('side')} {e.get('case')}: "
                     f"{e.get('error')}")
        if m["errors"]:
            self.add()

    def threads(self, m, threads, reps):
        by_pair = m.get("paired_summary", {})
        self.add(f"### Training throughput, batch 256, {threads} threads "
                 f"against 1 (images/s; {reps} pairs of runs back to back, "
                 f"median (min-max))")
        self.add()
        # The repetitions in which the host gave two cores (TWO_CORES_FMA).
        pairs = m.get("pairs", [])
        two_cores = {p["rep"] for p in pairs
                     if p["case"] == FMA_PROBE and p["side"] == "host" and
                     p["one"] and p["many"] / p["one"] >= TWO_CORES_FMA}
        # Per repetition: how fast 2 threads could be with the work split
        # evenly and nothing else lost, from the 1-thread time on each CPU:
        # 2 x (1-thread time) / (the slower CPU's time).
        per_cpu = m.get("per_cpu", [])
        one_us = {(p["rep"], p["case"]): p["one_us"] for p in pairs
                  if p["side"] == "nnc" and "one_us" in p}

        def ceiling(case):
            values, slower = [], []
            for rep in sorted({r["rep"] for r in per_cpu}):
                times = [r["us"] for r in per_cpu
                         if r["rep"] == rep and r["case"] == case]
                if len(times) == threads and (rep, case) in one_us:
                    values.append(threads * one_us[(rep, case)] / max(times))
                    slower.append(max(times) / min(times))
            return stats(values), stats(slower)

        rows = []
        for model in THREAD_MODELS:
            case = f"{model}:train:256"
            a, b = by_pair.get(f"nnc/{case}"), by_pair.get(f"torch/{case}")
            judged = stats([p["many"] / p["one"] for p in pairs
                            if p["case"] == case and p["side"] == "nnc" and
                            p["rep"] in two_cores and p["one"]])
            limit, slower = ceiling(case)
            status = ""
            if model not in THREAD_TARGET_MODELS:
                status = " (not a target)"
            elif threads == 2:
                status = " " + self.target(
                    "threads", f"train {model} b256 nnc 2t/1t",
                    median_of(judged), TARGET_THREADS)
            rows.append([MODEL_NAMES[model],
                         fmt_stats(a and a["one"]),
                         fmt_stats(a and a["many"]),
                         fmt_stats(a and a["ratio"]),
                         fmt_stats(judged) + status +
                         f" ({judged['n'] if judged else 0} of "
                         f"{a['ratio']['n'] if a else 0})",
                         fmt_stats(limit),
                         fmt_stats(slower),
                         fmt_stats(b and b["one"]),
                         fmt_stats(b and b["many"]),
                         fmt_stats(b and b["ratio"])])
        self.add(markdown_table(
            ["model", "nnc 1t", f"nnc {threads}t", f"nnc {threads}t/1t",
             f"nnc {threads}t/1t where the host gave {threads} cores "
             f"(target >= {TARGET_THREADS} at 2t; pairs counted)",
             f"ceiling of an even split over the {threads} CPUs",
             "slowest CPU's 1t time / fastest's",
             "PyTorch 1t", f"PyTorch {threads}t",
             f"PyTorch {threads}t/1t"], rows))
        self.add()
        self.add(f"The target is judged over the repetitions whose FMA probe "
                 f"(below) retired at least {TWO_CORES_FMA} times its "
                 f"1-thread rate on {threads} threads: a host that gave "
                 f"{threads} cores. n/a: it gave fewer in every "
                 f"repetition. The ceiling: in each repetition nnc's "
                 f"1-thread step ran once on each CPU the threads are "
                 f"pinned to; split evenly, with nothing else lost, "
                 f"{threads} threads take as long as the slowest CPU's "
                 f"share, so they reach at most {threads} x (1-thread "
                 f"time) / (that CPU's 1-thread time).")
        fma = by_pair.get(f"host/{FMA_PROBE}")
        cache = by_pair.get(f"host/{CACHE_PROBE}")
        memory = by_pair.get(f"host/{MEMORY_PROBE}")
        handoff = m.get("handoff_summary")
        if fma:
            self.add()
            text = (f"The host in the same repetitions, {threads} threads at "
                    f"once against 1: the FMA loop of bench/fma_peak.cpp "
                    f"retired {fmt_stats(fma['ratio'])} times its 1-thread "
                    f"rate ({fmt_stats(fma['one'])} GFLOP/s on 1 thread)")
            if cache and memory:
                text += (f"; reading a buffer each, the threads together "
                         f"got {fmt_stats(cache['ratio'])} times 1 thread's "
                         f"bandwidth from 4 MiB ({fmt_stats(cache['one'])} "
                         f"GB/s on 1 thread) and {fmt_stats(memory['ratio'])} "
                         f"times from 64 MiB ({fmt_stats(memory['one'])} GB/s)")
            text += "."
            if handoff:
                text += (f" A thread read 256 KiB the other had just written "
                         f"at {fmt_stats(handoff['gbs_other'])} GB/s, and "
                         f"what it had written itself at "
                         f"{fmt_stats(handoff['gbs_own'])} GB/s "
                         f"(bench/read_probe.cpp).")
                if "gbs_update_shared" in handoff:
                    text += (f" Both rewriting their halves of 256 KiB at "
                             f"once, as an optimizer updates its share of a "
                             f"weight, wrote "
                             f"{fmt_stats(handoff['gbs_update_shared'])} GB/s "
                             f"each after both had read all of it, and "
                             f"{fmt_stats(handoff['gbs_update_own'])} GB/s "
                             f"after each had read only its half.")
            text += (" Threads are pinned (OMP_PROC_BIND=close, "
                     f"OMP_PLACES={PIN_THREADS['OMP_PLACES']}: a CPU of each "
                     "core) unless the environment places them.")
            self.add(text)
            by_handoff = self.ratios_by_handoff(m)
            if by_handoff:
                self.add()
                self.add(by_handoff)
            units = self.units_bound(m)
            if units:
                self.add()
                self.add(units)
        self.add()

    @staticmethod
    def ratios_by_handoff(m):
        """nnc's N-thread / 1-thread ratios split by whether the repetition's
        hand-over probe found the threads sharing a cache (not judged)."""
        shared = {}
        for h in m.get("handoffs", []):
            if h.get("gbs_own"):
                shared[h["rep"]] = (h["gbs_other"] / h["gbs_own"] >=
                                    SHARED_CACHE_HANDOFF)
        if not shared:
            return ""
        parts = []
        share = f"{SHARED_CACHE_HANDOFF:.2f}"
        for fast, label in ((True, f"{share} of its own rate or more "
                             "(the CPUs sharing a cache)"),
                            (False, f"under {share} of its own rate")):
            reps = {rep for rep, s in shared.items() if s == fast}
            if not reps:
                continue
            models = []
            for model in ("mlp", "cnn"):
                ratios = [p["many"] / p["one"] for p in m.get("pairs", [])
                          if p["case"] == f"{model}:train:256" and
                          p["side"] == "nnc" and p["rep"] in reps and
                          p["one"]]
                if ratios:
                    models.append(f"{MODEL_NAMES[model].split()[0]} "
                                  f"{fmt_stats(stats(ratios))}")
            parts.append(f"in the {len(reps)} repetitions where a thread "
                         f"read the other's writes at {label}, "
                         + " and ".join(models))
        return ("nnc's 2t/1t by the hand-over probe of the same repetition "
                "(not judged; see SHARED_CACHE_HANDOFF in bench/bench.py): "
                + "; ".join(parts) + ".")

    @staticmethod
    def units_bound(m):
        """What the MLP's 2-thread ratio could be with its hidden units split
        between the threads (UNITS_BOUND against the same repetition's
        1-thread step; not judged)."""
        one = {p["rep"]: p["one_us"] for p in m.get("pairs", [])
               if p["case"] == "mlp:train:256" and p["side"] == "nnc"}
        ratios = [one[u["rep"]] / u["us_per_iter"] for u in m.get("units", [])
                  if u["rep"] in one and u["us_per_iter"]]
        if not ratios:
            return ""
        return ("Two threads each training half of the MLP's hidden units "
                "on the same batch, together (`nnc-bench --threads 2 "
                f"{UNITS_BOUND}`; shares nothing but the batch) took "
                f"{fmt_stats(stats([u['us_per_iter'] for u in m['units']]))} "
                "us per step: a step split by hidden units could reach "
                f"{fmt_stats(stats(ratios))} times the 1-thread step of the "
                "same repetition (not judged).")

    def compile(self, c):
        reps = self.results["config"]["compile_reps"]
        self.add(f"### Compile time and peak memory of `nnc X.nn -o X.o` "
                 f"(-O2, host CPU; median (min-max) of {reps})")
        self.add()
        rows = []
        for name, entry in c.items():
            t = entry["seconds_stats"]
            rss = entry["max_rss_stats"]
            value = t["median"] if t else None
            status = "n/a" if value is None else (
                "PASS" if value <= TARGET_COMPILE_S else "FAIL")
            self.targets.append({"section": "compile",
                                 "name": f"compile {name} (s)",
                                 "value": value, "target": TARGET_COMPILE_S,
                                 "pass": None if value is None
                                 else bool(value <= TARGET_COMPILE_S)})
            rows.append([f"`{name}`", fmt_stats(t) + " " + status,
                         fmt_stats(entry["cpu_stats"]), fmt_stats(rss)])
            for err in entry["errors"][:1]:
                rows[-1][1] = "error: " + err.strip().splitlines()[-1]
        self.add(markdown_table(
            ["file", f"wall seconds (target <= {TARGET_COMPILE_S})",
             "CPU seconds (user + sys)", "peak RSS (MiB)"], rows))
        self.add()

    def summary(self):
        passed = sum(1 for t in self.targets if t["pass"])
        failed = sum(1 for t in self.targets if t["pass"] is False)
        missing = sum(1 for t in self.targets if t["pass"] is None)
        self.add(f"Targets: {passed} pass, {failed} fail"
                 + (f", {missing} not measured" if missing else ""))


def cpu_shares(results):
    """CPU time over wall time of every 1-thread timed loop, per program:
    how much of the time it was running rather than waiting for the core."""
    shares = {}
    for r in results.get("gemm", {}).get("raw", []):
        if r.get("kind") == "gemm" and r.get("cpu_share") is not None:
            shares.setdefault("GEMM", []).append(r["cpu_share"])
    for r in results.get("models", {}).get("samples", []):
        if r.get("threads_requested") == 1 and r.get("cpu_seconds") and \
                r.get("seconds"):
            shares.setdefault(r["side"], []).append(
                r["cpu_seconds"] / r["seconds"])
    return {name: stats(values) for name, values in shares.items()}


# --------------------------------------------------------------------------
# Chart


def draw_chart(results, targets, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    groups = [
        ("gemm", "GEMM: nnc / oneDNN", TARGET_GEMM, "ratio"),
        ("train", "Training b64: nnc / PyTorch", TARGET_TRAIN, "ratio"),
        ("latency", "Batch-1 latency: speed-up", None, "ratio"),
        ("threads", "nnc 2 threads / 1 thread (b256)", TARGET_THREADS,
         "ratio"),
        ("compile", "Compile time (s)", TARGET_COMPILE_S, "seconds"),
    ]
    panels = [(g, [t for t in targets if t["section"] == g[0]])
              for g in groups]
    panels = [p for p in panels if p[1]]
    if not panels:
        return False
    fig, axes = plt.subplots(len(panels), 1,
                             figsize=(10, 2.6 * len(panels) + 0.8),
                             squeeze=False)
    for ax, ((_, title, line, unit), items) in zip(axes[:, 0], panels):
        labels = [t["name"] for t in items]
        values = [t["value"] if t["value"] is not None else 0 for t in items]
        colors = ["tab:green" if t["pass"] else "tab:red" for t in items]
        ax.barh(range(len(items)), values, color=colors)
        ax.set_yticks(range(len(items)))
        ax.set_yticklabels(labels, fontsize=7)
        ax.invert_yaxis()
        if unit == "ratio":
            ax.set_xscale("log")
            known = [v for v in values if v > 0] + [t["target"] for t in items]
            ax.set_xlim(min(known) / 1.5, max(known) * 1.5)
            ax.xaxis.set_major_locator(
                matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5)))
            ax.xaxis.set_major_formatter(
                matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        for i, t in enumerate(items):
            ax.plot([t["target"], t["target"]], [i - 0.4, i + 0.4],
                    color="black", linewidth=1.5)
            if t["value"]:
                ax.text(t["value"], i, f" {fmt(t['value'])}", va="center",
                        fontsize=7)
        if line is None:
            note = " (black: each bar's target)"
        elif unit == "ratio":
            note = f" (black: target {line})"
        else:
            note = f" (black: target <= {line} s)"
        ax.set_title(title + note, fontsize=9)
    machine = results["machine"]
    threads = results.get("config", {}).get("threads", 1)
    fig.suptitle(f"nnc benchmarks, {machine['date'][:10]}, {machine['cpu']}, "
                 f"1 thread" + (f" (and {threads} where marked)"
                                if threads > 1 else "") +
                 f", rev {machine['git_rev'][:10]}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(
        description="nnc benchmark suite (run through bench/run)")
    parser.add_argument("--build", default=os.environ.get(
        "NNC_BUILD_DIR", os.path.join(ROOT, "build")))
    parser.add_argument("--quick", action="store_true",
                        help="fewer and shorter repetitions (smoke check)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="comma-separated subset of " + ", ".join(
                            SECTIONS))
    parser.add_argument("--threads", type=int, default=1,
                        help="also run batch-256 training with N threads")
    parser.add_argument("--json", default=os.path.join(
        ROOT, "bench", "results", "latest.json"))
    parser.add_argument("--reps", type=int, help="repetitions per case")
    args = parser.parse_args()
    sections = [s for s in args.only.split(",") if s]
    for s in sections:
        if s not in SECTIONS:
            parser.error(f"--only: unknown section {s!r}")
    build = os.path.abspath(args.build)

    cfg = argparse.Namespace(
        reps=args.reps or (2 if args.quick else 5),
        min_time=0.1 if args.quick else 0.4,
        warmup=0.05 if args.quick else 0.1,
        gemm_reps=args.reps or (1 if args.quick else 5),
        gemm_time=0.05 if args.quick else 0.2,
        compile_reps=1 if args.quick else 3)

    started = time.perf_counter()
    results = {"machine": machine_info(), "config": vars(cfg) | {
        "quick": args.quick, "sections": sections, "threads": args.threads,
        "build": build}}
    log(f"bench: {results['machine']['cpu']}, {results['machine']['nproc']} "
        f"CPUs, build {build}")

    if "gemm" in sections:
        results["gemm"] = run_gemm(cfg, build)
    if "train" in sections or "latency" in sections:
        results["models"] = run_models(cfg, build, sections, args.threads)
    if "compile" in sections:
        results["compile"] = run_compile(cfg, build)
    results["machine"]["load_average_end"] = os.getloadavg()
    results["wall_seconds"] = time.perf_counter() - started

    report = Report(results)
    m = results["machine"]
    report.add(f"nnc benchmarks: {m['date']}, {m['cpu']} ({m['isa']}), "
               f"{m['nproc']} CPUs, rev {m['git_rev'][:12]}; 1-minute load "
               f"average {m['load_average_start'][0]:.2f} at start, "
               f"{m['load_average_end'][0]:.2f} at end")
    if "models" in results:
        sums = results["models"]["data_checksums"]
        report.add(f"Models: data {', '.join(results['models']['data'])} "
                   f"(1024 examples, checksum "
                   f"{', '.join(str(c) for c in sums)}"
                   f"{'' if len(sums) == 1 else ': MISMATCH between sides'}"
                   f"), softmax cross-entropy, Adam lr 0.001")
    results["cpu_share"] = cpu_shares(results)
    if results["cpu_share"]:
        report.add("CPU time / wall time of the timed loops (1.00: the "
                   "process had its core throughout): " + ", ".join(
                       f"{name} median {s['median']:.2f}, min {s['min']:.2f}"
                       for name, s in results["cpu_share"].items()))
    report.add()
    if "gemm" in results:
        report.gemm(results["gemm"])
    if "models" in results:
        report.models(results["models"], sections)
    if "compile" in results:
        report.compile(results["compile"])
    report.summary()
    results["targets"] = report.targets
    results["table"] = "\n".join(report.lines)
    print(results["table"])

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    png = os.path.splitext(args.json)[0] + ".png"
    if draw_chart(results, report.targets, png):
        log(f"bench: wrote {args.json} and {png} "
            f"({results['wall_seconds']:.0f} s)")
    else:
        log(f"bench: wrote {args.json} ({results['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
