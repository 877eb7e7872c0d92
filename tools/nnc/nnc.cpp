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
// Two subcommands run the generated code in-process through the JIT:
// `nnc train` trains a model on an IDX data set with the runtime's loop, and
// `nnc gradcheck` checks every generated gradient against finite
// differences.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Compilation.h"
#include "tools/nnc/GradCheck.h"
#include "tools/nnc/HeaderWriter.h"
#include "tools/nnc/Jit.h"

#include "runtime/Augment.h"
#include "runtime/Dataset.h"
#include "runtime/Params.h"
#include "runtime/Trainer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

enum class Stage { AST, NN, Linalg, LLVM, Asm, Obj };

cl::OptionCategory category("nnc options");
cl::SubCommand trainCommand("train",
                            "Compile a model in memory and train it on an IDX "
                            "data set (Fashion-MNIST layout)");
cl::SubCommand
    gradcheckCommand("gradcheck",
                     "Check the generated gradients of every model against "
                     "finite differences in double precision");

// Shared by the compiler and both subcommands.
cl::opt<std::string> input(cl::Positional, cl::desc("<model.nn>"), cl::Required,
                           cl::cat(category),
                           cl::sub(cl::SubCommand::getTopLevel()),
                           cl::sub(trainCommand), cl::sub(gradcheckCommand));
cl::opt<unsigned>
    optLevel("O", cl::desc("Optimisation level 0-3 (default 2): -O0 ... -O3"),
             cl::Prefix, cl::init(2), cl::cat(category),
             cl::sub(cl::SubCommand::getTopLevel()), cl::sub(trainCommand),
             cl::sub(gradcheckCommand));
cl::opt<std::string> targetCPU(
    "target-cpu",
    cl::desc("CPU to generate code for, e.g. x86-64-v3 or skylake-avx512 "
             "(default: the host CPU and its features)"),
    cl::value_desc("name"), cl::cat(category),
    cl::sub(cl::SubCommand::getTopLevel()));

