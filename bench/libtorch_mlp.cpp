//===- libtorch_mlp.cpp - Baseline for single-image MLP inference ---------===//
//
// What an application would otherwise embed to run the benchmark MLP
// (784-128-10, ReLU) on one image: libtorch's C++ API, no Python. Times the
// forward pass at batch 1 under torch::InferenceMode on 1 thread (or
// --threads N), over the same 1024 inputs nnc-bench uses (the first
// Fashion-MNIST training images, or the same pseudo-random fallback), and
// prints one JSON line per case in the format of nnc-bench:
//
//   nnc-libtorch-mlp [--threads N] [--min-time S] [--warmup S] [--data DIR]
//                    [mlp:infer:1 ...]
//
// Without case arguments it reads cases from standard input, one per line.
// Only `mlp:infer:B` exists. The data are read here without nnc's runtime
// (a gzip IDX file is simple enough), so this program links libtorch only.
//
//===----------------------------------------------------------------------===//

#include <torch/torch.h>
#include <torch/version.h>

#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kExamples = 1024;
constexpr int64_t kExampleSize = 28 * 28;

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The first kExamples images of `train-images-idx3-ubyte.gz` in `dir`,
/// scaled to [0, 1]; empty if unreadable.
std::vector<float> readImages(const std::string &dir) {
  std::vector<float> images;
  gzFile file = gzopen((dir + "/train-images-idx3-ubyte.gz").c_str(), "rb");
  if (!file)
    return images;
  unsigned char header[16];
  std::vector<unsigned char> bytes(kExamples * kExampleSize);
  if (gzread(file, header, 16) == 16 && header[2] == 0x08 && header[3] == 3 &&
      gzread(file, bytes.data(), unsigned(bytes.size())) == int(bytes.size()))
    for (unsigned char b : bytes)
      images.push_back(float(b) / 255.0f);
  gzclose(file);
  return images;
}

std::vector<float> benchInputs(const std::string &dir, std::string &source) {
  std::vector<float> images = readImages(dir);
  if (!images.empty()) {
    source = "fashion-mnist";
    return images;
  }
  source = "random";
  images.resize(kExamples * kExampleSize);
  for (int64_t i = 0; i < kExamples * kExampleSize; ++i)
    images[i] = float(splitmix64(uint64_t(i)) >> 40) / 16777216.0f;
  return images;
}

struct MLPImpl : torch::nn::Module {
  MLPImpl()
      : fc1(register_module("fc1", torch::nn::Linear(784, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}
  torch::Tensor forward(torch::Tensor x) {
    return fc2->forward(torch::relu(fc1->forward(x)));
  }
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(MLP);

} // namespace

int main(int argc, char **argv) {
  int threads = 1;
  double minTime = 0.5, warmup = 0.1;
  std::string dir = "/usr/share/datasets/fashion-mnist";
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--threads" || arg == "--min-time" || arg == "--warmup" ||
         arg == "--data") &&
        i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--threads")
        threads = std::atoi(value.c_str());
      else if (arg == "--min-time")
        minTime = std::atof(value.c_str());
      else if (arg == "--warmup")
        warmup = std::atof(value.c_str());
      else
        dir = value;
    } else if (arg.empty() || arg[0] == '-') {
      std::fprintf(stderr, "usage: nnc-libtorch-mlp [--threads N] [--min-time "
                           "S] [--warmup S] [--data DIR] [mlp:infer:B...]\n");
      return 2;
    } else {
      cases.push_back(arg);
    }
  }
  torch::set_num_threads(threads);
  // Subnormals flushed to zero, as nnc's entry points compute
  // (runtime/nnc_model.h).
  at::globalContext().setFlushDenormal(true);
  torch::manual_seed(42);

  std::string source;
  std::vector<float> images = benchInputs(dir, source);
  torch::Tensor all = torch::from_blob(images.data(), {kExamples, kExampleSize},
                                       torch::kFloat32)
                          .clone();
  MLP model;
  model->eval();

  auto run = [&](const std::string &caseName) {
    long long batch = 0;
    if (std::sscanf(caseName.c_str(), "mlp:infer:%lld", &batch) != 1 ||
        batch < 1 || batch > kExamples) {
      std::printf("{\"side\": \"libtorch\", \"case\": \"%s\", \"error\": "
                  "\"only mlp:infer:B\"}\n",
                  caseName.c_str());
      std::fflush(stdout);
      return;
    }
    torch::InferenceMode guard;
    int64_t batches = kExamples / batch;
    torch::Tensor out;
    int64_t i = 0;
    auto step = [&]() {
      out = model->forward(all.narrow(0, (i++ % batches) * batch, batch));
    };
    auto since = [](Clock::time_point from) {
      return std::chrono::duration<double>(Clock::now() - from).count();
    };
    Clock::time_point start = Clock::now();
    for (int n = 0; n < 2 || since(start) < warmup; ++n)
      step();
    int64_t iters = 0;
    double elapsed = 0;
    std::clock_t cpuStart = std::clock();
    start = Clock::now();
    while (iters < 2 || elapsed < minTime) {
      step();
      ++iters;
      elapsed = since(start);
    }
    double cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    double perIter = elapsed / double(iters);
    bool finite = torch::isfinite(out).all().item<bool>();
    std::printf("{\"side\": \"libtorch\", \"case\": \"%s\", \"model\": "
                "\"mlp\", \"kind\": \"infer\", \"batch\": %lld, \"threads\": "
                "%d, \"iters\": %lld, \"seconds\": %.9g, \"cpu_seconds\": "
                "%.9g, \"us_per_iter\": %.9g, \"images_per_s\": %.9g, "
                "\"data\": \"%s\", "
                "\"finite\": %s, \"torch_version\": \"%d.%d.%d\"}\n",
                caseName.c_str(), batch, threads, (long long)iters, elapsed,
                cpuSeconds, perIter * 1e6, double(batch) / perIter,
                source.c_str(), finite ? "true" : "false", TORCH_VERSION_MAJOR,
                TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
    std::fflush(stdout);
  };

  if (!cases.empty()) {
    for (const std::string &c : cases)
      run(c);
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line))
    if (!line.empty())
      run(line);
  return 0;
}
