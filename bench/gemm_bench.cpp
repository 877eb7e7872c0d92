//===- gemm_bench.cpp - nnc's matrix product vs oneDNN and OpenBLAS -------===//
//
// The GEMM part of the benchmark suite. For each shape, nnc's kernel is the
// code nnc generates for one `nn.matmul`: a small module in the nn dialect
// (a public function taking op(A) and op(B) and returning C, marked
// `llvm.emit_c_interface`) goes through the same pipelines as a model
// (buildNNToLinalgPipeline + buildLinalgToLLVMPipeline at -O2 with the
// host's vector width and cache sizes, as the `nnc` driver sets them; they
// turn the result into an out-parameter), LLVM's -O2 for the host CPU and
// the ORC JIT, all in this process. It is compared with oneDNN's `dnnl_sgemm`
// and OpenBLAS's `cblas_sgemm`, all row-major, 1 thread by default. Every
// kernel's result is checked against a double-precision loop before it is
// timed; a wrong one is reported as an error and never timed. The peak the
// figures are set against is an FMA-only loop (fma_peak.cpp).
//
//   nnc-gemm-bench [--libs nnc,dnnl,openblas] [--shapes sq512,mlp_dw1,...]
//                  [--reps N] [--min-time S] [--threads N] [--no-peak]
//                  [--dump-llvm DIR]
//
// One JSON object per line: `info` (library versions, OpenBLAS's kernel),
// `peak`, `compile` (nnc's compile time per shape), `verify`, and one `gemm`
// sample per repetition, shape and library, the libraries interleaved.
//
//===----------------------------------------------------------------------===//

#include "bench/fma_peak.h"

#include "tools/nnc/MatmulKernel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// libgomp (which oneDNN links) sets its thread count from OMP_NUM_THREADS
// when it is loaded; this lets --threads override it without linking OpenMP.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace {

using Clock = std::chrono::steady_clock;

/// C = op(A) op(B), row-major: A is stored K x M when transposed (else
/// M x K), B is stored N x K when transposed (else K x N), C is M x N.
struct Shape {
  const char *key;
  const char *label;
  int64_t m, n, k;
  bool transA = false, transB = false;
};

const Shape kShapes[] = {
    {"sq64", "64^3", 64, 64, 64},
    {"sq128", "128^3", 128, 128, 128},
    {"sq256", "256^3", 256, 256, 256},
    {"sq512", "512^3", 512, 512, 512},
    {"sq1024", "1024^3", 1024, 1024, 1024},
    {"mlp_fwd1", "MLP fwd x*W1 64x784*784x128", 64, 128, 784},
    {"mlp_fwd2", "MLP fwd h*W2 64x128*128x10", 64, 10, 128},
    {"mlp_dw1", "MLP dW1=x^T*dy 784x64*64x128", 784, 128, 64, true, false},
    {"mlp_dw2", "MLP dW2=h^T*dy 128x64*64x10", 128, 10, 64, true, false},
    {"mlp_dh", "MLP dh=dy*W2^T 64x10*10x128", 64, 128, 10, false, true},
};

struct Problem {
  const Shape &shape;
  std::vector<float> a, b;
  std::vector<double> reference, bound;

  explicit Problem(const Shape &shape) : shape(shape) {
    std::mt19937 rng(uint32_t(shape.m * 131 + shape.n * 17 + shape.k));
    std::uniform_real_distribution<float> uniform(-1, 1);
    a.resize(shape.m * shape.k);
    b.resize(shape.k * shape.n);
    for (float &v : a)
      v = uniform(rng);
    for (float &v : b)
      v = uniform(rng);
    // The exact product in double, and sum |a||b| per element: the scale
    // of the rounding error any correct f32 kernel can make.
    reference.assign(shape.m * shape.n, 0);
    bound.assign(shape.m * shape.n, 0);
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t p = 0; p < shape.k; ++p) {
        double x = lhs(i, p);
        for (int64_t j = 0; j < shape.n; ++j) {
          double y = rhs(p, j);
          reference[i * shape.n + j] += x * y;
          bound[i * shape.n + j] += std::abs(x * y);
        }
      }
  }

  float lhs(int64_t i, int64_t p) const {
    return shape.transA ? a[p * shape.m + i] : a[i * shape.k + p];
  }
  float rhs(int64_t p, int64_t j) const {
    return shape.transB ? b[j * shape.k + p] : b[p * shape.n + j];
  }

  /// The worst |c - reference| relative to its error scale; a correct
  /// kernel stays far below 1e-4 (float rounding is about 1e-7 of it).
  double error(const std::vector<float> &c) const {
    double worst = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      double err = std::abs(double(c[i]) - reference[i]) / (bound[i] + 1e-30);
      if (!(err <= worst)) // NaN counts as the worst
        worst = std::isnan(err) ? INFINITY : err;
    }
    return worst;
  }
};

