//===- nnc-opt.cpp - mlir-opt with the nn dialect and nnc passes ----------===//
//
// The driver lit tests use to run single passes and pipelines: upstream
// dialects, passes and extensions plus the nn dialect, nnc's passes and the
// pipelines of passes/Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNDialect.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  nnc::registerNNCPasses();
  nnc::registerPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<nnc::nn::NNDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
