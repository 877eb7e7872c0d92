//===- MatmulKernel.cpp - One matrix product, compiled and run --*- C++ -*-===//
//
// Builds `func.func @nnc_gemm(%a, %b) -> tensor` around one `nn.matmul`,
// runs nnc's pipelines with the options `nnc` itself uses at -O2 for the
// host (tile sizes from its vector width and caches), and calls the JIT'd
// `_mlir_ciface_nnc_gemm`, which takes MLIR's memref descriptors.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/MatmulKernel.h"

#include "dialect/NNDialect.h"
#include "passes/Codegen.h"
#include "passes/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/ErrorHandling.h"

#include <string>

using namespace nnc;

namespace {

/// MLIR's descriptor of a rank-2 memref, as `_mlir_ciface_*` takes it.
struct MemRef2D {
  const void *allocated;
  const void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

MemRef2D memref(const void *data, int64_t rows, int64_t cols) {
  return {data, data, 0, {rows, cols}, {cols, 1}};
}

std::string tensorType(int64_t rows, int64_t cols, bool f64) {
  return "tensor<" + std::to_string(rows) + "x" + std::to_string(cols) +
         (f64 ? "xf64>" : "xf32>");
}

std::string gemmModule(const MatmulShape &s) {
  std::string lhs =
      s.transA ? tensorType(s.k, s.m, s.f64) : tensorType(s.m, s.k, s.f64);
  std::string rhs =
      s.transB ? tensorType(s.n, s.k, s.f64) : tensorType(s.k, s.n, s.f64);
  std::string out = tensorType(s.m, s.n, s.f64);
  std::string flags;
  if (s.transA || s.transB)
    flags = std::string(" {") + (s.transA ? "transpose_lhs" : "") +
            (s.transA && s.transB ? ", " : "") +
            (s.transB ? "transpose_rhs" : "") + "}";
  return "func.func @nnc_gemm(%a: " + lhs + ", %b: " + rhs + ") -> " + out +
         " attributes {llvm.emit_c_interface} {\n"
         "  %c = nn.matmul %a, %b" +
         flags + " : (" + lhs + ", " + rhs + ") -> " + out +
         "\n"
         "  return %c : " +
         out + "\n}\n";
}

} // namespace

llvm::Expected<MatmulKernel> MatmulKernel::compile(const MatmulShape &shape,
                                                   llvm::raw_ostream *llvmIR) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<nn::NNDialect>();
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string source = gemmModule(shape);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return llvm::createStringError("cannot parse the GEMM module:\n" + source);

  // The options `nnc` itself uses at -O2 for the host CPU (see
  // Compilation::lowerToLLVMDialect).
  CodegenOptions codegen;
  codegen.optLevel = 2;
  auto tm = createTargetMachine(codegen);
  if (!tm)
    return tm.takeError();
  PipelineOptions pipeline;
  pipeline.optLevel = 2;
  TargetShape target = describeTarget(**tm, /*host=*/true);
  pipeline.vectorBits = target.vectorBits;
  pipeline.l1Bytes = target.l1Bytes;
  pipeline.l2Bytes = target.l2Bytes;

  mlir::PassManager pm(&context);
  buildNNToLinalgPipeline(pm, pipeline);
  buildLinalgToLLVMPipeline(pm, pipeline);
  if (mlir::failed(pm.run(*module)))
    return llvm::createStringError("nnc's pipelines failed on:\n" + source);
  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  auto llvmModule = translateToLLVMIR(*module, *llvmContext, {}, **tm, codegen);
  if (!llvmModule)
    return llvmModule.takeError();

  // Results must have become an out-parameter: (A, B, C) -> void.
  llvm::Function *wrapper = (*llvmModule)->getFunction("_mlir_ciface_nnc_gemm");
  if (!wrapper || wrapper->arg_size() != 3 ||
      !wrapper->getReturnType()->isVoidTy())
    return llvm::createStringError(
        "expected _mlir_ciface_nnc_gemm(ptr A, ptr B, ptr C) -> void");
  if (llvmIR)
    (*llvmModule)->print(*llvmIR, nullptr);

  auto jit = JitSession::create(std::move(*llvmModule), std::move(llvmContext));
  if (!jit)
    return jit.takeError();
  auto address = (*jit)->lookup("_mlir_ciface_nnc_gemm");
  if (!address)
    return address.takeError();
  MatmulKernel kernel;
  kernel.shape = shape;
  kernel.jit = std::move(*jit);
  kernel.entry = *address;
  return kernel;
}

// A kernel called with the other element type would read and write half or
// twice its buffers' bytes: a programming error, reported in every build.
void MatmulKernel::run(const float *a, const float *b, float *c) const {
  if (shape.f64)
    llvm::report_fatal_error("MatmulKernel: an f64 kernel takes doubles");
  call(a, b, c);
}

void MatmulKernel::run(const double *a, const double *b, double *c) const {
  if (!shape.f64)
    llvm::report_fatal_error("MatmulKernel: an f32 kernel takes floats");
  call(a, b, c);
}

void MatmulKernel::call(const void *a, const void *b, void *c) const {
  const MatmulShape &s = shape;
  MemRef2D da = s.transA ? memref(a, s.k, s.m) : memref(a, s.m, s.k);
  MemRef2D db = s.transB ? memref(b, s.n, s.k) : memref(b, s.k, s.n);
  MemRef2D dc = memref(c, s.m, s.n);
  reinterpret_cast<void (*)(MemRef2D *, MemRef2D *, MemRef2D *)>(entry)(
      &da, &db, &dc);
}
