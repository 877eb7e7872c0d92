//===- TestModel.h - Hand-built model descriptors for tests -----*- C++ -*-===//
//
// Builds an nnc_model_desc the way generated code would export one, but from
// a list of (name, shape, initialiser) written in the test, and owns every
// string and array the descriptor points to. Tensors are laid out in order,
// optionally with a gap of unused elements before each, so tests can check
// that the runtime leaves elements outside any tensor alone.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TEST_UNIT_RUNTIME_TESTMODEL_H
#define NNC_TEST_UNIT_RUNTIME_TESTMODEL_H

#include "runtime/nnc_model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::test {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  nnc_init_kind init = NNC_INIT_ZEROS;
  int64_t fanIn = 0;
  int64_t fanOut = 0;
};

class TestModel {
public:
  TestModel(std::string modelName, std::vector<ParamSpec> paramSpecs,
            int64_t gap = 0)
      : name(std::move(modelName)), specs(std::move(paramSpecs)) {
    int64_t offset = 0;
    params.reserve(specs.size());
    for (const ParamSpec &spec : specs) {
      int64_t size = 1;
      for (int64_t dim : spec.shape)
        size *= dim;
      offset += gap;
      nnc_param_desc param{};
      param.name = spec.name.c_str();
      param.rank = static_cast<int32_t>(spec.shape.size());
      param.shape = spec.shape.data();
      param.offset = offset;
      param.size = size;
      param.init = spec.init;
      param.fan_in = spec.fanIn;
      param.fan_out = spec.fanOut;
      params.push_back(param);
      offset += size;
    }
    model.abi_version = NNC_ABI_VERSION;
    model.name = name.c_str();
    model.num_params = static_cast<int64_t>(params.size());
    model.params = params.data();
    model.param_size = offset + gap;
    model.num_inputs = 0;
    model.inputs = nullptr;
    model.output = nullptr;
  }
  TestModel(const TestModel &) = delete;
  TestModel &operator=(const TestModel &) = delete;

  const nnc_model_desc &desc() const { return model; }
  /// For tests that break the descriptor on purpose.
  nnc_model_desc &mutableDesc() { return model; }
  nnc_param_desc &param(size_t index) { return params[index]; }
  const nnc_param_desc &param(size_t index) const { return params[index]; }
  size_t paramSize() const { return static_cast<size_t>(model.param_size); }

private:
  std::string name;
  std::vector<ParamSpec> specs;
  std::vector<nnc_param_desc> params;
  nnc_model_desc model{};
};

} // namespace nnc::test

#endif // NNC_TEST_UNIT_RUNTIME_TESTMODEL_H
