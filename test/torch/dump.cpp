//===- dump.cpp - Dump one training batch of the compiled models ----------===//
//
// The first half of the PyTorch reference check (compare.py is the second).
// For every model of models.nn, compiled by nnc at build time and linked in,
// this program initialises the parameters with nnc::initParams (seed 42),
// draws one fixed batch of 16 examples, calls the model's `gradient` entry
// point, then one `train_step` (step 1, zeroed optimizer state) on a copy of
// the parameters, and writes everything to <out-dir>/<Model>/ as NumPy .npy
// files, which compare.py reads with numpy.load:
//
//   meta.json         loss, optimizer and hyper-parameters from the
//                     descriptor, batch, and per parameter: name, shape,
//                     offset (in elements) into the flat buffers below
//   x.npy             float32 [batch, input size]
//   labels.npy        int32 [batch] (softmax_cross_entropy) or
//                     float32 [batch, output size] (mse)
//   params.npy        float32 [param_size], the parameters before any update
//   loss.npy          float32 [1], returned by gradient
//   grads.npy         float32 [param_size], written by gradient
//   step_loss.npy     float32 [1], returned by train_step
//   step_grads.npy    float32 [param_size], written by train_step
//   params_after.npy  float32 [param_size], the parameters after train_step
//
// Every buffer the model writes starts out NaN, and so does the padding
// between parameter tensors, so an element the model fails to write, or a
// read outside a tensor, shows up as NaN in the comparison.
//
// The batch comes from nnc::Pcg32(kDataSeed, stream), one stream per model
// (documented in runtime/Params.h): inputs are (next() >> 8) / 2^24, uniform
// in [0, 1); class labels are next() % (output size); mse targets are
// Pcg32::nextSymmetric(), uniform in (-1, 1). compare.py does not regenerate
// them: it reads them from the dump.
//
// Recurrent biases (`*.bias_ih_*`, `*.bias_hh_*`) start at zero, which would
// leave where the forward adds them unchecked (GRU's b_hn, which the reset
// gate scales, and b_in, which it does not, would be interchangeable), so
// after initParams each is refilled with 0.5 * nextSymmetric() from
// Pcg32::forTensor(kDataSeed, name). Other parameters keep their initial
// values.
//
//===----------------------------------------------------------------------===//

#include "models.h"
#include "runtime/Params.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr uint64_t kParamSeed = 42;
constexpr uint64_t kDataSeed = 20240601;
constexpr int64_t kBatch = 16;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// One compiled model and its entry points, taken from the exported symbols
/// (and cross-checked against the descriptor's function pointers).
struct Model {
  const nnc_model_desc &desc;
  nnc_gradient_fn gradient;
  nnc_train_step_fn trainStep;
  int64_t workspaceBytes; // NNC_<M>_WORKSPACE_SIZE(kBatch)
};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "dump: %s\n", message.c_str());
  std::exit(1);
}

/// Writes a version 1.0 .npy file: the magic, a little-endian header length,
/// a Python dict literal padded with spaces to a multiple of 64 bytes and
/// ending in '\n', then the raw little-endian data in C order.
void writeNpy(const std::filesystem::path &path, const char *descr,
              const std::vector<int64_t> &shape, const void *data,
              size_t bytes) {
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (int64_t d : shape)
    dict += std::to_string(d) + ", ";
  dict += "), }";
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::ofstream out(path, std::ios::binary);
  const char magic[] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(magic, sizeof(magic));
  uint16_t len = static_cast<uint16_t>(dict.size());
  const char lenBytes[] = {static_cast<char>(len & 0xff),
                           static_cast<char>(len >> 8)};
  out.write(lenBytes, 2);
  out << dict;
  out.write(static_cast<const char *>(data),
            static_cast<std::streamsize>(bytes));
  if (!out)
    fail("cannot write " + path.string());
}

void writeF32(const std::filesystem::path &path,
              const std::vector<int64_t> &shape, const std::vector<float> &v) {
  writeNpy(path, "<f4", shape, v.data(), v.size() * sizeof(float));
}

