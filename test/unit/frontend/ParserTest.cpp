//===- ParserTest.cpp - Unit tests for the nnc parser -----------*- C++ -*-===//
//
// The AST built for valid programs (checked through the dump and through the
// nodes directly), pipe desugaring, the depth limit, and error recovery: one
// run must report every independent syntax error, each at its own token.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "llvm/Support/Casting.h"

using namespace nnc;
using nnc::test::FrontendTest;

namespace {

using ParserTest = FrontendTest;
using Errors = std::vector<std::string>;

TEST_F(ParserTest, DumpBeforeSema) {
  auto module = parse("# comment\n"
                      "model MLP(x: f32[784], y: f32[1, 28, 28]) -> f32[10] {\n"
                      "  h = dense(x, 128, init=he) |> relu\n"
                      "  return reshape(h, [2, -5], shape=(1.5))\n"
                      "}\n");
  ASSERT_TRUE(module);
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(dump(*module), "Model 'MLP' @2:7\n"
                           "  Input 'x' f32[784] @2:11\n"
                           "  Input 'y' f32[1, 28, 28] @2:24\n"
                           "  Result f32[10] @2:46\n"
                           "  Assign 'h' @3:3\n"
                           "    Call relu [piped] @3:33\n"
                           "      Call dense @3:7\n"
                           "        Name 'x' @3:13\n"
                           "        Number 128 @3:16\n"
                           "        Keyword 'init' @3:21\n"
                           "          Name 'he' @3:26\n"
                           "  Return @4:3\n"
                           "    Call reshape @4:10\n"
                           "      Name 'h' @4:18\n"
                           "      List @4:21\n"
                           "        Number 2 @4:22\n"
                           "        Number -5 @4:25\n"
                           "      Keyword 'shape' @4:30\n"
                           "        Number 1.5 @4:37\n");
}

TEST_F(ParserTest, PipeDesugarsToCall) {
  auto module = parse("model M(x: f32[4]) -> f32[4] {\n"
                      "  return x |> add(x) |> relu\n"
                      "}");
  ASSERT_TRUE(module);
  const Expr &ret = *module->models[0].body[0].value;
  auto *relu = llvm::dyn_cast<CallExpr>(&ret);
  ASSERT_TRUE(relu);
  EXPECT_EQ(relu->callee, "relu");
  EXPECT_TRUE(relu->piped);
  ASSERT_EQ(relu->args.size(), 1u);
  auto *add = llvm::dyn_cast<CallExpr>(relu->args[0].value.get());
  ASSERT_TRUE(add);
  EXPECT_TRUE(add->piped);
  ASSERT_EQ(add->args.size(), 2u);
  EXPECT_TRUE(add->args[0].keyword.empty());
  EXPECT_EQ(llvm::cast<NameExpr>(*add->args[0].value).getLoc().col, 10u);
  EXPECT_EQ(llvm::cast<NameExpr>(*add->args[1].value).getLoc().col, 19u);
}

TEST_F(ParserTest, SeveralModelsAndStatementsOnOneLine) {
  auto module = parse("model A(x: f32[2]) -> f32[2] { h = relu(x) return (h) }"
                      "model B() -> f32[1] { return [] }");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->models.size(), 2u);
  EXPECT_EQ(module->models[0].body.size(), 2u);
  EXPECT_TRUE(module->models[1].inputs.empty());
  EXPECT_TRUE(llvm::isa<ListExpr>(*module->models[1].body[0].value));
}

TEST_F(ParserTest, NumberNodes) {
  auto module = parse("model M(x: f32[2]) -> f32[2] { return f(1e-3, -7) }");
  ASSERT_TRUE(module);
  auto &call = llvm::cast<CallExpr>(*module->models[0].body[0].value);
  auto &a = llvm::cast<NumberExpr>(*call.args[0].value);
  auto &b = llvm::cast<NumberExpr>(*call.args[1].value);
  EXPECT_FALSE(a.isInteger);
  EXPECT_DOUBLE_EQ(a.value, 1e-3);
  EXPECT_TRUE(b.isInteger);
  EXPECT_EQ(b.value, -7);
  EXPECT_EQ(b.spelling, "-7");
}

TEST_F(ParserTest, EmptyFile) {
  EXPECT_FALSE(parse(""));
  EXPECT_EQ(diags, Errors{"1:1: no model in file"});
}

