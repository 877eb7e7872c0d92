//===- nnc.cpp - The nnc compiler driver ----------------------------------===//
//
// `nnc model.nn -o model.o --header model.h`: parse and check the model file,
// emit the nn dialect, lower it through linalg to LLVM, and write an object
// for the host CPU plus its header. `--emit=` stops at any rung of the ladder
// (ast, nn, linalg, llvm, asm, obj) and prints it. User errors are MLIR
// diagnostics (file:line:col, source line, caret) and exit with status 1.
// Outputs are written through a temporary file and renamed into place, so a
// failed run never leaves a truncated object or header behind.
//
//===----------------------------------------------------------------------===//

#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "passes/CInterface.h"
#include "passes/Codegen.h"
#include "passes/ModelInfo.h"
#include "passes/Pipeline.h"
#include "tools/nnc/HeaderWriter.h"

#include "dialect/NNDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

enum class Stage { AST, NN, Linalg, LLVM, Asm, Obj };

struct Options {
  cl::OptionCategory category{"nnc options"};

  cl::opt<std::string> input{cl::Positional, cl::desc("<model.nn>"),
                             cl::Required, cl::cat(category)};
  cl::opt<std::string> output{
      "o", cl::desc("Output file (default: <input>.o for --emit=obj, "
                    "standard output otherwise; '-' is standard output)"),
      cl::value_desc("file"), cl::cat(category)};
  cl::opt<std::string> header{
      "header", cl::desc("Also write the C/C++ header of the models"),
      cl::value_desc("file"), cl::cat(category)};
  cl::opt<Stage> emit{
      "emit", cl::desc("Stop after a stage and print its result:"),
      cl::init(Stage::Obj),
      cl::values(clEnumValN(Stage::AST, "ast", "the checked syntax tree"),
                 clEnumValN(Stage::NN, "nn", "MLIR in the nn dialect"),
                 clEnumValN(Stage::Linalg, "linalg",
                            "MLIR in linalg on tensors, after fusion"),
                 clEnumValN(Stage::LLVM, "llvm", "optimised LLVM IR"),
                 clEnumValN(Stage::Asm, "asm", "assembly for the target CPU"),
                 clEnumValN(Stage::Obj, "obj", "an ELF object file (default)")),
      cl::cat(category)};
  cl::opt<unsigned> optLevel{
      "O", cl::desc("Optimisation level 0-3 (default 2): -O0 ... -O3"),
      cl::Prefix, cl::init(2), cl::cat(category)};
  cl::opt<bool> f64{
      "f64",
      cl::desc("Compute in double precision: every tensor and every pointer "
               "of the C interface is f64/double (used by gradient checks)"),
      cl::cat(category)};
  cl::opt<std::string> targetCPU{
      "target-cpu",
      cl::desc("CPU to generate code for, e.g. x86-64-v3 or skylake-avx512 "
               "(default: the host CPU and its features)"),
      cl::value_desc("name"), cl::cat(category)};
};

int userError(const Twine &message) {
  WithColor::error(errs(), "nnc") << message << "\n";
  return 1;
}

/// Writes `write`'s output to `path` atomically ('-' is stdout).
int writeOutput(StringRef path, function_ref<void(raw_ostream &)> write) {
  if (Error err = writeToOutput(path, [&](raw_ostream &os) {
        write(os);
        return Error::success();
      }))
    return userError("cannot write '" + path + "': " + toString(std::move(err)));
  return 0;
}

