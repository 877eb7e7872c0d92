//===- SemaTest.cpp - Unit tests for semantic checks ------------*- C++ -*-===//
//
// Shape inference and the attributes Sema fills in (builtin, operands,
// units, target shape, initialiser, parameter prefix), and every error Sema
// can report, each with its exact message and location.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "llvm/Support/Casting.h"

using namespace nnc;
using nnc::test::FrontendTest;

namespace {

using Errors = std::vector<std::string>;

class SemaTest : public FrontendTest {
protected:
  /// Checks a one-model program whose body is `body`; line 2 is the first
  /// line of the body.
  std::unique_ptr<ModuleAST> checkBody(llvm::StringRef header,
                                       llvm::StringRef body) {
    source = (header + " {\n" + body + "\n}\n").str();
    return check(source);
  }
  std::unique_ptr<ModuleAST> checkBody(llvm::StringRef body) {
    return checkBody("model M(x: f32[784], img: f32[1, 28, 28]) -> f32[10]",
                     body);
  }

  std::string source;
};

TEST_F(SemaTest, DesignDocExample) {
  auto module = check("# Fashion-MNIST classifier\n"
                      "model MLP(x: f32[784]) -> f32[10] {\n"
                      "  h = dense(x, 128) |> relu\n"
                      "  h = dense(h, 64, init=he) |> tanh\n"
                      "  y = add(h, mul(h, h))\n"
                      "  return dense(y, 10) |> softmax\n"
                      "}\n"
                      "model Reshaper(img: f32[1, 28, 28]) -> f32[4, 196] {\n"
                      "  return reshape(flatten(img), [4, 196])\n"
                      "}\n");
  ASSERT_TRUE(module) << diags.front();
  EXPECT_EQ(dump(*module),
            "Model 'MLP' @2:7\n"
            "  Input 'x' f32[784] @2:11\n"
            "  Result f32[10] @2:27\n"
            "  Assign 'h' @3:3\n"
            "    Call relu [piped] -> f32[128] @3:24\n"
            "      Call dense units=128 init=xavier params='h' -> f32[128] "
            "@3:7\n"
            "        Name 'x' -> f32[784] @3:13\n"
            "        Number 128 @3:16\n"
            "  Assign 'h' @4:3\n"
            "    Call tanh [piped] -> f32[64] @4:32\n"
            "      Call dense units=64 init=he params='h_2' -> f32[64] @4:7\n"
            "        Name 'h' -> f32[128] @4:13\n"
            "        Number 64 @4:16\n"
            "        Keyword 'init' @4:20\n"
            "          Name 'he' @4:25\n"
            "  Assign 'y' @5:3\n"
            "    Call add -> f32[64] @5:7\n"
            "      Name 'h' -> f32[64] @5:11\n"
            "      Call mul -> f32[64] @5:14\n"
            "        Name 'h' -> f32[64] @5:18\n"
            "        Name 'h' -> f32[64] @5:21\n"
            "  Return @6:3\n"
            "    Call softmax [piped] -> f32[10] @6:26\n"
            "      Call dense units=10 init=xavier params='output' -> f32[10] "
            "@6:10\n"
            "        Name 'y' -> f32[64] @6:16\n"
            "        Number 10 @6:19\n"
            "Model 'Reshaper' @8:7\n"
            "  Input 'img' f32[1, 28, 28] @8:16\n"
            "  Result f32[4, 196] @8:40\n"
            "  Return @9:3\n"
            "    Call reshape target=f32[4, 196] -> f32[4, 196] @9:10\n"
            "      Call flatten -> f32[784] @9:18\n"
            "        Name 'img' -> f32[1, 28, 28] @9:26\n"
            "      List @9:32\n"
            "        Number 4 @9:33\n"
            "        Number 196 @9:36\n");
}

TEST_F(SemaTest, FillsCallFields) {
  auto module = checkBody("model M(x: f32[2, 3]) -> f32[5]",
                          "  f = flatten(x)\n"
                          "  return f |> dense(units=5, init=zeros)");
  ASSERT_TRUE(module) << diags.front();
  auto &dense = llvm::cast<CallExpr>(*module->models[0].body[1].value);
  EXPECT_EQ(dense.builtin, Builtin::Dense);
  EXPECT_EQ(dense.units, 5);
  EXPECT_EQ(dense.weightInit, InitKind::Zeros);
  EXPECT_EQ(dense.paramPrefix, "output");
  ASSERT_EQ(dense.operands.size(), 1u);
  EXPECT_EQ(dense.operands[0], dense.args[0].value.get());
  EXPECT_EQ(dense.operands[0]->shape, (Shape{6}));
  EXPECT_EQ(dense.shape, (Shape{5}));

  auto &flatten = llvm::cast<CallExpr>(*module->models[0].body[0].value);
  EXPECT_EQ(flatten.builtin, Builtin::Flatten);
  EXPECT_EQ(flatten.shape, (Shape{6}));
}

TEST_F(SemaTest, ReshapeByKeyword) {
  auto module = checkBody("model M(x: f32[6]) -> f32[3, 2]",
                          "  return reshape(x, shape=[3, 2]) |> sigmoid");
  ASSERT_TRUE(module) << diags.front();
  auto &sigmoid = llvm::cast<CallExpr>(*module->models[0].body[0].value);
  auto &reshape = llvm::cast<CallExpr>(*sigmoid.operands[0]);
  EXPECT_EQ(reshape.builtin, Builtin::Reshape);
  EXPECT_EQ(reshape.targetShape, (Shape{3, 2}));
  EXPECT_EQ(reshape.operands.size(), 1u);
  EXPECT_EQ(sigmoid.shape, (Shape{3, 2}));
}

TEST_F(SemaTest, ParamPrefixes) {
  auto module =
      checkBody("model M(x: f32[8]) -> f32[2]", "  h = dense(dense(x, 8), 4)\n"
                                                "  h_2 = dense(h, 4)\n"
                                                "  output = dense(h_2, 2)\n"
                                                "  return output |> dense(2)");
  ASSERT_TRUE(module) << diags.front();
  std::vector<std::string> prefixes;
  std::function<void(const Expr &)> walk = [&](const Expr &e) {
    if (auto *call = llvm::dyn_cast<CallExpr>(&e)) {
      for (const CallArg &arg : call->args)
        walk(*arg.value);
      if (call->builtin == Builtin::Dense)
        prefixes.push_back(call->paramPrefix);
    }
  };
  for (const Stmt &stmt : module->models[0].body)
    walk(*stmt.value);
  EXPECT_EQ(prefixes, (std::vector<std::string>{"h", "h_2", "h_2_2", "output",
                                                "output_2"}));
}

TEST_F(SemaTest, PrefixesArePerModel) {
  auto module = check("model A(x: f32[8]) -> f32[2] { return dense(x, 2) }\n"
                      "model B(x: f32[8]) -> f32[2] { return dense(x, 2) }\n");
  ASSERT_TRUE(module);
  for (const Model &model : module->models)
    EXPECT_EQ(llvm::cast<CallExpr>(*model.body[0].value).paramPrefix, "output");
}

TEST_F(SemaTest, ReassignmentUsesLatestValue) {
  EXPECT_TRUE(checkBody("model M(x: f32[8]) -> f32[2]", "  x = dense(x, 4)\n"
                                                        "  x = dense(x, 2)\n"
                                                        "  return x"));
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(SemaTest, UnknownNameAndFunction) {
  EXPECT_FALSE(checkBody("  h = conv9(x, 3)\n"
                         "  return dense(h2, 10)"));
  EXPECT_EQ(diags, (Errors{"2:7: unknown function 'conv9'",
                           "3:16: unknown name 'h2'"}));
}

TEST_F(SemaTest, UseBeforeAssignment) {
  EXPECT_FALSE(
      checkBody("  h = relu(g)\n  g = relu(x)\n  return dense(g, 10)"));
  EXPECT_EQ(diags, Errors{"2:12: unknown name 'g'"});
}

TEST_F(SemaTest, ErrorsDoNotCascade) {
  // `h` is poisoned by its bad definition: its uses stay silent, and the
  // return type is not compared against an unknown shape.
  EXPECT_FALSE(checkBody("  h = dense(img, 10)\n"
                         "  g = add(h, relu(h))\n"
                         "  return g"));
  EXPECT_EQ(diags, Errors{"2:13: 'dense' expects a rank-1 input per example, "
                          "got f32[1, 28, 28]; use flatten first"});
}

TEST_F(SemaTest, Arity) {
  EXPECT_FALSE(checkBody("  a = dense(x)\n"
                         "  b = relu(x, x)\n"
                         "  c = x |> add\n"
                         "  d = dense(x, 10, 20)\n"
                         "  e = dense(units=3)\n"
                         "  f = reshape(x)\n"
                         "  g = flatten()\n"
                         "  return dense(x, 10)"));
  EXPECT_EQ(diags, (Errors{
                       "2:7: 'dense' expects 2 positional arguments, got 1",
                       "3:15: 'relu' expects 1 positional argument, got 2",
                       "4:12: 'add' expects 2 positional arguments, got 1",
                       "5:20: 'dense' expects 2 positional arguments, got 3",
                       "6:7: 'dense' is missing argument 'x'",
                       "7:7: 'reshape' expects 2 positional arguments, got 1",
                       "8:7: 'flatten' expects 1 positional argument, got 0",
                   }));
}

TEST_F(SemaTest, KeywordArguments) {
  EXPECT_FALSE(checkBody("  a = dense(x, 10, foo=3)\n"
                         "  b = dense(x, 10, init=he, init=he)\n"
                         "  c = dense(x, 10, units=10)\n"
                         "  d = relu(x=x)\n"
                         "  return dense(x, 10)"));
  EXPECT_EQ(diags, (Errors{
                       "2:20: 'dense' has no argument 'foo'",
                       "3:29: duplicate keyword argument 'init'",
                       "4:20: 'dense' got multiple values for argument 'units'",
                       "5:12: 'relu' argument 'x' cannot be passed by keyword",
                   }));
}

TEST_F(SemaTest, TensorExpected) {
  EXPECT_FALSE(checkBody("  a = relu(3)\n"
                         "  b = add(x, [1, 2])\n"
                         "  c = 0.5\n"
                         "  return -1"));
  EXPECT_EQ(diags, (Errors{"2:12: expected a tensor, got number 3",
                           "3:14: expected a tensor, got a list",
                           "4:7: expected a tensor, got number 0.5",
                           "5:10: expected a tensor, got number -1"}));
}

TEST_F(SemaTest, BadUnits) {
  EXPECT_FALSE(checkBody("  a = dense(x, x)\n"
                         "  b = dense(x, 2.5)\n"
                         "  c = dense(x, 0)\n"
                         "  d = dense(x, -4)\n"
                         "  e = dense(x, [4])\n"
                         "  f = dense(x, relu(x))\n"
                         "  g = dense(x, 3000000000)\n"
                         "  return dense(x, units=1e1)"));
  EXPECT_EQ(diags,
            (Errors{
                "2:16: 'dense' argument 'units' must be a positive integer, "
                "got 'x'",
                "3:16: 'dense' argument 'units' must be a positive integer, "
                "got 2.5",
                "4:16: 'dense' argument 'units' must be a positive integer, "
                "got 0",
                "5:16: 'dense' argument 'units' must be a positive integer, "
                "got -4",
                "6:16: 'dense' argument 'units' must be a positive integer, "
                "got a list",
                "7:16: 'dense' argument 'units' must be a positive integer, "
                "got a call to 'relu'",
                "8:16: units 3000000000 is too large (limit 2147483647)",
                "9:25: 'dense' argument 'units' must be a positive integer, "
                "got 1e1",
            }));
}

TEST_F(SemaTest, BadInit) {
  EXPECT_FALSE(checkBody("  a = dense(x, 10, init=glorot)\n"
                         "  return dense(x, 10, init=2)"));
  EXPECT_EQ(diags, (Errors{"2:25: 'dense' argument 'init' must be one of "
                           "xavier, he, zeros, got 'glorot'",
                           "3:28: 'dense' argument 'init' must be one of "
                           "xavier, he, zeros, got 2"}));
}

TEST_F(SemaTest, DenseParameterTooLarge) {
  EXPECT_FALSE(checkBody("model M(x: f32[100000]) -> f32[10]",
                         "  h = dense(x, 100000)\n  return dense(h, 10)"));
  EXPECT_EQ(diags, Errors{"2:16: parameter 'h.weight' of type f32[100000, "
                          "100000] is too large (more than 2147483647 "
                          "elements)"});
}

TEST_F(SemaTest, ShapeMismatch) {
  EXPECT_FALSE(checkBody("  a = dense(x, 64)\n"
                         "  b = dense(x, 32)\n"
                         "  c = a |> mul(b)\n"
                         "  return add(a, b)"));
  EXPECT_EQ(diags,
            (Errors{"4:12: shape mismatch in 'mul': f32[64] and f32[32]",
                    "5:10: shape mismatch in 'add': f32[64] and f32[32]"}));
}

TEST_F(SemaTest, BadReshape) {
  EXPECT_FALSE(checkBody("  a = reshape(x, [4, 200])\n"
                         "  b = reshape(x, 784)\n"
                         "  c = reshape(x, [])\n"
                         "  d = reshape(x, [0, x, 2.0])\n"
                         "  e = reshape(x, [3000000000])\n"
                         "  f = reshape(x, shape=[65536, 65536, 65536, "
                         "65536, 65536])\n"
                         "  return dense(x, 10)"));
  EXPECT_EQ(diags,
            (Errors{
                "2:18: cannot reshape f32[784] (784 elements) to f32[4, 200] "
                "(800 elements)",
                "3:18: 'reshape' argument 'shape' must be a list of "
                "dimensions, got 784",
                "4:18: 'reshape' argument 'shape' must not be empty",
                "5:19: dimension must be a positive integer, got 0",
                "5:22: dimension must be a positive integer, got 'x'",
                "5:25: dimension must be a positive integer, got 2.0",
                "6:19: dimension 3000000000 is too large (limit 2147483647)",
                "7:24: cannot reshape f32[784] (784 elements) to f32[65536, "
                "65536, 65536, 65536, 65536] (more than 9223372036854775807 "
                "elements)",
            }));
}

TEST_F(SemaTest, ReturnTypeMismatch) {
  EXPECT_FALSE(checkBody("  h = dense(x, 64)\n  return h"));
  EXPECT_EQ(diags, Errors{"3:10: model 'M' is declared to return f32[10] but "
                          "returns f32[64]"});
}

TEST_F(SemaTest, ReturnPlacement) {
  EXPECT_FALSE(check("model A(x: f32[4]) -> f32[4] {\n  h = relu(x)\n}\n"
                     "model B(x: f32[4]) -> f32[4] {\n"
                     "  return x\n"
                     "  h = relu(x)\n"
                     "  return h2\n"
                     "}\n"));
  EXPECT_EQ(diags, (Errors{"1:7: missing 'return' in model 'A'",
                           "6:3: statement after 'return'",
                           "7:10: unknown name 'h2'"}));
}

TEST_F(SemaTest, Redefinitions) {
  EXPECT_FALSE(check("model A(x: f32[4]) -> f32[4] { return x }\n"
                     "model A(x: f32[4], y: f32[2], x: f32[4]) -> f32[4] {\n"
                     "  return x\n"
                     "}\n"));
  EXPECT_EQ(diags, (Errors{"2:7: redefinition of model 'A'",
                           "1:7: note: previous definition is here",
                           "2:31: redefinition of input 'x'",
                           "2:9: note: previous definition is here"}));
}

TEST_F(SemaTest, BadTypes) {
  EXPECT_FALSE(check("model A(x: i32[4], y: f32[65536, 65536]) -> "
                     "f32[65536, 32768] {\n  return relu(x)\n}\n"
                     "model B(x: f32[4]) -> f16[4] { return x }\n"));
  EXPECT_EQ(diags,
            (Errors{
                "1:12: unsupported element type 'i32'; only f32 is supported",
                "1:23: input 'y' of type f32[65536, 65536] is too large (more "
                "than 2147483647 elements)",
                "1:45: result of type f32[65536, 32768] is too large (more "
                "than 2147483647 elements)",
                "4:23: unsupported element type 'f16'; only f32 is supported",
            }));
}

TEST_F(SemaTest, TooManyErrorsStops) {
  std::string body;
  for (int i = 0; i < 30; ++i)
    body += "  h = relu(nope)\n";
  body += "  return dense(x, 10)";
  EXPECT_FALSE(checkBody(body));
  ASSERT_EQ(diags.size(), 21u);
  EXPECT_EQ(diags[20], "22:12: too many errors; stopping");
}

} // namespace
