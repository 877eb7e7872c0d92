//===- nnc_bench.cpp - Training and inference speed of compiled models ----===//
//
// The nnc side of the benchmark suite. The build compiled the four models of
// bench/models/ ahead of time with `nnc_add_model`; this program links their
// objects and times the exported entry points exactly as an application
// would call them: `train_step` through the model descriptor (forward, loss,
// backward and the Adam update, over a fixed set of batches) and the
// `nnc_<Model>_forward` function. Each case prints one JSON line that
// bench/bench.py reads:
//
//   nnc-bench [--threads N] [--min-time S] [--warmup S] [--data DIR] CASE...
//
// A case is `model:kind:batch` with model mlp, cnn, lstm, rnn or wide and kind
// `train` (images per second), `step` (the same call, reported as latency),
// `grad` (the gradient entry point: loss and gradients, no update) or
// `infer` (the forward function); `host:fma` runs the FMA loop of
// fma_peak.cpp on every thread at once, `host:read:MIB` has every thread
// read a buffer of MIB MiB of its own, `host:handoff:KIB` has two threads
// read what the other wrote and rewrite what both read (see
// runHandoffProbe), and `host:units:BATCH` has
// every thread train a copy of half the MLP's hidden units on the same batch
// (see runUnitsBound). Without CASE
// arguments cases are read from standard input, one per line, so the
// orchestrator can keep one process alive and alternate it with PyTorch. The
// data are the first 1024 Fashion-MNIST training images when the data set is
// installed, otherwise deterministic pseudo-random values that
// bench/torch_bench.py generates identically; both sides print a checksum of
// what they used.
//
//===----------------------------------------------------------------------===//

#include "cnn.h"
#include "lstm.h"
#include "mlp.h"
#include "mlp_units.h"
#include "rnn.h"
#include "wide.h"

#include "bench/fma_peak.h"
#include "bench/read_probe.h"
#include "bench/sustained.h"
#include "runtime/Dataset.h"
#include "runtime/Params.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using ForwardFn = void (*)(const float *, const float *, int64_t, float *);

/// Examples in the fixed data set: 4 batches of 256, 16 of 64.
constexpr int64_t kExamples = 1024;
constexpr int64_t kExampleSize = 28 * 28;
constexpr int64_t kClasses = 10;

struct ModelEntry {
  const char *key;
  const nnc_model_desc *desc;
  ForwardFn forward;
};

const ModelEntry kModels[] = {
    {"mlp", &nnc_BenchMLP_desc, nnc_BenchMLP_forward},
    {"cnn", &nnc_BenchCNN_desc, nnc_BenchCNN_forward},
    {"lstm", &nnc_BenchLSTM_desc, nnc_BenchLSTM_forward},
    {"rnn", &nnc_BenchRNN_desc, nnc_BenchRNN_forward},
    {"wide", &nnc_BenchWide_desc, nnc_BenchWide_forward},
};

/// Half the MLP's hidden units, for the `host:units` bound only.
const ModelEntry kUnitsModel = {"mlp_units", &nnc_BenchMLPUnits_desc,
                                nnc_BenchMLPUnits_forward};

/// The CPUs the process may run on, as it started: OpenMP's runtime later
/// binds the main thread to its first place (OMP_PROC_BIND), and threads
/// the host probes start would inherit that one CPU.
cpu_set_t startupCpus;

/// Runs the calling thread, and the threads it starts, on every CPU of
/// startupCpus until destroyed, then on what it had before: the host probes
/// measure what the host gives threads placed by the kernel, not a place
/// of OpenMP's.
class ProbeAffinity {
public:
  ProbeAffinity() {
    saved = pthread_getaffinity_np(pthread_self(), sizeof before, &before) == 0;
    pthread_setaffinity_np(pthread_self(), sizeof startupCpus, &startupCpus);
  }
  ~ProbeAffinity() {
    if (saved)
      pthread_setaffinity_np(pthread_self(), sizeof before, &before);
  }
  ProbeAffinity(const ProbeAffinity &) = delete;
  ProbeAffinity &operator=(const ProbeAffinity &) = delete;

private:
  cpu_set_t before;
  bool saved = false;
};

/// What a `host:` case may be (see runHostProbe).
constexpr const char *kHostProbeUsage =
    "expected host:fma, host:read:MIB (1-4096), host:handoff:KIB (1-65536) "
    "or host:units:BATCH (1-256, 1 or 2 threads)";