int compile(Options &opts) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFileOrSTDIN(opts.input, /*IsText=*/true);
  if (std::error_code ec = file.getError())
    return userError("cannot read '" + opts.input + "': " + ec.message());

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<nnc::nn::NNDialect>();
  mlir::MLIRContext context(registry);
  context.allowUnregisteredDialects(false);
  context.printOpOnDiagnostic(false);

  SourceMgr sourceMgr;
  StringRef buffer = (*file)->getBuffer();
  std::string filename = opts.input == "-" ? "<stdin>" : opts.input.getValue();
  sourceMgr.AddNewSourceBuffer(
      MemoryBuffer::getMemBuffer(buffer, filename, /*RequiresNullTerminator=*/false),
      SMLoc());
  mlir::SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  std::unique_ptr<nnc::ModuleAST> ast =
      nnc::parseModule(buffer, filename, context);
  if (!ast || failed(nnc::checkModule(*ast, context)))
    return 1;

  if (!opts.header.empty() && opts.emit < Stage::LLVM)
    return userError("--header needs --emit=llvm, asm or obj: the header "
                     "states sizes known only after lowering");
  bool toStdout = opts.emit != Stage::Obj;
  std::string outPath = opts.output;
  if (outPath.empty())
    outPath = toStdout ? "-"
                       : (sys::path::stem(filename) + ".o").str();

  if (opts.emit == Stage::AST)
    return writeOutput(outPath, [&](raw_ostream &os) { nnc::dumpAST(*ast, os); });

  mlir::OwningOpRef<mlir::ModuleOp> module = nnc::mlirGen(
      context, *ast,
      opts.f64 ? mlir::Float64Type::get(&context) : mlir::Type());
  if (!module)
    return 1;
  FailureOr<std::vector<nnc::ModelInfo>> models = nnc::collectModels(*module);
  if (failed(models))
    return 1;
  if (opts.emit == Stage::NN)
    return writeOutput(outPath, [&](raw_ostream &os) { module->print(os); });

  nnc::PipelineOptions pipelineOptions;
  pipelineOptions.optLevel = opts.optLevel;
  mlir::PassManager toLinalg(&context);
  nnc::buildNNToLinalgPipeline(toLinalg, pipelineOptions);
  if (failed(toLinalg.run(*module)))
    return 1;
  if (opts.emit == Stage::Linalg)
    return writeOutput(outPath, [&](raw_ostream &os) { module->print(os); });

  // Model names are the user's; the lowered bodies get reserved symbols so a
  // model called `malloc` or `nnc_X_forward` cannot clash with anything.
  mlir::SymbolTable symbols(*module);
  for (nnc::ModelInfo &model : *models) {
    auto func = symbols.lookup(model.funcName);
    if (failed(symbols.rename(func, nnc::getModelBodySymbol(model.name))))
      return 1;
  }

  mlir::PassManager toLLVM(&context);
  nnc::buildLinalgToLLVMPipeline(toLLVM, pipelineOptions);
  if (failed(toLLVM.run(*module)))
    return 1;
  nnc::readWorkspaceSizes(*module, *models);
  // The header states workspace sizes, which are known only now.
  if (!opts.header.empty())
    if (int rc = writeOutput(opts.header, [&](raw_ostream &os) {
          nnc::writeHeader(os, *models, filename);
        }))
      return rc;

  nnc::CodegenOptions codegenOptions;
  codegenOptions.optLevel = opts.optLevel;
  codegenOptions.targetCPU = opts.targetCPU;
  Expected<std::unique_ptr<TargetMachine>> tm =
      nnc::createTargetMachine(codegenOptions);
  if (!tm)
    return userError(toString(tm.takeError()));
  LLVMContext llvmContext;
  Expected<std::unique_ptr<Module>> llvmModule = nnc::translateToLLVMIR(
      *module, llvmContext, *models, **tm, codegenOptions);
  if (!llvmModule)
    return userError(toString(llvmModule.takeError()));
  if (opts.emit == Stage::LLVM)
    return writeOutput(outPath, [&](raw_ostream &os) { (*llvmModule)->print(os, nullptr); });

  SmallString<0> code;
  raw_svector_ostream codeStream(code);
  if (Error err = nnc::emitMachineCode(
          **llvmModule, **tm,
          opts.emit == Stage::Asm ? CodeGenFileType::AssemblyFile
                                  : CodeGenFileType::ObjectFile,
          codeStream))
    return userError(toString(std::move(err)));
  if (opts.emit == Stage::Obj && outPath == "-" )
    return userError("refusing to write an object file to standard output");
  return writeOutput(outPath, [&](raw_ostream &os) { os << code; });
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  static Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "nnc: ahead-of-time compiler for neural networks\n\n"
          "  nnc model.nn -o model.o --header model.h\n\n"
          "compiles every model in model.nn into a native object for the host "
          "CPU,\nexporting nnc_<Model>_forward and nnc_<Model>_desc, and a C/C++ "
          "header\ndeclaring them. Exit status: 0 on success, 1 on an error.\n",
          nullptr))
    return 1;
  if (opts.optLevel > 3)
    return userError("invalid optimisation level -O" +
                     Twine(opts.optLevel.getValue()) + "; use -O0 to -O3");
  return compile(opts);
}