TEST_F(ParserTest, OnlyComments) {
  EXPECT_FALSE(parse("# nothing here\n\n"));
  EXPECT_EQ(diags, Errors{"1:1: no model in file"});
}

TEST_F(ParserTest, RecoversAfterStatementErrors) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  a = relu(x\n"
                     "  b = (x\n"
                     "  c = relu(x) |> 3\n"
                     "  d = x\n"
                     "  5 = x\n"
                     "  d = dense(x, init=he, 4)\n"
                     "  e relu(x)\n"
                     "  return x\n"
                     "}\n"));
  EXPECT_EQ(diags, (Errors{
                       "3:3: expected ',' or ')' in the argument list, got 'b'",
                       "4:3: expected ')', got 'c'",
                       "4:18: expected a function name after '|>', got '3'",
                       "6:3: expected a statement, got '5'",
                       "7:25: positional argument follows keyword argument",
                       "8:5: expected '=' after 'e', got 'relu'",
                   }));
}

TEST_F(ParserTest, ErrorInsideArgumentsCanSwallowTheNextLine) {
  // `b = (x` reads as a keyword argument of the unfinished call: recovery
  // only starts at the token the parser cannot use.
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  a = relu(x,\n"
                     "  b = (x\n"
                     "  return x\n"
                     "}\n"));
  EXPECT_EQ(diags, Errors{"4:3: expected ')', got 'return'"});
}

TEST_F(ParserTest, ContinuationLinesAreSkipped) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  h = relu(x)) \n"
                     "    |> tanh\n"
                     "    |> relu\n"
                     "  return h ]\n"
                     "}\n"));
  EXPECT_EQ(diags, (Errors{"2:14: expected a statement, got ')'",
                           "5:12: expected a statement, got ']'"}));
}

TEST_F(ParserTest, HeaderErrorSkipsToNextModel) {
  EXPECT_FALSE(parse("model (x: f32[4]) -> f32[4] { return x }\n"
                     "model A(x f32[4]) -> f32[4] { return x }\n"
                     "model B(x: f32[4] -> f32[4] { return x }\n"
                     "model C(x: f32[4]) f32[4] { return x }\n"
                     "model D(x: f32[4]) -> [4] { return x }\n"
                     "model E(x: f32(4)) -> f32[4] { return x }\n"
                     "model F(x: f32[4.5]) -> f32[4] { return x }\n"
                     "model G(x: f32[4 4]) -> f32[4] { return x }\n"
                     "model H(x: f32[4]) -> f32[4] return x }\n"
                     "model I(3) -> f32[4] { return x }\n"
                     "model J(x: f32[0, -2]) -> f32[4] { return x }\n"));
  EXPECT_EQ(diags,
            (Errors{
                "1:7: expected a model name, got '('",
                "2:11: expected ':' after input 'x', got 'f32'",
                "3:19: expected ',' or ')' after an input, got '->'",
                "4:20: expected '->' after the model inputs, got 'f32'",
                "5:23: expected an element type, got '['",
                "6:15: expected '[' after the element type, got '('",
                "7:16: expected a dimension, got '4.5'",
                "8:18: expected ',' or ']' in the shape, got '4'",
                "9:30: expected '{' to open the model body, got 'return'",
                "10:9: expected an input name, got '3'",
                "11:16: dimension must be a positive integer, got 0",
                "11:19: dimension must be a positive integer, got -2",
            }));
}

TEST_F(ParserTest, TopLevelErrors) {
  EXPECT_FALSE(parse("x = 3\n"
                     "train M { }\n"
                     "model M(x: f32[4]) -> f32[4] { return x }\n"
                     "{ }\n"));
  EXPECT_EQ(diags, (Errors{"1:1: expected 'model' or 'train', got 'x'",
                           "4:1: expected 'model' or 'train', got '{'"}));
}

TEST_F(ParserTest, TrainInsideModel) {
  // Not followed by a name, `train` is a misplaced keyword, reported like
  // any other token that cannot start a statement.
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n  train\n  return x\n}"));
  EXPECT_EQ(diags, Errors{"2:3: expected a statement, got 'train'"});
}

TEST_F(ParserTest, UnterminatedModel) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n  return x\n"));
  EXPECT_EQ(diags, Errors{"3:1: expected '}' at end of model 'M', got end of "
                          "file"});
}

