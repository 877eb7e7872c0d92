//===- GradCheckTest.cpp - Generated gradients vs. finite differences -----===//
//
// Builds small random models that together use every differentiable op
// (dense, relu, tanh, sigmoid, softmax, add, mul, flatten, reshape, and both
// losses), compiles them in double precision through the JIT and checks the
// generated gradients against central finite differences. The reference is
// the loss alone, evaluated twice per element; it shares nothing with the
// derivative rules. A deliberately wrong rule for each op (nnc-autodiff's
// test-break-rule) must make the same check fail, which shows the check can.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/GradCheck.h"
#include "tools/nnc/Compilation.h"
#include "tools/nnc/Jit.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

std::vector<nnc::GradCheckResult> check(const std::string &source,
                                        const std::string &breakRule = "") {
  nnc::CompilationOptions options;
  options.f64 = true;
  options.trainAll = true;
  options.testBreakRule = breakRule;
  nnc::Compilation compilation(options);
  nnc::CodegenOptions codegen;
  auto tm = nnc::createTargetMachine(codegen);
  EXPECT_TRUE(bool(tm));
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = compilation.compileToLLVMIR(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.nn"), "test.nn",
      *context, **tm);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError()) << "\n" << source;
    return {};
  }
  auto jit = nnc::JitSession::create(std::move(*module), std::move(context));
  if (!jit) {
    ADD_FAILURE() << llvm::toString(jit.takeError());
    return {};
  }
  nnc::GradCheckOptions checkOptions;
  checkOptions.samples = 0; // small models: every element
  auto results = nnc::gradCheck(**jit, compilation.models(), checkOptions);
  if (!results) {
    ADD_FAILURE() << llvm::toString(results.takeError());
    return {};
  }
  return *results;
}

bool allOk(const std::vector<nnc::GradCheckResult> &results) {
  bool ok = !results.empty();
  for (const nnc::GradCheckResult &r : results)
    ok &= r.ok;
  return ok;
}

std::string describe(const std::vector<nnc::GradCheckResult> &results) {
  std::string s;
  for (const nnc::GradCheckResult &r : results)
    s += r.model + " " + r.param + " abs " + std::to_string(r.maxAbsError) +
         " rel " + std::to_string(r.maxRelError) + (r.ok ? " ok\n" : " FAIL\n");
  return s;
}

/// One model per op, with the op between two dense layers so both its
/// input and its output reach parameters.
struct OpCase {
  const char *op;   // as in test-break-rule
  const char *body; // statements using x: f32[6], ending in y: f32[k]
};

const OpCase kOpCases[] = {
    {"nn.relu", "h = dense(x, 5) |> relu"},
    {"nn.tanh", "h = dense(x, 5) |> tanh"},
    {"nn.sigmoid", "h = dense(x, 5) |> sigmoid"},
    {"nn.softmax", "h = dense(x, 5) |> softmax"},
    {"nn.add", "a = dense(x, 5)\n  h = add(a, dense(x, 5))"},
    {"nn.mul", "a = dense(x, 5) |> tanh\n  h = mul(a, dense(x, 5))"},
    {"nn.reshape",
     "h = reshape(dense(x, 6), [2, 3]) |> tanh\n  h = flatten(h)"},
    {"nn.flatten",
     "h = reshape(dense(x, 6), [3, 2]) |> sigmoid\n  h = flatten(h)"},
    {"nn.dense", "h = dense(x, 5) |> tanh"},
};

std::string modelFor(const OpCase &c, const char *loss) {
  return std::string("model M(x: f32[6]) -> f32[4] {\n  ") + c.body +
         "\n  return dense(h, 4)\n}\ntrain M {\n  loss = " + loss +
         "\n  optimizer = sgd(lr=0.1)\n}\n";
}

class OpGradientTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpGradientTest, MatchesFiniteDifferences) {
  for (const char *loss : {"softmax_cross_entropy", "mse"}) {
    auto results = check(modelFor(GetParam(), loss));
    EXPECT_TRUE(allOk(results)) << loss << "\n" << describe(results);
  }
}

TEST_P(OpGradientTest, WrongRuleIsCaught) {
  auto results =
      check(modelFor(GetParam(), "softmax_cross_entropy"), GetParam().op);
  EXPECT_FALSE(allOk(results)) << describe(results);
}

INSTANTIATE_TEST_SUITE_P(Ops, OpGradientTest, ::testing::ValuesIn(kOpCases),
                         [](const auto &info) {
                           std::string name = info.param.op + 3;
                           return name;
                         });

/// Random deep models: a chain of randomly chosen layers.
TEST(RandomModelGradientTest, MatchesFiniteDifferences) {
  std::mt19937 rng(7);
  const char *activations[] = {"relu", "tanh", "sigmoid", "softmax"};
  for (int trial = 0; trial < 6; ++trial) {
    int width = 3 + rng() % 4;
    std::string body = "h = dense(x, " + std::to_string(width) + ")";
    int layers = 1 + rng() % 3;
    for (int l = 0; l < layers; ++l) {
      body += " |> " + std::string(activations[rng() % 4]);
      switch (rng() % 3) {
      case 0:
        body += "\n  h = add(h, mul(h, h))";
        break;
      case 1:
        body +=
            "\n  h = flatten(reshape(h, [1, " + std::to_string(width) + "]))";
        break;
      default:
        break;
      }
      width = 3 + rng() % 4;
      body += "\n  h = dense(h, " + std::to_string(width) + ")";
    }
    std::string source = "model R(x: f32[5]) -> f32[" + std::to_string(width) +
                         "] {\n  " + body +
                         "\n  return h\n}\ntrain R {\n  loss = " +
                         (trial % 2 ? "mse" : "softmax_cross_entropy") +
                         "\n  optimizer = adam\n}\n";
    auto results = check(source);
    EXPECT_TRUE(allOk(results)) << source << "\n" << describe(results);
  }
}

} // namespace