std::string jsonNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void writeMeta(const std::filesystem::path &path, const nnc_model_desc &desc) {
  const nnc_train_desc &t = *desc.train;
  std::ofstream out(path);
  out << "{\n  \"model\": \"" << desc.name << "\",\n"
      << "  \"loss\": \""
      << (t.loss == NNC_LOSS_MSE ? "mse" : "softmax_cross_entropy") << "\",\n"
      << "  \"optimizer\": \""
      << (t.optimizer == NNC_OPTIMIZER_ADAM ? "adam" : "sgd") << "\",\n"
      << "  \"lr\": " << jsonNumber(t.lr) << ",\n"
      << "  \"momentum\": " << jsonNumber(t.momentum) << ",\n"
      << "  \"weight_decay\": " << jsonNumber(t.weight_decay) << ",\n"
      << "  \"beta1\": " << jsonNumber(t.beta1) << ",\n"
      << "  \"beta2\": " << jsonNumber(t.beta2) << ",\n"
      << "  \"eps\": " << jsonNumber(t.eps) << ",\n"
      << "  \"batch\": " << kBatch << ",\n"
      << "  \"param_seed\": " << kParamSeed << ",\n"
      << "  \"params\": [\n";
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &p = desc.params[i];
    out << "    {\"name\": \"" << p.name << "\", \"shape\": [";
    for (int32_t d = 0; d < p.rank; ++d)
      out << (d ? ", " : "") << p.shape[d];
    out << "], \"offset\": " << p.offset << "}"
        << (i + 1 < desc.num_params ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
  if (!out)
    fail("cannot write " + path.string());
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

void dumpModel(const Model &m, uint64_t stream,
               const std::filesystem::path &dir) {
  const nnc_model_desc &desc = m.desc;
  if (nnc::Status s = nnc::validateDescriptor(desc); !s)
    fail(std::string(desc.name) + ": " + s.message());
  if (!desc.train || desc.num_inputs != 1)
    fail(std::string(desc.name) + ": expected one input and a train block");
  const nnc_train_desc &t = *desc.train;
  if (t.gradient != m.gradient || t.train_step != m.trainStep)
    fail(std::string(desc.name) +
         ": descriptor entry points differ from the exported symbols");
  if (t.workspace_fixed + kBatch * t.workspace_per_example != m.workspaceBytes)
    fail(std::string(desc.name) +
         ": descriptor workspace size differs from the header's");

  const int64_t inSize = desc.inputs[0].size;
  const int64_t outSize = desc.output->size;
  const bool mse = t.loss == NNC_LOSS_MSE;

  nnc::Pcg32 rng(kDataSeed, stream);
  std::vector<float> x(kBatch * inSize);
  for (float &v : x)
    v = static_cast<float>((rng.next() >> 8) * (1.0 / 16777216.0));
  std::vector<int32_t> classes;
  std::vector<float> targets;
  if (mse) {
    targets.resize(kBatch * outSize);
    for (float &v : targets)
      v = static_cast<float>(rng.nextSymmetric());
  } else {
    classes.resize(kBatch);
    for (int32_t &c : classes)
      c = static_cast<int32_t>(rng.next() % static_cast<uint32_t>(outSize));
  }
  const void *labels = mse ? static_cast<const void *>(targets.data())
                           : static_cast<const void *>(classes.data());

  std::vector<float> params(desc.param_size, kNaN);
  nnc::initParams(desc, params.data(), kParamSeed);
  for (int64_t i = 0; i < desc.num_params; ++i) {
    const nnc_param_desc &p = desc.params[i];
    std::string_view name(p.name);
    if (name.find(".bias_ih_") == name.npos &&
        name.find(".bias_hh_") == name.npos)
      continue;
    nnc::Pcg32 biasRng = nnc::Pcg32::forTensor(kDataSeed, p.name);
    for (int64_t j = 0; j < p.size; ++j)
      params[p.offset + j] = static_cast<float>(0.5 * biasRng.nextSymmetric());
  }

  size_t wsBytes = static_cast<size_t>((m.workspaceBytes + 63) / 64 * 64);
  std::unique_ptr<void, FreeDeleter> workspace(
      std::aligned_alloc(64, wsBytes ? wsBytes : 64));
  if (!workspace)
    fail("out of memory");

  std::vector<float> grads(desc.param_size, kNaN);
  float loss = m.gradient(params.data(), grads.data(), /*seed=*/0, x.data(),
                          labels, kBatch, workspace.get());

  std::vector<float> after = params;
  std::vector<float> stepGrads(desc.param_size, kNaN);
  std::vector<float> optState(t.opt_state_size ? t.opt_state_size : 1, 0.0f);
  float stepLoss =
      m.trainStep(after.data(), stepGrads.data(), optState.data(), /*step=*/1,
                  /*seed=*/0, x.data(), labels, kBatch, workspace.get());

  std::filesystem::create_directories(dir);
  writeMeta(dir / "meta.json", desc);
  writeF32(dir / "x.npy", {kBatch, inSize}, x);
  if (mse)
    writeF32(dir / "labels.npy", {kBatch, outSize}, targets);
  else
    writeNpy(dir / "labels.npy", "<i4", {kBatch}, classes.data(),
             classes.size() * sizeof(int32_t));
  writeF32(dir / "params.npy", {desc.param_size}, params);
  writeF32(dir / "loss.npy", {1}, {loss});
  writeF32(dir / "grads.npy", {desc.param_size}, grads);
  writeF32(dir / "step_loss.npy", {1}, {stepLoss});
  writeF32(dir / "step_grads.npy", {desc.param_size}, stepGrads);
  writeF32(dir / "params_after.npy", {desc.param_size}, after);
  std::printf("dump: %s: loss %.7g -> %s\n", desc.name, loss,
              dir.string().c_str());
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <out-dir>\n", argv[0]);
    return 2;
  }
  static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4);
  const uint16_t probe = 1;
  if (*reinterpret_cast<const uint8_t *>(&probe) != 1)
    fail("the .npy writer assumes a little-endian host");

  const Model models[] = {
      {nnc_MLP784_desc, nnc_MLP784_gradient, nnc_MLP784_train_step,
       NNC_MLP784_WORKSPACE_SIZE(kBatch)},
      {nnc_Softmax64_desc, nnc_Softmax64_gradient, nnc_Softmax64_train_step,
       NNC_Softmax64_WORKSPACE_SIZE(kBatch)},
      {nnc_Regress_desc, nnc_Regress_gradient, nnc_Regress_train_step,
       NNC_Regress_WORKSPACE_SIZE(kBatch)},
      {nnc_CNN_desc, nnc_CNN_gradient, nnc_CNN_train_step,
       NNC_CNN_WORKSPACE_SIZE(kBatch)},
      {nnc_LSTMClass_desc, nnc_LSTMClass_gradient, nnc_LSTMClass_train_step,
       NNC_LSTMClass_WORKSPACE_SIZE(kBatch)},
      {nnc_GRUSeq_desc, nnc_GRUSeq_gradient, nnc_GRUSeq_train_step,
       NNC_GRUSeq_WORKSPACE_SIZE(kBatch)},
      {nnc_RNNRelu_desc, nnc_RNNRelu_gradient, nnc_RNNRelu_train_step,
       NNC_RNNRelu_WORKSPACE_SIZE(kBatch)},
      {nnc_RNNTanh_desc, nnc_RNNTanh_gradient, nnc_RNNTanh_train_step,
       NNC_RNNTanh_WORKSPACE_SIZE(kBatch)},
      {nnc_LSTMInit_desc, nnc_LSTMInit_gradient, nnc_LSTMInit_train_step,
       NNC_LSTMInit_WORKSPACE_SIZE(kBatch)},
  };
  std::filesystem::path out(argv[1]);
  uint64_t stream = 0;
  for (const Model &m : models)
    dumpModel(m, stream++, out / m.desc.name);
  return 0;
}