/// A 64-byte aligned buffer, as the workspace must be.
struct AlignedBuffer {
  explicit AlignedBuffer(int64_t bytes)
      : data(std::aligned_alloc(
            64, std::max<int64_t>(64, (bytes + 63) / 64 * 64))) {}
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  void *data;
};

/// The inputs and labels both sides of the benchmark use.
struct BenchData {
  std::string source;
  std::vector<float> inputs;
  std::vector<int32_t> labels;
  double checksum = 0;
};

/// splitmix64 of the index: the random fallback data, reproduced bit for
/// bit by bench/torch_bench.py with numpy.
BenchData randomData() {
  BenchData data;
  data.source = "random";
  data.inputs.resize(kExamples * kExampleSize);
  data.labels.resize(kExamples);
  for (int64_t i = 0; i < kExamples * kExampleSize; ++i)
    data.inputs[i] = float(nnc::splitmix64(uint64_t(i)) >> 40) / 16777216.0f;
  for (int64_t n = 0; n < kExamples; ++n)
    data.labels[n] =
        int32_t(nnc::splitmix64((uint64_t(1) << 40) + uint64_t(n)) % kClasses);
  return data;
}

BenchData loadData(const std::string &dir) {
  nnc::Dataset train;
  BenchData data;
  if (nnc::Status status = nnc::loadFashionMnist(dir, nnc::Split::Train, train);
      !status || train.count < kExamples || train.exampleSize != kExampleSize) {
    data = randomData();
  } else {
    data.source = "fashion-mnist";
    data.inputs.assign(train.inputs.begin(),
                       train.inputs.begin() + kExamples * kExampleSize);
    data.labels.assign(train.labels.begin(), train.labels.begin() + kExamples);
  }
  for (float v : data.inputs)
    data.checksum += v;
  for (int32_t l : data.labels)
    data.checksum += l;
  return data;
}

/// Parameters, optimizer state and workspaces of one model, kept across
/// cases so that repeated measurements continue the same training run.
struct ModelState {
  explicit ModelState(const ModelEntry &entry)
      : entry(entry), params(entry.desc->param_size),
        grads(entry.desc->param_size),
        optState(std::max<int64_t>(1, entry.desc->train->opt_state_size)) {
    nnc::initParams(*entry.desc, params.data(), /*seed=*/42);
  }

  void *workspace(int64_t batch) {
    std::unique_ptr<AlignedBuffer> &buffer = workspaces[batch];
    if (!buffer)
      buffer = std::make_unique<AlignedBuffer>(
          entry.desc->train->workspace_fixed +
          batch * entry.desc->train->workspace_per_example);
    return buffer->data;
  }

  const ModelEntry &entry;
  std::vector<float> params, grads, optState;
  int64_t step = 0;
  std::map<int64_t, std::unique_ptr<AlignedBuffer>> workspaces;
};

struct Options {
  int threads = 1;
  double minTime = 0.5;
  double warmup = 0.1;
  std::string dataDir = nnc::kFashionMnistDir;
};