std::string number(double v) {
  if (!std::isfinite(v))
    return "null";
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if ((unsigned char)c < 0x20)
      continue;
    out += c;
  }
  return out + "\"";
}

//===----------------------------------------------------------------------===//
// nnc's kernel
//===----------------------------------------------------------------------===//

/// One shape compiled by nnc and linked by the JIT, with its compile time
/// (machine code is generated on the first lookup, so it is included).
struct NncKernel {
  nnc::MatmulKernel kernel;
  double compileMs = 0;
};

llvm::Expected<NncKernel> compileNnc(const Shape &shape,
                                     const std::string &dumpDir) {
  Clock::time_point start = Clock::now();
  std::unique_ptr<llvm::raw_fd_ostream> dump;
  if (!dumpDir.empty()) {
    std::error_code ec;
    dump = std::make_unique<llvm::raw_fd_ostream>(
        dumpDir + "/gemm_" + shape.key + ".ll", ec);
    if (ec)
      dump.reset();
  }
  auto kernel = nnc::MatmulKernel::compile(
      {shape.m, shape.n, shape.k, shape.transA, shape.transB}, dump.get());
  if (!kernel)
    return kernel.takeError();
  return NncKernel{
      std::move(*kernel),
      std::chrono::duration<double, std::milli>(Clock::now() - start).count()};
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

struct Options {
  std::vector<std::string> libs = {"nnc", "dnnl", "openblas"};
  std::vector<std::string> shapes;
  int reps = 5;
  double minTime = 0.3;
  int threads = 1;
  bool peak = true;
  std::string dumpDir;
};

/// One library's kernel for one shape, ready to call.
struct Kernel {
  std::string lib;
  std::function<void()> run;
  bool ok = false;
};

std::vector<std::string> split(const std::string &text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ','))
    if (!part.empty())
      parts.push_back(part);
  return parts;
}

