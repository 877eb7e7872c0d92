//===- HeaderWriter.cpp - The header of a compiled model file ---*- C++ -*-===//
//
// The header is plain C99 (it compiles with `gcc` as C) with a C++17 wrapper
// behind `#ifdef __cplusplus`. It embeds runtime/nnc_model.h verbatim, under
// that file's own include guard, so it needs no include path and several
// generated headers can share one translation unit.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/HeaderWriter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace llvm;

static const char *const kModelABIText =
#include "ModelABIText.inc"
    ;

/// `name` as a C/C++ identifier in the header: model and input names are
/// the user's, and may be keywords of C or C++ or the names the header
/// itself uses for the other arguments.
static std::string identifier(StringRef name) {
  static const StringSet<> reserved = {"params",       "batch",
                                       "output",       "alignas",
                                       "alignof",      "and",
                                       "and_eq",       "asm",
                                       "auto",         "bitand",
                                       "bitor",        "bool",
                                       "break",        "case",
                                       "catch",        "char",
                                       "char8_t",      "char16_t",
                                       "char32_t",     "class",
                                       "co_await",     "co_return",
                                       "co_yield",     "compl",
                                       "concept",      "const",
                                       "consteval",    "constexpr",
                                       "constinit",    "const_cast",
                                       "continue",     "decltype",
                                       "default",      "delete",
                                       "do",           "double",
                                       "dynamic_cast", "else",
                                       "enum",         "explicit",
                                       "export",       "extern",
                                       "false",        "float",
                                       "for",          "friend",
                                       "goto",         "if",
                                       "inline",       "int",
                                       "long",         "mutable",
                                       "namespace",    "new",
                                       "noexcept",     "not",
                                       "not_eq",       "nullptr",
                                       "operator",     "or",
                                       "or_eq",        "private",
                                       "protected",    "public",
                                       "register",     "reinterpret_cast",
                                       "requires",     "restrict",
                                       "return",       "short",
                                       "signed",       "sizeof",
                                       "static",       "static_assert",
                                       "static_cast",  "struct",
                                       "switch",       "template",
                                       "this",         "thread_local",
                                       "throw",        "true",
                                       "try",          "typedef",
                                       "typeid",       "typename",
                                       "union",        "unsigned",
                                       "using",        "virtual",
                                       "void",         "volatile",
                                       "wchar_t",      "while",
                                       "xor",          "xor_eq",
                                       "_Bool",        "_Complex",
                                       "_Imaginary"};
  return reserved.contains(name) ? (name + "_").str() : name.str();
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  return "f32[" +
         join(map_range(shape, [](int64_t d) { return itostr(d); }), ", ") +
         "]";
}

/// NNC_<prefix>_FIXED, NNC_<prefix>_PER_EXAMPLE and NNC_<prefix>_SIZE(batch):
/// a workspace of `fixed + batch * perExample` bytes.
static void writeWorkspaceMacros(raw_ostream &os, const std::string &prefix,
                                 int64_t fixed, int64_t perExample) {
  os << formatv("#define NNC_{0}_FIXED {1} /* bytes */\n", prefix, fixed);
  os << formatv("#define NNC_{0}_PER_EXAMPLE {1} /* bytes */\n", prefix,
                perExample);
  os << formatv("#define NNC_{0}_SIZE(batch) \\\n  "
                "(NNC_{0}_FIXED + (int64_t)(batch) * NNC_{0}_PER_EXAMPLE)\n",
                prefix);
}