TEST_F(ParserTest, MissingBraceBeforeNextModel) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n  return x\n"
                     "model N(x: f32[4]) -> f32[4] { return y(x }\n"));
  EXPECT_EQ(diags, (Errors{"3:1: expected '}' at end of model 'M', got 'model'",
                           "3:43: expected ',' or ')' in the argument list, "
                           "got '}'"}));
}

TEST_F(ParserTest, BadLists) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  a = reshape(x, [1, 2)\n"
                     "  b = f(,)\n"
                     "  return x\n}"));
  EXPECT_EQ(diags, (Errors{"2:23: expected ',' or ']' in the list, got ')'",
                           "3:9: expected an expression, got ','"}));
}

TEST_F(ParserTest, IntegerOutOfRange) {
  EXPECT_FALSE(parse("model M(x: f32[99999999999999999999]) -> f32[3000000000] "
                     "{\n  return f(x, -9223372036854775809, "
                     "-9223372036854775808)\n}"));
  EXPECT_EQ(diags,
            (Errors{
                "1:16: integer literal '99999999999999999999' is out of range",
                "1:46: dimension 3000000000 is too large (limit 2147483647)",
                "2:15: integer literal '-9223372036854775809' is out of range",
            }));
}

TEST_F(ParserTest, LexerErrorsAreNotReportedTwice) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  h = dense(x, 1$28)\n"
                     "  g = relu(x) @\n"
                     "  return 12ab\n"
                     "}"));
  EXPECT_EQ(diags, (Errors{"2:17: unexpected character '$'",
                           "3:15: unexpected character '@'",
                           "4:10: invalid number literal '12ab'"}));
}

std::string nest(unsigned depth) {
  return std::string(depth, '(') + "x" + std::string(depth, ')');
}

std::string program(const std::string &expr) {
  return "model M(x: f32[4]) -> f32[4] {\n  return " + expr + "\n}\n";
}

TEST_F(ParserTest, DepthLimitParentheses) {
  // `return x` is at depth 1; each parenthesis adds one.
  EXPECT_TRUE(parse(program(nest(kMaxExprDepth - 1))));
  EXPECT_FALSE(parse(program(nest(kMaxExprDepth))));
  EXPECT_EQ(diags, Errors{"2:266: expression nested too deeply (limit 256)"});
}

TEST_F(ParserTest, DepthLimitCalls) {
  std::string calls;
  for (unsigned i = 0; i < kMaxExprDepth - 1; ++i)
    calls += "relu(";
  std::string ok = calls + "x" + std::string(kMaxExprDepth - 1, ')');
  EXPECT_TRUE(parse(program(ok)));
  std::string bad = "[" + ok + "]";
  EXPECT_FALSE(parse(program(bad)));
  EXPECT_EQ(diags.size(), 1u);
}

TEST_F(ParserTest, DepthLimitPipeChain) {
  std::string chain = "x";
  for (unsigned i = 0; i < kMaxExprDepth - 1; ++i)
    chain += " |> relu";
  EXPECT_TRUE(parse(program(chain)));
  // A long chain, as a fuzzer would write it, must neither overflow the stack
  // nor report more than once.
  for (unsigned i = 0; i < 100000; ++i)
    chain += " |> relu";
  EXPECT_FALSE(parse(program(chain)));
  EXPECT_EQ(diags, Errors{"2:" + std::to_string(12 + 8 * (kMaxExprDepth - 1)) +
                          ": expression nested too deeply (limit 256)"});
}

TEST_F(ParserTest, DepthLimitDeepNestFromFuzzer) {
  EXPECT_FALSE(parse(program(nest(200000))));
  EXPECT_EQ(diags.size(), 1u);
}

TEST_F(ParserTest, TooManyErrorsStops) {
  std::string source = "model M(x: f32[4]) -> f32[4] {\n";
  for (int i = 0; i < 40; ++i)
    source += "  h = )\n";
  source += "  return x\n}\n";
  EXPECT_FALSE(parse(source));
  ASSERT_EQ(diags.size(), 21u);
  EXPECT_EQ(diags[19], "21:7: expected an expression, got ')'");
  EXPECT_EQ(diags[20], "22:7: too many errors; stopping");
}

} // namespace