/// Seconds per call: after one warm-up call, as many calls as fit in
/// `minTime` (at least two). `cpuShare` is the process's CPU time over the
/// wall time: below 1 on one thread when something else took the core.
double timeKernel(const std::function<void()> &run, double minTime,
                  int64_t &iters, double &cpuShare) {
  run();
  iters = 0;
  std::clock_t cpuStart = std::clock();
  Clock::time_point start = Clock::now();
  double elapsed = 0;
  while (iters < 2 || elapsed < minTime) {
    run();
    ++iters;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  cpuShare = double(std::clock() - cpuStart) / CLOCKS_PER_SEC / elapsed;
  return elapsed / double(iters);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: nnc-gemm-bench [--libs nnc,dnnl,openblas] "
               "[--shapes KEY,...] [--reps N] [--min-time S] [--threads N] "
               "[--no-peak] [--dump-llvm DIR]\nshapes:");
  for (const Shape &s : kShapes)
    std::fprintf(stderr, " %s", s.key);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage();
      return argv[++i];
    };
    if (arg == "--libs")
      opts.libs = split(value());
    else if (arg == "--shapes")
      opts.shapes = split(value());
    else if (arg == "--reps")
      opts.reps = std::atoi(value().c_str());
    else if (arg == "--min-time")
      opts.minTime = std::atof(value().c_str());
    else if (arg == "--threads")
      opts.threads = std::atoi(value().c_str());
    else if (arg == "--no-peak")
      opts.peak = false;
    else if (arg == "--dump-llvm")
      opts.dumpDir = value();
    else
      usage();
  }
  if (opts.threads < 1 || opts.reps < 1)
    usage();
  auto wants = [&](const std::string &lib) {
    return std::find(opts.libs.begin(), opts.libs.end(), lib) !=
           opts.libs.end();
  };

  openblas_set_num_threads(opts.threads);
  if (omp_set_num_threads)
    omp_set_num_threads(opts.threads);
  setenv("NNC_THREADS", std::to_string(opts.threads).c_str(), 1);
  const dnnl_version_t *dnnl = dnnl_version();
  const char *coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("{\"kind\": \"info\", \"threads\": %d, \"dnnl_version\": "
              "\"%d.%d.%d\", \"openblas_core\": %s, \"openblas_config\": %s, "
              "\"openblas_coretype_env\": %s}\n",
              opts.threads, dnnl->major, dnnl->minor, dnnl->patch,
              quoted(openblas_get_corename()).c_str(),
              quoted(openblas_get_config()).c_str(),
              coretype ? quoted(coretype).c_str() : "null");
  std::fflush(stdout);

  std::vector<const Shape *> shapes;
  for (const Shape &s : kShapes)
    if (opts.shapes.empty() || std::find(opts.shapes.begin(), opts.shapes.end(),
                                         s.key) != opts.shapes.end())
      shapes.push_back(&s);
  if (shapes.empty())
    usage();

  // Build, check and keep every kernel first; time only those that passed.
  std::vector<std::unique_ptr<Problem>> problems;
  std::vector<std::vector<Kernel>> kernels;
  std::vector<NncKernel> nncKernels;
  std::vector<std::vector<float>> outputs;
  nncKernels.reserve(shapes.size());
  outputs.reserve(shapes.size() * 3);
  for (const Shape *s : shapes) {
    problems.push_back(std::make_unique<Problem>(*s));
    Problem &p = *problems.back();
    std::vector<Kernel> forShape;
    int64_t lda = s->transA ? s->m : s->k, ldb = s->transB ? s->k : s->n;
    auto output = [&]() -> float * {
      outputs.emplace_back(s->m * s->n, NAN);
      return outputs.back().data();
    };
    if (wants("nnc")) {
      auto kernel = compileNnc(*s, opts.dumpDir);
      if (!kernel) {
        std::printf("{\"kind\": \"verify\", \"shape\": \"%s\", \"lib\": "
                    "\"nnc\", \"ok\": false, \"error\": %s}\n",
                    s->key, quoted(llvm::toString(kernel.takeError())).c_str());
      } else {
        std::printf("{\"kind\": \"compile\", \"shape\": \"%s\", \"lib\": "
                    "\"nnc\", \"ms\": %s}\n",
                    s->key, number(kernel->compileMs).c_str());
        nncKernels.push_back(std::move(*kernel));
        const nnc::MatmulKernel *fn = &nncKernels.back().kernel;
        float *c = output();
        forShape.push_back(
            {"nnc", [fn, &p, c]() { fn->run(p.a.data(), p.b.data(), c); }});
      }
    }
    if (wants("dnnl")) {
      float *c = output();
      forShape.push_back({"dnnl", [s, &p, c, lda, ldb]() {
                            dnnl_sgemm(s->transA ? 'T' : 'N',
                                       s->transB ? 'T' : 'N', s->m, s->n, s->k,
                                       1.0f, p.a.data(), lda, p.b.data(), ldb,
                                       0.0f, c, s->n);
                          }});
    }
    if (wants("openblas")) {
      float *c = output();
      forShape.push_back({"openblas", [s, &p, c, lda, ldb]() {
                            cblas_sgemm(CblasRowMajor,
                                        s->transA ? CblasTrans : CblasNoTrans,
                                        s->transB ? CblasTrans : CblasNoTrans,
                                        s->m, s->n, s->k, 1.0f, p.a.data(), lda,
                                        p.b.data(), ldb, 0.0f, c, s->n);
                          }});
    }
    // Check each kernel's output (every element starts out NaN).
    size_t first = outputs.size() - forShape.size();
    for (size_t i = 0; i < forShape.size(); ++i) {
      Kernel &k = forShape[i];
      std::vector<float> &c = outputs[first + i];
      std::fill(c.begin(), c.end(), NAN);
      k.run();
      double err = p.error(c);
      k.ok = err <= 1e-4;
      std::printf("{\"kind\": \"verify\", \"shape\": \"%s\", \"lib\": \"%s\", "
                  "\"ok\": %s, \"max_rel_err\": %s}\n",
                  s->key, k.lib.c_str(), k.ok ? "true" : "false",
                  std::isinf(err) ? "\"inf\"" : number(err).c_str());
    }
    std::fflush(stdout);
    kernels.push_back(std::move(forShape));
  }

  for (int rep = 0; rep < opts.reps; ++rep) {
    if (opts.peak) {
      const char *isa = nullptr;
      double peak = nnc::bench::measureFmaPeakGflops(0.2, &isa);
      std::printf("{\"kind\": \"peak\", \"rep\": %d, \"isa\": \"%s\", "
                  "\"gflops\": %s}\n",
                  rep, isa, number(peak).c_str());
    }
    for (size_t i = 0; i < shapes.size(); ++i) {
      const Shape &s = *shapes[i];
      for (Kernel &k : kernels[i]) {
        if (!k.ok)
          continue;
        int64_t iters = 0;
        double cpuShare = 0;
        double perCall = timeKernel(k.run, opts.minTime, iters, cpuShare);
        double gflops = 2.0 * s.m * s.n * s.k / perCall * 1e-9;
        std::printf("{\"kind\": \"gemm\", \"rep\": %d, \"shape\": \"%s\", "
                    "\"label\": \"%s\", \"m\": %lld, \"n\": %lld, \"k\": %lld, "
                    "\"trans_a\": %s, \"trans_b\": %s, \"lib\": \"%s\", "
                    "\"iters\": %lld, \"us_per_call\": %s, \"gflops\": %s, "
                    "\"cpu_share\": %s}\n",
                    rep, s.key, s.label, (long long)s.m, (long long)s.n,
                    (long long)s.k, s.transA ? "true" : "false",
                    s.transB ? "true" : "false", k.lib.c_str(),
                    (long long)iters, number(perCall * 1e6).c_str(),
                    number(gflops).c_str(), number(cpuShare).c_str());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