static void writeTrainDeclarations(raw_ostream &os, const nnc::ModelInfo &m,
                                   StringRef t) {
  const nnc::TrainInfo &train = *m.train;
  const std::string &name = m.name;
  os << formatv("/* Training ({0}, {1}); buffers the caller allocates once:\n"
                "   params and grads: NNC_{2}_PARAM_SIZE each; opt_state: "
                "NNC_{2}_OPT_STATE_SIZE (zeroed\n   before the first step); "
                "workspace: NNC_{2}_WORKSPACE_SIZE(batch) bytes, 64-byte "
                "aligned.\n   labels: ",
                train.loss == 1 ? "mse" : "softmax_cross_entropy",
                train.optimizer == 1 ? "adam" : "sgd", name);
  if (train.loss == 1)
    os << "batch * NNC_" << name << "_OUTPUT_SIZE targets";
  else
    os << "batch int32_t class indices";
  os << ". No call allocates memory. */\n";
  os << formatv("#define NNC_{0}_OPT_STATE_SIZE {1} /* {2}s */\n", name,
                train.statesPerParam * m.paramSize, t);
  writeWorkspaceMacros(os, name + "_WORKSPACE", train.workspaceFixed,
                       train.workspacePerExample);
  os << "\n";
  os << "/* One step: forward, loss, backward and the optimizer update of "
        "params and\n   opt_state in place; writes the gradients to grads and "
        "returns the mean\n   loss. step counts from 1; seed and step "
        "choose the dropout masks. Model\n   state (descriptor params with "
        "trainable == 0, batch norm's running\n   statistics) is updated in "
        "params too. */\n";
  os << formatv(
      "{0} nnc_{1}_train_step({0} *params, {0} *grads, {0} *opt_state,"
      " int64_t step,\n    uint64_t seed, const {0} *x, const void *labels, "
      "int64_t batch,\n    void *workspace);\n",
      t, name);
  os << "/* Mean loss, and in *correct (if not NULL) how many arg-max "
        "predictions equal\n   the label (0 for mse). */\n";
  os << formatv("{0} nnc_{1}_eval(const {0} *params, const {0} *x, const void "
                "*labels,\n    int64_t batch, int64_t *correct, void "
                "*workspace);\n",
                t, name);
  os << "/* Mean loss and its gradient with respect to every parameter, "
        "without update,\n   in training mode (dropout masks chosen by seed). "
        "*/\n";
  os << formatv("{0} nnc_{1}_gradient(const {0} *params, {0} *grads, uint64_t "
                "seed,\n    const {0} *x, const void *labels, int64_t batch, "
                "void *workspace);\n\n",
                t, name);
}