double seconds(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

/// The measured part of a case: iterations, their wall time, and the CPU
/// time of the process meanwhile (less than the wall time on one thread
/// when something else took the core).
struct Timing {
  int64_t iters = 0;
  double seconds = 0;
  double cpuSeconds = 0;
};

/// Runs `iteration(i)` for `warmup` seconds (at least twice), then for
/// `minTime` seconds (at least twice) and times the latter.
template <typename Fn> Timing timeLoop(const Options &opts, Fn iteration) {
  int64_t i = 0;
  Clock::time_point start = Clock::now();
  for (int64_t n = 0; n < 2 || seconds(start) < opts.warmup; ++n)
    iteration(i++);
  Timing t;
  std::clock_t cpuStart = std::clock();
  start = Clock::now();
  while (t.iters < 2 || t.seconds < opts.minTime) {
    iteration(i++);
    ++t.iters;
    t.seconds = seconds(start);
  }
  t.cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
  return t;
}

void printError(const std::string &caseName, const std::string &message) {
  std::printf("{\"side\": \"nnc\", \"case\": \"%s\", \"error\": \"%s\"}\n",
              caseName.c_str(), message.c_str());
  std::fflush(stdout);
}

class Bench {
public:
  Bench(Options opts)
      : opts(std::move(opts)), data(loadData(this->opts.dataDir)) {
    for (const ModelEntry &entry : kModels)
      if (nnc::Status status = nnc::validateDescriptor(*entry.desc); !status) {
        std::fprintf(stderr, "nnc-bench: %s: %s\n", entry.key,
                     status.message().c_str());
        std::exit(1);
      }
  }

  /// Runs one `model:kind:batch` case (or a `host:` probe) and prints its JSON
  /// line.
  void run(const std::string &caseName) {
    if (caseName.rfind("host:", 0) == 0) {
      ProbeAffinity affinity;
      return runHostProbe(caseName);
    }
    char model[32], kind[32];
    long long batch = 0;
    if (std::sscanf(caseName.c_str(), "%31[^:]:%31[^:]:%lld", model, kind,
                    &batch) != 3 ||
        batch < 1 || batch > kExamples)
      return printError(caseName, "expected model:kind:batch");
    ModelState *state = getState(model);
    if (!state)
      return printError(caseName, "unknown model");
    std::string k = kind;
    if (k == "train" || k == "step")
      return runTrain(caseName, *state, k, batch);
    if (k == "grad")
      return runGradient(caseName, *state, batch);
    if (k == "infer")
      return runInfer(caseName, *state, batch);
    printError(caseName, "unknown kind (train, step, grad or infer)");
  }

private:
  ModelState *getState(const std::string &key) {
    for (const ModelEntry &entry : kModels)
      if (key == entry.key) {
        std::unique_ptr<ModelState> &state = states[key];
        if (!state)
          state = std::make_unique<ModelState>(entry);
        return state.get();
      }
    return nullptr;
  }

  const float *batchInputs(int64_t i, int64_t batch) const {
    int64_t batches = kExamples / batch;
    return data.inputs.data() + (i % batches) * batch * kExampleSize;
  }
  const int32_t *batchLabels(int64_t i, int64_t batch) const {
    int64_t batches = kExamples / batch;
    return data.labels.data() + (i % batches) * batch;
  }

  void runTrain(const std::string &caseName, ModelState &state,
                const std::string &kind, int64_t batch) {
    const nnc_train_desc &train = *state.entry.desc->train;
    void *workspace = state.workspace(batch);
    float firstLoss = NAN, lastLoss = NAN;
    bool first = true;
    Timing t = timeLoop(opts, [&](int64_t i) {
      lastLoss = train.train_step(state.params.data(), state.grads.data(),
                                  state.optState.data(), ++state.step,
                                  /*seed=*/1, batchInputs(i, batch),
                                  batchLabels(i, batch), batch, workspace);
      if (first)
        firstLoss = lastLoss;
      first = false;
    });
    if (!std::isfinite(lastLoss))
      return printError(caseName, "non-finite loss");
    print(caseName, state, kind, batch, t,
          ", \"loss_first\": " + number(firstLoss) +
              ", \"loss_last\": " + number(lastLoss) +
              ", \"adam_step\": " + std::to_string(state.step));
  }

  void runGradient(const std::string &caseName, ModelState &state,
                   int64_t batch) {
    const nnc_train_desc &train = *state.entry.desc->train;
    void *workspace = state.workspace(batch);
    float loss = NAN;
    Timing t = timeLoop(opts, [&](int64_t i) {
      loss = train.gradient(state.params.data(), state.grads.data(),
                            /*seed=*/1, batchInputs(i, batch),
                            batchLabels(i, batch), batch, workspace);
    });
    if (!std::isfinite(loss))
      return printError(caseName, "non-finite loss");
    print(caseName, state, "grad", batch, t, "");
  }

  void runInfer(const std::string &caseName, ModelState &state, int64_t batch) {
    std::vector<float> output(batch * state.entry.desc->output->size);
    Timing t = timeLoop(opts, [&](int64_t i) {
      state.entry.forward(state.params.data(), batchInputs(i, batch), batch,
                          output.data());
    });
    for (float v : output)
      if (!std::isfinite(v))
        return printError(caseName, "non-finite output");
    print(caseName, state, "infer", batch, t, "");
  }

  /// What the host gives `opts.threads` threads at once: `host:fma` runs
  /// the FMA loop of fma_peak.cpp on each thread, all together, and the
  /// line has their sustained GFLOP/s; `host:read:MIB` has each thread read
  /// a buffer of its own of MIB MiB (read_probe.cpp), and the line has
  /// their GB/s. Against the same probe on one thread it tells whether the
  /// host gave as many cores (or as much cache and memory bandwidth) as
  /// threads meanwhile.
  void runHostProbe(const std::string &caseName) {
    unsigned mib = 0, kib = 0;
    char rest = 0;
    if (std::sscanf(caseName.c_str(), "host:handoff:%u%c", &kib, &rest) == 1)
      return runHandoffProbe(caseName, kib);
    unsigned batch = 0;
    if (std::sscanf(caseName.c_str(), "host:units:%u%c", &batch, &rest) == 1)
      return runUnitsBound(caseName, batch);
    bool fma = caseName == "host:fma";
    if (!fma &&
        (std::sscanf(caseName.c_str(), "host:read:%u%c", &mib, &rest) != 1 ||
         mib == 0 || mib > 4096))
      return printError(caseName, kHostProbeUsage);
    std::vector<double> rates(opts.threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < opts.threads; ++t)
      threads.emplace_back([&, t] {
        // Each thread writes its own buffer first, then all start together.
        std::vector<uint64_t> buffer;
        if (!fma)
          buffer = nnc::bench::makeReadBuffer(size_t(mib) << 20);
        ready.fetch_add(1);
        while (ready.load() < opts.threads)
          std::this_thread::yield();
        rates[t] = fma ? nnc::bench::measureFmaSustainedGflops(opts.minTime)
                       : nnc::bench::measureReadGBs(buffer, opts.minTime);
      });
    for (std::thread &thread : threads)
      thread.join();
    std::string each;
    double total = 0;
    for (double rate : rates) {
      each += (each.empty() ? "" : ", ") + number(rate);
      total += rate;
    }
    const char *unit = fma ? "gflops" : "gbs";
    std::printf("{\"side\": \"nnc\", \"case\": \"%s\", \"kind\": \"host\", "
                "\"threads\": %d, \"%s\": %s, \"%s_each\": [%s]}\n",
                caseName.c_str(), opts.threads, unit, number(total).c_str(),
                unit, each.c_str());
    std::fflush(stdout);
  }

  /// `host:handoff:KIB`: two threads take turns writing a buffer of KIB
  /// KiB and reading it (read_probe.cpp); the line has the GB/s of reading
  /// what the other thread wrote and of reading one's own. Then both
  /// rewrite their halves of such a buffer at once, after both read all of
  /// it or each only its half (measureUpdates): the GB/s of those writes.
  void runHandoffProbe(const std::string &caseName, unsigned kib) {
    if (kib == 0 || kib > 65536)
      return printError(caseName, kHostProbeUsage);
    nnc::bench::HandoffRates rates =
        nnc::bench::measureHandoff(size_t(kib) << 10, opts.minTime);
    nnc::bench::UpdateRates updates =
        nnc::bench::measureUpdates(size_t(kib) << 10, opts.minTime);
    std::printf("{\"side\": \"nnc\", \"case\": \"%s\", \"kind\": \"host\", "
                "\"threads\": 2, \"gbs_other\": %s, \"gbs_own\": %s, "
                "\"gbs_update_shared\": %s, \"gbs_update_own\": %s}\n",
                caseName.c_str(), number(rates.otherGBs).c_str(),
                number(rates.ownGBs).c_str(),
                number(updates.sharedGBs).c_str(),
                number(updates.ownGBs).c_str());
    std::fflush(stdout);
  }

  /// `host:units:BATCH`: what a step of the MLP whose hidden units are
  /// split between two threads could take here at best. Each of the
  /// `opts.threads` threads (1 or 2) trains its own copy of
  /// bench/models/mlp_units.nn (the MLP with half its hidden units, compiled
  /// for one thread) on the same batch; the threads start every step
  /// together and the line has the time per step of the slower. Such a
  /// partition computes the same products, split by units, and shares only
  /// the input batch and the logits; the threads here share only the batch.
  /// Against `mlp:step:BATCH` on one thread it bounds the 2-thread ratio a
  /// unit partition could reach on the host's current placement of the two
  /// CPUs (the `host:handoff` probe tells which), with each thread's weight
  /// columns contiguous as here: split within the rows of the MLP's own
  /// weight, the optimizer's update measured 4x slower (see
  /// docs/performance.md).
  void runUnitsBound(const std::string &caseName, unsigned batch) {
    if (batch == 0 || batch > 256 || opts.threads > 2)
      return printError(caseName, kHostProbeUsage);
    const nnc_train_desc &train = *kUnitsModel.desc->train;
    int threads = opts.threads;
    std::vector<std::unique_ptr<ModelState>> copies;
    std::vector<void *> workspaces;
    for (int t = 0; t < threads; ++t) {
      copies.push_back(std::make_unique<ModelState>(kUnitsModel));
      workspaces.push_back(copies.back()->workspace(batch));
    }
    // With 2 threads, both start and end every step together; the helper
    // leaves at the start of the step after the timed ones.
    nnc::bench::SpinBarrier barrier;
    auto runStep = [&](int t, int64_t i) {
      ModelState &copy = *copies[t];
      train.train_step(copy.params.data(), copy.grads.data(),
                       copy.optState.data(), ++copy.step, /*seed=*/1,
                       batchInputs(i, batch), batchLabels(i, batch), batch,
                       workspaces[t]);
    };
    std::thread helper;
    if (threads == 2)
      helper = std::thread([&] {
        for (int64_t i = 1; !barrier.wait(); ++i) {
          runStep(1, i);
          barrier.wait();
        }
      });
    int64_t step = 0;
    Timing t = timeLoop(opts, [&](int64_t) {
      ++step;
      if (threads == 2)
        barrier.wait();
      runStep(0, step);
      if (threads == 2)
        barrier.wait();
    });
    if (threads == 2) {
      barrier.wait(/*stopHere=*/true);
      helper.join();
    }
    double perIter = t.seconds / double(t.iters);
    std::printf("{\"side\": \"nnc\", \"case\": \"%s\", \"kind\": \"host\", "
                "\"threads\": %d, \"batch\": %u, \"iters\": %lld, "
                "\"us_per_iter\": %s}\n",
                caseName.c_str(), threads, batch, (long long)t.iters,
                number(perIter * 1e6).c_str());
    std::fflush(stdout);
  }

  static std::string number(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.9g", v);
    return std::isfinite(v) ? text : "null";
  }

  void print(const std::string &caseName, const ModelState &state,
             const std::string &kind, int64_t batch, const Timing &t,
             const std::string &extra) {
    double perIter = t.seconds / double(t.iters);
    std::printf("{\"side\": \"nnc\", \"case\": \"%s\", \"model\": \"%s\", "
                "\"kind\": \"%s\", \"batch\": %lld, \"threads\": %d, "
                "\"iters\": %lld, \"seconds\": %s, \"cpu_seconds\": %s, "
                "\"us_per_iter\": %s, \"images_per_s\": %s, \"data\": \"%s\", "
                "\"data_checksum\": %s%s}\n",
                caseName.c_str(), state.entry.key, kind.c_str(),
                (long long)batch, opts.threads, (long long)t.iters,
                number(t.seconds).c_str(), number(t.cpuSeconds).c_str(),
                number(perIter * 1e6).c_str(),
                number(double(batch) / perIter).c_str(), data.source.c_str(),
                number(data.checksum).c_str(), extra.c_str());
    std::fflush(stdout);
  }

  Options opts;
  BenchData data;
  std::map<std::string, std::unique_ptr<ModelState>> states;
};

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: nnc-bench [--threads N] [--min-time S] [--warmup S] "
      "[--data DIR] [model:kind:batch...]\n"
      "  model: mlp cnn lstm rnn wide; kind: train step grad infer;\n"
      "  or host:fma (the FMA loop on every thread at once), host:read:MIB\n"
      "  (every thread reading MIB MiB of its own), host:handoff:KIB (two\n"
      "  threads reading KIB KiB the other wrote, then rewriting halves of\n"
      "  KIB KiB both read), host:units:BATCH (1 or 2\n"
      "  threads each training half the MLP's hidden units);\n"
      "  without cases, reads one case per line from stdin\n");
  std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
  if (sched_getaffinity(0, sizeof startupCpus, &startupCpus) != 0) {
    CPU_ZERO(&startupCpus);
    for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu)
      CPU_SET(cpu, &startupCpus);
  }
  Options opts;
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        usage();
      return argv[++i];
    };
    if (arg == "--threads")
      opts.threads = std::atoi(value());
    else if (arg == "--min-time")
      opts.minTime = std::atof(value());
    else if (arg == "--warmup")
      opts.warmup = std::atof(value());
    else if (arg == "--data")
      opts.dataDir = value();
    else if (arg == "--help" || arg == "-h" || arg[0] == '-')
      usage();
    else
      cases.push_back(arg);
  }
  if (opts.threads < 1)
    usage();
  // The generated code reads its thread count from the environment; set it
  // before the first call.
  setenv("NNC_THREADS", std::to_string(opts.threads).c_str(), 1);

  Bench bench(opts);
  if (!cases.empty()) {
    for (const std::string &c : cases)
      bench.run(c);
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line))
    if (!line.empty())
      bench.run(line);
  return 0;
}
