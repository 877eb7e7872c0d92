//===- Compilation.cpp - One .nn file through the compiler ------*- C++ -*-===//
//
// Owns the MLIR context, the source manager and the diagnostic handler for
// one input file, and runs the pipelines of passes/Pipeline.cpp stage by
// stage. Every failure has been reported as a diagnostic by the time a
// stage returns failure.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Compilation.h"

#include "dialect/NNDialect.h"
#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "passes/CInterface.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"

using namespace llvm;

static mlir::DialectRegistry createRegistry() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<nnc::nn::NNDialect>();
  return registry;
}

nnc::Compilation::Compilation(CompilationOptions options)
    : opts(std::move(options)), context(createRegistry()) {
  timingManager.setEnabled(opts.timing);
  timingManager.setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
  rootTiming = timingManager.getRootScope();
  context.allowUnregisteredDialects(false);
  context.printOpOnDiagnostic(false);
  diagnostics =
      std::make_unique<mlir::SourceMgrDiagnosticHandler>(sourceMgr, &context);
}

nnc::Compilation::~Compilation() = default;

LogicalResult nnc::Compilation::parse(std::unique_ptr<MemoryBuffer> buffer,
                                      StringRef filename) {
  mlir::TimingScope timing = rootTiming.nest("parse and check");
  file = filename.str();
  StringRef text = buffer->getBuffer();
  sourceMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
  astModule = parseModule(text, file, context);
  if (!astModule || failed(checkModule(*astModule, context)))
    return failure();
  return success();
}

LogicalResult nnc::Compilation::generateNN() {
  mlir::Type element =
      opts.f64 ? mlir::Type(mlir::Float64Type::get(&context)) : mlir::Type();
  mlir::TimingScope timing = rootTiming.nest("nn dialect generation");
  mlirModule = mlirGen(context, *astModule, element);
  if (!mlirModule)
    return failure();
  if (opts.trainAll) {
    mlir::Builder b(&context);
    for (auto func : mlirModule->getOps<mlir::func::FuncOp>())
      if (func->hasAttr(nn::kModelAttr) && !func->hasAttr(nn::kTrainAttr) &&
          llvm::count_if(func.getArguments(),
                         [&](mlir::BlockArgument arg) {
                           return !func.getArgAttr(arg.getArgNumber(),
                                                   nn::kParamAttr);
                         }) == 1 &&
          func.getNumArguments() > 1)
        func->setAttr(nn::kTrainAttr,
                      b.getDictionaryAttr(
                          {b.getNamedAttr("loss", b.getStringAttr("mse")),
                           b.getNamedAttr("optimizer", b.getStringAttr("sgd")),
                           b.getNamedAttr("lr", b.getF64FloatAttr(0.01))}));
  }
  // With threads, wide dense layers become two branches (their weights
  // stored in parts), which the descriptors then describe.
  if (opts.parallel && opts.optLevel > 0) {
    mlir::PassManager pm(&context);
    pm.addPass(nnc::createSplitUnitsPass());
    if (failed(pm.run(*mlirModule)))
      return failure();
  }
  FailureOr<std::vector<ModelInfo>> models = collectModels(*mlirModule);
  if (failed(models))
    return failure();
  modelInfos = std::move(*models);
  return success();
}

LogicalResult nnc::Compilation::lowerToLinalg() {
  PipelineOptions pipeline;
  pipeline.optLevel = opts.optLevel;
  pipeline.testBreakRule = opts.testBreakRule;
  mlir::PassManager pm(&context);
  buildNNToLinalgPipeline(pm, pipeline);
  mlir::TimingScope timing = rootTiming.nest("nn -> linalg");
  pm.enableTiming(timing);
  return pm.run(*mlirModule);
}

LogicalResult nnc::Compilation::lowerToLLVMDialect() {
  // Model names are the user's; the lowered bodies get reserved symbols so
  // a model called `malloc` or `nnc_X_forward` cannot clash with anything.
  mlir::SymbolTable symbols(*mlirModule);
  for (ModelInfo &model : modelInfos) {
    mlir::Operation *func = symbols.lookup(model.funcName);
    if (!func || failed(symbols.rename(func, getModelBodySymbol(model.name))))
      return failure();
  }
  PipelineOptions pipeline;
  pipeline.optLevel = opts.optLevel;
  pipeline.parallel = opts.parallel;
  pipeline.balanceThreads = !opts.evenSplit;
  CodegenOptions codegen;
  codegen.targetCPU = opts.targetCPU;
  if (auto tm = createTargetMachine(codegen)) {
    TargetShape shape = describeTarget(**tm, opts.targetCPU.empty() ||
                                                 opts.targetCPU == "native");
    pipeline.vectorBits = shape.vectorBits;
    pipeline.l1Bytes = shape.l1Bytes;
    pipeline.l2Bytes = shape.l2Bytes;
  } else {
    consumeError(tm.takeError()); // reported when the object is written
  }
  mlir::PassManager pm(&context);
  buildLinalgToLLVMPipeline(pm, pipeline);
  mlir::TimingScope timing = rootTiming.nest("linalg -> LLVM dialect");
  pm.enableTiming(timing);
  if (failed(pm.run(*mlirModule)))
    return failure();
  readWorkspaceSizes(*mlirModule, modelInfos);
  return success();
}

Expected<std::unique_ptr<Module>>
nnc::Compilation::translate(LLVMContext &llvmContext, TargetMachine &tm) {
  CodegenOptions codegen;
  codegen.optLevel = opts.optLevel;
  codegen.targetCPU = opts.targetCPU;
  return translateToLLVMIR(*mlirModule, llvmContext, modelInfos, tm, codegen,
                           &rootTiming);
}

Expected<std::unique_ptr<Module>>
nnc::Compilation::compileToLLVMIR(std::unique_ptr<MemoryBuffer> buffer,
                                  StringRef filename, LLVMContext &llvmContext,
                                  TargetMachine &tm) {
  if (failed(parse(std::move(buffer), filename)) || failed(generateNN()) ||
      failed(lowerToLinalg()) || failed(lowerToLLVMDialect()))
    return createStringError("compilation of '%s' failed",
                             filename.str().c_str());
  return translate(llvmContext, tm);
}
