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
  static const StringSet<> reserved = {
      "params", "batch", "output", "alignas", "alignof", "and", "and_eq",
      "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
      "char", "char8_t", "char16_t", "char32_t", "class", "co_await",
      "co_return", "co_yield", "compl", "concept", "const", "consteval",
      "constexpr", "constinit", "const_cast", "continue", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
      "explicit", "export", "extern", "false", "float", "for", "friend",
      "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq",
      "private", "protected", "public", "register", "reinterpret_cast",
      "requires", "restrict", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this",
      "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
      "while", "xor", "xor_eq", "_Bool", "_Complex", "_Imaginary"};
  return reserved.contains(name) ? (name + "_").str() : name.str();
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  return "f32[" + join(map_range(shape, [](int64_t d) { return itostr(d); }), ", ") + "]";
}

static void writeCDeclarations(raw_ostream &os, const nnc::ModelInfo &m) {
  const std::string &name = m.name;
  os << formatv("/* Model {0}: ", m.name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << input.name << " " << formatShape(input.shape) << ", ";
  os << formatv("output {0}, {1} parameter tensors. */\n",
                formatShape(m.output.shape), m.params.size());
  os << formatv("#define NNC_{0}_PARAM_SIZE {1} /* floats, padding included */\n",
                name, m.paramSize);
  for (const nnc::TensorInfo &input : m.inputs)
    os << formatv("#define NNC_{0}_INPUT_{1}_SIZE {2} /* floats per example */\n",
                  name, input.name, input.size());
  os << formatv("#define NNC_{0}_OUTPUT_SIZE {1} /* floats per example */\n\n",
                name, m.output.size());
  os << formatv("extern const nnc_model_desc nnc_{0}_desc;\n\n", m.name);
  os << "/* Runs the model on `batch` examples (batch >= 0), row-major.\n"
        "   params: NNC_" << name << "_PARAM_SIZE floats, laid out as in the"
        " descriptor;\n   each input: batch * its per-example size;"
        " output: batch * NNC_" << name << "_OUTPUT_SIZE.\n"
        "   Reads only params and inputs, writes only output: concurrent"
        " calls are safe. */\n";
  os << formatv("void nnc_{0}_forward(const float *params", m.name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << ", const float *" << identifier(input.name);
  os << ", int64_t batch, float *output);\n\n";
}

static void writeCppWrapper(raw_ostream &os, const nnc::ModelInfo &m) {
  const std::string &name = m.name;
  os << formatv("/// Owns the parameters of model {0} and runs it.\n", m.name);
  std::string cls = identifier(m.name);
  os << formatv("class {0} {{\npublic:\n", cls);
  os << formatv("  static constexpr int64_t kParamSize = NNC_{0}_PARAM_SIZE;\n", name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << formatv("  static constexpr int64_t kInputSize_{0} = NNC_{1}_INPUT_{0}_SIZE;\n",
                  input.name, name);
  os << formatv("  static constexpr int64_t kOutputSize = NNC_{0}_OUTPUT_SIZE;\n\n", name);
  os << formatv("  static const nnc_model_desc &descriptor() {{ return nnc_{0}_desc; }\n\n", m.name);
  os << formatv("  {0}() : params_(kParamSize) {{}\n\n", cls);
  os << "  float *params() { return params_.data(); }\n"
        "  const float *params() const { return params_.data(); }\n\n";
  os << "  void forward(";
  for (const nnc::TensorInfo &input : m.inputs)
    os << "const float *" << identifier(input.name) << ", ";
  os << "int64_t batch, float *output) const {\n";
  os << formatv("    nnc_{0}_forward(params_.data(), ", m.name);
  for (const nnc::TensorInfo &input : m.inputs)
    os << identifier(input.name) << ", ";
  os << "batch, output);\n  }\n\n";
  if (m.inputs.size() == 1) {
    std::string in = identifier(m.inputs[0].name);
    os << "  /// Runs on every example of `" << in << "` (a multiple of kInputSize_"
       << m.inputs[0].name << " floats).\n";
    os << "  std::vector<float> forward(const std::vector<float> &" << in
       << ") const {\n";
    os << formatv("    int64_t batch = int64_t({0}.size()) / kInputSize_{1};\n", in,
                  m.inputs[0].name);
    os << "    std::vector<float> output(std::size_t(batch * kOutputSize));\n";
    os << formatv("    forward({0}.data(), batch, output.data());\n", in);
    os << "    return output;\n  }\n\n";
  }
  os << "private:\n  std::vector<float> params_;\n};\n\n";
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
  os << "#include <cstddef>\n#include <cstdint>\n#include <vector>\n\nnamespace nnc::models {\n\n";
  for (const ModelInfo &model : models)
    writeCppWrapper(os, model);
  os << "} // namespace nnc::models\n#endif /* __cplusplus */\n\n";
  os << "#endif /* " << guard << " */\n";
}