static void writeCDeclarations(raw_ostream &os, const nnc::ModelInfo &m) {
  const std::string &name = m.name;
  os << formatv("/* Model {0}: ", m.name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << input.name << " " << formatShape(input.shape) << ", ";
  std::vector<nnc::ParamInfo> params = m.describedParams();
  os << formatv("output {0}, {1} parameter tensors. */\n",
                formatShape(m.output.shape), params.size());
  for (const nnc::ParamInfo &p : params)
    if (p.columnBlocks > 1)
      os << formatv("/* {0} {1} is stored in {2} column blocks [{3}, {4}], "
                    "one after the other\n   (column_blocks in the "
                    "descriptor; the runtime converts). */\n",
                    p.name, formatShape(p.shape), p.columnBlocks,
                    p.shape[0], p.shape[1] / p.columnBlocks);
  os << formatv(
      "#define NNC_{0}_PARAM_SIZE {1} /* floats, padding included */\n", name,
      m.paramSize);
  for (const nnc::TensorInfo &input : m.inputs)
    os << formatv(
        "#define NNC_{0}_INPUT_{1}_SIZE {2} /* floats per example */\n", name,
        input.name, input.size());
  os << formatv("#define NNC_{0}_OUTPUT_SIZE {1} /* floats per example */\n\n",
                name, m.output.size());
  os << formatv("extern const nnc_model_desc nnc_{0}_desc;\n\n", m.name);
  os << "/* Runs the model on `batch` examples (batch >= 0), row-major.\n"
        "   params: NNC_"
     << name
     << "_PARAM_SIZE floats, laid out as in the"
        " descriptor;\n   each input: batch * its per-example size;"
        " output: batch * NNC_"
     << name
     << "_OUTPUT_SIZE.\n"
        "   Reads only params and inputs, writes only output: concurrent"
        " calls are safe.";
  if (m.hasForwardWorkspace())
    os << formatv("\n   Each call mallocs one buffer of "
                  "NNC_{0}_FORWARD_WORKSPACE_SIZE(batch) bytes for its\n"
                  "   intermediates and frees it before returning.",
                  name);
  os << " */\n";
  StringRef t = m.isF64 ? "double" : "float";
  auto declare = [&](StringRef function, StringRef extra) {
    os << formatv("void nnc_{0}_{1}(const {2} *params", m.name, function, t);
    for (const nnc::TensorInfo &input : m.inputs)
      os << ", const " << t << " *" << identifier(input.name);
    os << ", int64_t batch, " << t << " *output" << extra << ");\n\n";
  };
  declare("forward", "");
  writeWorkspaceMacros(os, name + "_FORWARD_WORKSPACE",
                       m.forwardWorkspaceFixed, m.forwardWorkspacePerExample);
  os << formatv("/* nnc_{0}_forward with its intermediates in `workspace`:\n"
                "   NNC_{1}_FORWARD_WORKSPACE_SIZE(batch) bytes, 64-byte "
                "aligned (unused when that\n   is 0). It allocates nothing;"
                " concurrent calls need workspaces of their own. */\n",
                m.name, name);
  declare("forward_ws", ", void *workspace");
  if (m.train)
    writeTrainDeclarations(os, m, t);
}

static void writeCppWrapper(raw_ostream &os, const nnc::ModelInfo &m) {
  const std::string &name = m.name;
  os << formatv("/// Owns the parameters of model {0} and runs it.\n", m.name);
  std::string cls = identifier(m.name);
  os << formatv("class {0} {{\npublic:\n", cls);
  os << formatv("  static constexpr int64_t kParamSize = NNC_{0}_PARAM_SIZE;\n",
                name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << formatv(
        "  static constexpr int64_t kInputSize_{0} = NNC_{1}_INPUT_{0}_SIZE;\n",
        input.name, name);
  os << formatv(
      "  static constexpr int64_t kOutputSize = NNC_{0}_OUTPUT_SIZE;\n\n",
      name);
  os << formatv("  static const nnc_model_desc &descriptor() {{ return "
                "nnc_{0}_desc; }\n\n",
                m.name);
  os << formatv("  {0}() : params_(kParamSize) {{}\n\n", cls);
  StringRef t = m.isF64 ? "double" : "float";
  os << "  " << t << " *params() { return params_.data(); }\n"
     << "  const " << t << " *params() const { return params_.data(); }\n\n";
  os << "  void forward(";
  for (const nnc::TensorInfo &input : m.inputs)
    os << "const " << t << " *" << identifier(input.name) << ", ";
  os << "int64_t batch, " << t << " *output) const {\n";
  os << formatv("    nnc_{0}_forward(params_.data(), ", m.name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << identifier(input.name) << ", ";
  os << "batch, output);\n  }\n\n";
  if (m.inputs.size() == 1) {
    std::string in = identifier(m.inputs[0].name);
    os << "  /// Runs on every example of `" << in
       << "` (a multiple of kInputSize_" << m.inputs[0].name << " floats).\n";
    os << "  std::vector<" << t << "> forward(const std::vector<" << t << "> &"
       << in << ") const {\n";
    os << formatv("    int64_t batch = int64_t({0}.size()) / kInputSize_{1};\n",
                  in, m.inputs[0].name);
    os << "    std::vector<" << t
       << "> output(std::size_t(batch * kOutputSize));\n";
    os << formatv("    forward({0}.data(), batch, output.data());\n", in);
    os << "    return output;\n  }\n\n";
  }
  os << "private:\n  std::vector<" << t << "> params_;\n};\n\n";
}

void nnc::writeHeader(raw_ostream &os, ArrayRef<ModelInfo> models,
                      StringRef source) {
  std::string guard = "NNC_GENERATED_";
  for (char c : sys::path::stem(source))
    guard += isAlnum(c) ? toUpper(c) : '_';
  guard += "_H";

  os << "/* Generated by nnc " << NNC_VERSION << " from "
     << sys::path::filename(source) << ". Do not edit. */\n";
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n";
  os << kModelABIText << "\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const ModelInfo &model : models)
    writeCDeclarations(os, model);
  os << "#ifdef __cplusplus\n} /* extern \"C\" */\n\n";
  os << "#include <cstddef>\n#include <cstdint>\n#include "
        "<vector>\n\nnamespace nnc::models {\n\n";
  for (const ModelInfo &model : models)
    writeCppWrapper(os, model);
  os << "} // namespace nnc::models\n#endif /* __cplusplus */\n\n";
  os << "#endif /* " << guard << " */\n";
}
