//===- GradCheck.h - Generated gradients vs. finite differences -*- C++ -*-===//
//
// `nnc gradcheck`: compares the gradient entry point nnc generated for each
// model with central finite differences of its loss, both computed by the
// model compiled in double precision, on a small random batch (PyTorch's
// gradcheck does the same, with the same default tolerances).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_GRADCHECK_H
#define NNC_TOOLS_NNC_GRADCHECK_H

#include "passes/ModelInfo.h"
#include "tools/nnc/Jit.h"

#include <string>
#include <vector>

namespace nnc {

struct GradCheckOptions {
  int64_t batch = 4;
  uint64_t seed = 1;
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  /// Elements checked per parameter tensor (a seeded random sample); 0:
  /// every element.
  int64_t samples = 64;
};

struct GradCheckResult {
  std::string model, param;
  int64_t checked = 0, size = 0;
  double maxAbsError = 0, maxRelError = 0;
  /// maxRelError is |analytic - numeric| / max(|numeric|, 1e-8).
  /// Every checked element satisfied |analytic - numeric| <= atol + rtol
  /// |numeric|.
  bool ok = true;
};

/// Checks every model of `models` that has training entry points; `jit`
/// holds their f64 compilation.
llvm::Expected<std::vector<GradCheckResult>>
gradCheck(JitSession &jit, llvm::ArrayRef<ModelInfo> models,
          const GradCheckOptions &options);

} // namespace nnc

#endif // NNC_TOOLS_NNC_GRADCHECK_H