// The compiler.
cl::opt<std::string> output(
    "o",
    cl::desc("Output file (default: <input>.o for --emit=obj, standard output "
             "otherwise; '-' is standard output)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string>
    header("header", cl::desc("Also write the C/C++ header of the models"),
           cl::value_desc("file"), cl::cat(category));
cl::opt<Stage> emit(
    "emit", cl::desc("Stop after a stage and print its result:"),
    cl::init(Stage::Obj),
    cl::values(clEnumValN(Stage::AST, "ast", "the checked syntax tree"),
               clEnumValN(Stage::NN, "nn", "MLIR in the nn dialect"),
               clEnumValN(Stage::Linalg, "linalg",
                          "MLIR in linalg on tensors, after fusion"),
               clEnumValN(Stage::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(Stage::Asm, "asm", "assembly for the target CPU"),
               clEnumValN(Stage::Obj, "obj", "an ELF object file (default)")),
    cl::cat(category));
cl::opt<bool> f64("f64",
                  cl::desc("Compute in double precision: every tensor and "
                           "every pointer of the C interface is double"),
                  cl::cat(category));

cl::opt<bool> parallel(
    "parallel",
    cl::desc("Generate code that can run the matrix products, and "
             "independent branches of the model, on several threads "
             "(OpenMP; the object then needs libomp). How many: the "
             "environment variable NNC_THREADS, default 1. A wide first "
             "dense layer becomes two branches, its weight stored in two "
             "column blocks (docs/embedding.md)"),
    cl::cat(category), cl::sub(cl::SubCommand::getTopLevel()));

cl::opt<bool> evenSplit(
    "even-split",
    cl::desc("With --parallel: give every thread the same share of each "
             "parallel loop (by default the shares follow the threads' "
             "speeds, measured each time a loop runs)"),
    cl::cat(category), cl::sub(cl::SubCommand::getTopLevel()));

cl::opt<bool> timeStages(
    "time-stages",
    cl::desc("Print the time each stage and each MLIR pass took (LLVM's "
             "own passes: --time-passes)"),
    cl::Hidden, cl::cat(category), cl::sub(cl::SubCommand::getTopLevel()));

// nnc train.
cl::opt<unsigned> threads(
    "threads",
    cl::desc("Threads for the matrix products (default: NNC_THREADS, or 1); "
             "more than 1 compiles the model with --parallel"),
    cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<std::string> data("data",
                          cl::desc("Directory of the IDX files (default: "
                                   "/usr/share/datasets/fashion-mnist)"),
                          cl::value_desc("dir"),
                          cl::init(nnc::kFashionMnistDir), cl::cat(category),
                          cl::sub(trainCommand));
cl::opt<std::string> modelName("model",
                               cl::desc("Which model (default: the one with a "
                                        "train block)"),
                               cl::value_desc("name"), cl::cat(category),
                               cl::sub(trainCommand),
                               cl::sub(gradcheckCommand));
cl::opt<int64_t> epochs("epochs",
                        cl::desc("Total epochs (default: the train block's)"),
                        cl::init(0), cl::cat(category), cl::sub(trainCommand));
cl::opt<int64_t> batch("batch",
                       cl::desc("Batch size (default: the train block's; for "
                                "gradcheck 4)"),
                       cl::init(0), cl::cat(category), cl::sub(trainCommand),
                       cl::sub(gradcheckCommand));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed of the initialisation and shuffling (or "
                                "of gradcheck's random data); default 1"),
                       cl::init(1), cl::cat(category), cl::sub(trainCommand),
                       cl::sub(gradcheckCommand));
cl::opt<std::string> save("save",
                          cl::desc("Write a checkpoint here after every epoch "
                                   "(atomically)"),
                          cl::value_desc("file"), cl::cat(category),
                          cl::sub(trainCommand));
cl::opt<std::string> resume("resume", cl::desc("Continue from this checkpoint"),
                            cl::value_desc("file"), cl::cat(category),
                            cl::sub(trainCommand));
cl::opt<std::string> metrics("metrics",
                             cl::desc("Append one JSON line per epoch here"),
                             cl::value_desc("file"), cl::cat(category),
                             cl::sub(trainCommand));
cl::opt<nnc::TrainOptions::Progress> progress(
    "progress", cl::desc("Progress display:"),
    cl::init(nnc::TrainOptions::Progress::Auto),
    cl::values(clEnumValN(nnc::TrainOptions::Progress::Auto, "auto",
                          "a bar on a terminal, lines otherwise (default)"),
               clEnumValN(nnc::TrainOptions::Progress::Bar, "bar",
                          "a bar redrawn in place"),
               clEnumValN(nnc::TrainOptions::Progress::Lines, "lines",
                          "one line per epoch"),
               clEnumValN(nnc::TrainOptions::Progress::Off, "off", "nothing")),
    cl::cat(category), cl::sub(trainCommand));
cl::opt<std::string> augmentSpec(
    "augment",
    cl::desc("Data augmentation of training images: none, flip, shift=N, or "
             "a comma-separated list, e.g. flip,shift=2 (default: the train "
             "block's augment)"),
    cl::value_desc("spec"), cl::init("none"), cl::cat(category),
    cl::sub(trainCommand));

// nnc gradcheck.
cl::opt<double> eps("eps", cl::desc("Finite-difference step (default 1e-6)"),
                    cl::init(1e-6), cl::cat(category),
                    cl::sub(gradcheckCommand));
cl::opt<double> atol("atol", cl::desc("Absolute tolerance (default 1e-5)"),
                     cl::init(1e-5), cl::cat(category),
                     cl::sub(gradcheckCommand));
cl::opt<double> rtol("rtol", cl::desc("Relative tolerance (default 1e-3)"),
                     cl::init(1e-3), cl::cat(category),
                     cl::sub(gradcheckCommand));
cl::opt<int64_t> samples("samples",
                         cl::desc("Elements checked per tensor, 0 for all "
                                  "(default 64)"),
                         cl::init(64), cl::cat(category),
                         cl::sub(gradcheckCommand));
cl::opt<std::string> testBreakRule(
    "test-break-rule",
    cl::desc("Testing only: double the gradients of this op's derivative "
             "rule (e.g. nn.tanh)"),
    cl::Hidden, cl::cat(category), cl::sub(gradcheckCommand));

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
    return userError("cannot write '" + path +
                     "': " + toString(std::move(err)));
  return 0;
}

std::unique_ptr<MemoryBuffer> readInput(std::string &filename, int &rc) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFileOrSTDIN(input, /*IsText=*/true);
  if (std::error_code ec = file.getError()) {
    rc = userError("cannot read '" + input + "': " + ec.message());
    return nullptr;
  }
  filename = input == "-" ? "<stdin>" : input.getValue();
  return std::move(*file);
}

int compile() {
  int rc = 0;
  std::string filename;
  std::unique_ptr<MemoryBuffer> buffer = readInput(filename, rc);
  if (!buffer)
    return rc;
  nnc::CompilationOptions options;
  options.optLevel = optLevel;
  options.targetCPU = targetCPU;
  options.f64 = f64;
  options.parallel = parallel;
  options.evenSplit = evenSplit;
  options.timing = timeStages;
  nnc::Compilation compilation(options);
  if (failed(compilation.parse(std::move(buffer), filename)))
    return 1;

  if (evenSplit && !parallel)
    return userError("--even-split needs --parallel: only parallel loops "
                     "are split between threads");
  if (!header.empty() && emit < Stage::LLVM)
    return userError("--header needs --emit=llvm, asm or obj: the header "
                     "states sizes known only after lowering");
  std::string outPath = output;
  if (outPath.empty())
    outPath =
        emit != Stage::Obj ? "-" : (sys::path::stem(filename) + ".o").str();
  if (emit == Stage::Obj && outPath == "-")
    return userError("refusing to write an object file to standard output");
  auto printModule = [&] {
    return writeOutput(
        outPath, [&](raw_ostream &os) { compilation.module()->print(os); });
  };

  if (emit == Stage::AST)
    return writeOutput(
        outPath, [&](raw_ostream &os) { nnc::dumpAST(compilation.ast(), os); });
  if (failed(compilation.generateNN()))
    return 1;
  if (emit == Stage::NN)
    return printModule();
  if (failed(compilation.lowerToLinalg()))
    return 1;
  if (emit == Stage::Linalg)
    return printModule();
  if (failed(compilation.lowerToLLVMDialect()))
    return 1;
  // The header states workspace sizes, which are known only now.
  if (!header.empty())
    if (int rc = writeOutput(header, [&](raw_ostream &os) {
          nnc::writeHeader(os, compilation.models(), filename);
        }))
      return rc;

  nnc::CodegenOptions codegen;
  codegen.optLevel = optLevel;
  codegen.targetCPU = targetCPU;
  Expected<std::unique_ptr<TargetMachine>> tm =
      nnc::createTargetMachine(codegen);
  if (!tm)
    return userError(toString(tm.takeError()));
  LLVMContext llvmContext;
  Expected<std::unique_ptr<Module>> llvmModule =
      compilation.translate(llvmContext, **tm);
  if (!llvmModule)
    return userError(toString(llvmModule.takeError()));
  if (emit == Stage::LLVM)
    return writeOutput(
        outPath, [&](raw_ostream &os) { (*llvmModule)->print(os, nullptr); });

  mlir::TimingScope codegenTiming = compilation.timing().nest("machine code");
  SmallString<0> code;
  raw_svector_ostream codeStream(code);
  if (Error err = nnc::emitMachineCode(**llvmModule, **tm,
                                       emit == Stage::Asm
                                           ? CodeGenFileType::AssemblyFile
                                           : CodeGenFileType::ObjectFile,
                                       codeStream))
    return userError(toString(std::move(err)));
  codegenTiming.stop();
  return writeOutput(outPath, [&](raw_ostream &os) { os << code; });
}

/// Compiles the input with `options` and JITs it.
std::unique_ptr<nnc::JitSession> compileAndJit(nnc::Compilation &compilation,
                                               int &rc) {
  std::string filename;
  std::unique_ptr<MemoryBuffer> buffer = readInput(filename, rc);
  if (!buffer)
    return nullptr;
  nnc::CodegenOptions codegen;
  codegen.optLevel = optLevel;
  Expected<std::unique_ptr<TargetMachine>> tm =
      nnc::createTargetMachine(codegen);
  if (!tm) {
    rc = userError(toString(tm.takeError()));
    return nullptr;
  }
  auto llvmContext = std::make_unique<LLVMContext>();
  Expected<std::unique_ptr<Module>> module = compilation.compileToLLVMIR(
      std::move(buffer), filename, *llvmContext, **tm);
  if (!module) {
    consumeError(module.takeError()); // the diagnostics said why
    rc = 1;
    return nullptr;
  }
  auto jit = nnc::JitSession::create(std::move(*module), std::move(llvmContext),
                                     optLevel == 0 ? CodeGenOptLevel::None
                                                   : CodeGenOptLevel::Default);
  if (!jit) {
    rc = userError(toString(jit.takeError()));
    return nullptr;
  }
  return std::move(*jit);
}

int train() {
  nnc::AugmentOptions augment;
  if (nnc::Status s = nnc::parseAugmentSpec(augmentSpec, augment); !s)
    return userError(s.message());
  nnc::CompilationOptions options;
  options.optLevel = optLevel;
  // The generated code reads NNC_THREADS (once, at its first parallel loop).
  if (threads > 0)
    setenv("NNC_THREADS", std::to_string(threads).c_str(), /*overwrite=*/1);
  if (const char *env = getenv("NNC_THREADS"); env && atoi(env) > 1)
    options.parallel = true;
  nnc::Compilation compilation(options);
  int rc = 0;
  std::unique_ptr<nnc::JitSession> jit = compileAndJit(compilation, rc);
  if (!jit)
    return rc;

  const nnc::ModelInfo *model = nullptr;
  std::vector<std::string> trainable;
  for (const nnc::ModelInfo &m : compilation.models()) {
    if (!modelName.empty() && m.name == modelName)
      model = &m;
    if (m.train)
      trainable.push_back(m.name);
  }
  if (!modelName.empty() && !model)
    return userError("no model '" + modelName + "' in '" + input + "'");
  if (modelName.empty()) {
    if (trainable.size() != 1)
      return userError(trainable.empty()
                           ? "no model in '" + input + "' has a train block"
                           : "several models have a train block (" +
                                 join(trainable, ", ") +
                                 "); choose one with --model");
    for (const nnc::ModelInfo &m : compilation.models())
      if (m.name == trainable.front())
        model = &m;
  }
  if (!model->train)
    return userError("model '" + model->name + "' has no train block");

  auto descAddr = jit->lookup("nnc_" + model->name + "_desc");
  if (!descAddr)
    return userError(toString(descAddr.takeError()));
  const auto &desc = *static_cast<const nnc_model_desc *>(*descAddr);

  nnc::Dataset trainSet, testSet;
  if (nnc::Status s = nnc::loadFashionMnist(data, nnc::Split::Train, trainSet);
      !s)
    return userError(s.message());
  if (nnc::Status s = nnc::loadFashionMnist(data, nnc::Split::Test, testSet);
      !s)
    return userError(s.message());

  std::vector<float> params(desc.param_size, 0.0f);
  nnc::initParams(desc, params.data(), seed);
  nnc::TrainOptions trainOptions;
  trainOptions.epochs = epochs;
  trainOptions.batch = batch;
  trainOptions.seed = seed;
  trainOptions.savePath = save;
  trainOptions.resumePath = resume;
  trainOptions.metricsPath = metrics;
  trainOptions.progress = progress;
  // Without --augment, the train block's setting applies.
  if (augmentSpec.getNumOccurrences())
    trainOptions.augment = augment;
  nnc::TrainReport report;
  if (nnc::Status s = nnc::train(desc, params.data(), trainSet, &testSet,
                                 trainOptions, report);
      !s)
    return userError(s.message());
  outs() << formatv("test accuracy: {0:F4}\n", report.finalTestAccuracy);
  return 0;
}

int gradcheck() {
  nnc::CompilationOptions options;
  options.optLevel = optLevel;
  options.f64 = true;
  options.trainAll = true;
  options.testBreakRule = testBreakRule;
  nnc::Compilation compilation(options);
  int rc = 0;
  std::unique_ptr<nnc::JitSession> jit = compileAndJit(compilation, rc);
  if (!jit)
    return rc;
  std::vector<nnc::ModelInfo> models;
  for (const nnc::ModelInfo &m : compilation.models())
    if (modelName.empty() || m.name == modelName)
      models.push_back(m);
  if (models.empty())
    return userError("no model '" + modelName + "' in '" + input + "'");

  nnc::GradCheckOptions checkOptions;
  checkOptions.batch = batch > 0 ? int64_t(batch) : 4;
  checkOptions.seed = seed;
  checkOptions.eps = eps;
  checkOptions.atol = atol;
  checkOptions.rtol = rtol;
  checkOptions.samples = samples;
  auto results = nnc::gradCheck(*jit, models, checkOptions);
  if (!results)
    return userError(toString(results.takeError()));
  bool ok = true;
  outs() << formatv("{0,-12} {1,-20} {2,15} {3,12} {4,12}  {5}\n", "model",
                    "parameter", "checked", "max abs err", "max rel err",
                    "result");
  for (const nnc::GradCheckResult &r : *results) {
    outs() << formatv("{0,-12} {1,-20} {2,15} {3,12:E2} {4,12:E2}  {5}\n",
                      r.model, r.param,
                      formatv("{0}/{1}", r.checked, r.size).str(),
                      r.maxAbsError, r.maxRelError, r.ok ? "ok" : "FAIL");
    ok &= r.ok;
  }
  for (const nnc::ModelInfo &m : compilation.models())
    if (!m.train && (modelName.empty() || m.name == modelName))
      outs() << formatv("{0,-12} not checked: only models with one input and "
                        "parameters have gradient entry points\n",
                        m.name);
  outs() << formatv("gradcheck: {0} (eps {1:E0}, atol {2:E0}, rtol {3:E0}, "
                    "batch {4})\n",
                    ok ? "passed" : "FAILED", checkOptions.eps,
                    checkOptions.atol, checkOptions.rtol, checkOptions.batch);
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "nnc: ahead-of-time compiler for neural networks\n\n"
          "  nnc model.nn -o model.o --header model.h\n"
          "  nnc train model.nn [--data DIR] [--epochs N] [--save ckpt]\n"
          "  nnc gradcheck model.nn\n\n"
          "compiles every model in model.nn into a native object for the host "
          "CPU,\nexporting nnc_<Model>_forward, nnc_<Model>_forward_ws and "
          "nnc_<Model>_desc\n(and the training entry points of models with a "
          "train block), and a C/C++\nheader declaring them.\nExit status: 0 "
          "on success, 1 on an error.\n"))
    return 1;
  if (optLevel > 3)
    return userError("invalid optimisation level -O" +
                     Twine(optLevel.getValue()) + "; use -O0 to -O3");
  if (trainCommand)
    return train();
  if (gradcheckCommand)
    return gradcheck();
  return compile();
}
