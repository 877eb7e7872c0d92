//===- TrainTest.cpp - Unit tests for train blocks --------------*- C++ -*-===//
//
// `train` blocks end to end through the frontend: what the parser records
// for each form, syntax errors and recovery inside a block, how Sema
// resolves the settings (defaults, Adam's own default learning rate), and
// every error and warning Sema reports, each with its exact message and
// location.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "llvm/Support/Casting.h"

using namespace nnc;
using nnc::test::FrontendTest;

namespace {

using Errors = std::vector<std::string>;

/// A trainable classifier, on lines 1 to 3.
constexpr llvm::StringLiteral kMLP =
    "model M(x: f32[8]) -> f32[4] {\n"
    "  return dense(x, 16) |> relu |> dense(4)\n"
    "}\n";

class TrainTest : public FrontendTest {
protected:
  /// Checks kMLP followed by `train M { <body> }`: `train` is at 4:1 and the
  /// body starts on line 5.
  std::unique_ptr<ModuleAST> checkTrain(llvm::StringRef body) {
    source = (kMLP + "train M {\n" + body + "\n}\n").str();
    return check(source);
  }

  /// The dump of the only train block of `source` after checking.
  std::string dumpTrain(llvm::StringRef body) {
    std::unique_ptr<ModuleAST> module = checkTrain(body);
    if (!module)
      return "error: " + (diags.empty() ? "" : diags.front());
    std::string all = dump(*module);
    return all.substr(all.find("Train "));
  }

  std::string source;
};

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

TEST_F(TrainTest, ParsesSettingsAsWritten) {
  auto module = parse("train MLP {\n"
                      "  loss = mse\n"
                      "  optimizer = sgd(lr=0.5, momentum=0.9)\n"
                      "  batch = 32\n"
                      "}\n"
                      "model MLP(x: f32[4]) -> f32[4] { return x }\n");
  ASSERT_TRUE(module);
  EXPECT_TRUE(diags.empty());
  ASSERT_EQ(module->trainBlocks.size(), 1u);
  const TrainBlock &block = module->trainBlocks[0];
  EXPECT_EQ(block.model, "MLP");
  EXPECT_EQ(block.loc.line, 1u);
  EXPECT_EQ(block.loc.col, 1u);
  EXPECT_EQ(block.modelLoc.col, 7u);
  ASSERT_EQ(block.settings.size(), 3u);

  EXPECT_EQ(block.settings[0].name, "loss");
  EXPECT_EQ(block.settings[0].loc.line, 2u);
  EXPECT_EQ(block.settings[0].loc.col, 3u);
  auto *loss = llvm::dyn_cast<NameExpr>(block.settings[0].value.get());
  ASSERT_TRUE(loss);
  EXPECT_EQ(loss->name, "mse");

  EXPECT_EQ(block.settings[1].name, "optimizer");
  auto *sgd = llvm::dyn_cast<CallExpr>(block.settings[1].value.get());
  ASSERT_TRUE(sgd);
  EXPECT_EQ(sgd->callee, "sgd");
  ASSERT_EQ(sgd->args.size(), 2u);
  EXPECT_EQ(sgd->args[1].keyword, "momentum");
  EXPECT_EQ(sgd->args[1].loc.col, 27u);

  auto *batch = llvm::dyn_cast<NumberExpr>(block.settings[2].value.get());
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->spelling, "32");
  EXPECT_EQ(batch->getLoc().col, 11u);

  // Nothing is resolved before Sema.
  EXPECT_EQ(block.loss, LossKind::SoftmaxCrossEntropy);
  EXPECT_EQ(block.batch, 64);
}

TEST_F(TrainTest, OptimizerWithoutParentheses) {
  auto module = parse("model M(x: f32[4]) -> f32[4] { return x }\n"
                      "train M { optimizer = adam }\n"
                      "train N { optimizer = sgd() }\n");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->trainBlocks.size(), 2u);
  EXPECT_TRUE(llvm::isa<NameExpr>(*module->trainBlocks[0].settings[0].value));
  auto *sgd =
      llvm::dyn_cast<CallExpr>(module->trainBlocks[1].settings[0].value.get());
  ASSERT_TRUE(sgd);
  EXPECT_TRUE(sgd->args.empty());
}

TEST_F(TrainTest, NewlinesDoNotMatter) {
  auto module = parse("model A(x: f32[4]) -> f32[4] { return x } train A { "
                      "loss = mse batch = 8 epochs = 2 } model B(x: f32[4]) "
                      "-> f32[4] { return x }\n"
                      "train\nB\n{\nloss\n=\nmse\noptimizer\n=\nadam\n(\nlr\n="
                      "\n0.1\n)\n}");
  ASSERT_TRUE(module);
  EXPECT_TRUE(diags.empty());
  ASSERT_EQ(module->models.size(), 2u);
  ASSERT_EQ(module->trainBlocks.size(), 2u);
  EXPECT_EQ(module->trainBlocks[0].settings.size(), 3u);
  EXPECT_EQ(module->trainBlocks[1].settings.size(), 2u);
}

TEST_F(TrainTest, EmptyBlock) {
  auto module = parse("model M(x: f32[4]) -> f32[4] { return x }\n"
                      "train M {}");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->trainBlocks.size(), 1u);
  EXPECT_TRUE(module->trainBlocks[0].settings.empty());
}

TEST_F(TrainTest, HeaderErrors) {
  // After an error in a header the parser resumes at the next `model` or
  // `train <name>`: the `train 3` on line 3 is skipped with the rest of
  // line 2.
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] { return x }\n"
                     "train { loss = mse }\n"
                     "train 3 { }\n"
                     "train M loss = mse }\n"
                     "train M ( }\n"
                     "train M { batch = 2 }\n"
                     "model N(x: f32[4]) -> f32[4] { return x }\n"
                     "train 3 { }\n"));
  EXPECT_EQ(diags,
            (Errors{
                "2:7: expected a model name, got '{'",
                "4:9: expected '{' to open the 'train' block, got 'loss'",
                "5:9: expected '{' to open the 'train' block, got '('",
                "8:7: expected a model name, got '3'",
            }));
}

TEST_F(TrainTest, SettingErrorsRecoverAtTheNextLine) {
  // As in models: a line that cannot start a setting (`3 = 4`) continues
  // the broken one.
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] { return x }\n"
                     "train M {\n"
                     "  loss mse\n"
                     "  3 = 4\n"
                     "  optimizer = sgd(lr=0.1 momentum=0.9)\n"
                     "  batch = )\n"
                     "  epochs = 10 ]\n"
                     "  loss = mse\n"
                     "  return x\n"
                     "  optimizer = adam(lr=\n"
                     "    0.1, beta1=)\n"
                     "}\n"));
  EXPECT_EQ(
      diags,
      (Errors{
          "3:8: expected '=' after 'loss', got 'mse'",
          "5:26: expected ',' or ')' in the argument list, got 'momentum'",
          "6:11: expected an expression, got ')'",
          "7:15: expected a setting, got ']'",
          "9:3: expected a setting, got 'return'",
          "11:16: expected an expression, got ')'",
      }));
}

TEST_F(TrainTest, UnterminatedBlock) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] { return x }\n"
                     "train M {\n"
                     "  batch = 4\n"
                     "model N(x: f32[4]) -> f32[4] { return x }\n"
                     "train N {\n"
                     "  batch = 4\n"
                     "train M {\n"
                     "}\n"
                     "train N { epochs = 2\n"));
  EXPECT_EQ(diags,
            (Errors{
                "4:1: expected '}' at end of the 'train' block for 'M', got "
                "'model'",
                "7:1: expected '}' at end of the 'train' block for 'N', got "
                "'train'",
                "10:1: expected '}' at end of the 'train' block for 'N', got "
                "end of file",
            }));
}

TEST_F(TrainTest, TrainBlockEndsAnUnterminatedModel) {
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  return x\n"
                     "train M {\n"
                     "  batch = 4\n"
                     "}\n"));
  EXPECT_EQ(diags,
            Errors{"3:1: expected '}' at end of model 'M', got 'train'"});
}

TEST_F(TrainTest, MisplacedKeyword) {
  // `train` not followed by a name inside a block is a bad statement or
  // setting, not the start of a new block.
  EXPECT_FALSE(parse("model M(x: f32[4]) -> f32[4] {\n"
                     "  train(x)\n"
                     "  return x\n"
                     "}\n"
                     "train M {\n"
                     "  train = 3\n"
                     "  batch = 2\n"
                     "}\n"));
  EXPECT_EQ(diags, (Errors{"2:3: expected a statement, got 'train'",
                           "6:3: expected a setting, got 'train'"}));
}

TEST_F(TrainTest, NoModelInFile) {
  EXPECT_FALSE(parse("train M { }\n"));
  EXPECT_EQ(diags, Errors{"1:1: no model in file"});
}

//===----------------------------------------------------------------------===//
// Settings
//===----------------------------------------------------------------------===//

TEST_F(TrainTest, Defaults) {
  EXPECT_EQ(dumpTrain(""), "Train 'M' @4:1\n"
                           "  loss softmax_cross_entropy\n"
                           "  optimizer sgd lr=0.01 momentum=0 weight_decay=0\n"
                           "  batch 64\n"
                           "  epochs 10\n");
  const TrainBlock &block = checkTrain("")->trainBlocks[0];
  EXPECT_EQ(block.loss, LossKind::SoftmaxCrossEntropy);
  EXPECT_EQ(block.optimizer, OptimizerKind::SGD);
  EXPECT_EQ(block.lr, 0.01);
  EXPECT_EQ(block.momentum, 0);
  EXPECT_EQ(block.weightDecay, 0);
  EXPECT_EQ(block.batch, 64);
  EXPECT_EQ(block.epochs, 10);
}

TEST_F(TrainTest, EverySgdSetting) {
  EXPECT_EQ(dumpTrain("  loss = softmax_cross_entropy\n"
                      "  optimizer = sgd(lr=0.05, momentum=0.9, "
                      "weight_decay=0.0001)\n"
                      "  batch = 128\n"
                      "  epochs = 3\n"),
            "Train 'M' @4:1\n"
            "  loss softmax_cross_entropy\n"
            "  optimizer sgd lr=0.05 momentum=0.9 weight_decay=0.0001\n"
            "  batch 128\n"
            "  epochs 3\n");
}

TEST_F(TrainTest, EveryAdamSetting) {
  auto module =
      checkTrain("  loss = mse  epochs = 1000000  batch = 2147483647\n"
                 "  optimizer = adam(eps=1e-7, beta2=0.99, "
                 "beta1=0, lr=2e-4)\n");
  ASSERT_TRUE(module) << diags.front();
  const TrainBlock &block = module->trainBlocks[0];
  EXPECT_EQ(block.loss, LossKind::MSE);
  EXPECT_EQ(block.optimizer, OptimizerKind::Adam);
  EXPECT_EQ(block.lr, 2e-4);
  EXPECT_EQ(block.beta1, 0);
  EXPECT_EQ(block.beta2, 0.99);
  EXPECT_EQ(block.eps, 1e-7);
  EXPECT_EQ(block.batch, 2147483647);
  EXPECT_EQ(block.epochs, 1000000);
  EXPECT_EQ(dump(*module).substr(dump(*module).find("Train ")),
            "Train 'M' @4:1\n"
            "  loss mse\n"
            "  optimizer adam lr=0.0002 beta1=0 beta2=0.99 eps=1e-7\n"
            "  batch 2147483647\n"
            "  epochs 1000000\n");
}

TEST_F(TrainTest, AdamDefaultLearningRate) {
  EXPECT_EQ(dumpTrain("  optimizer = adam\n"),
            "Train 'M' @4:1\n"
            "  loss softmax_cross_entropy\n"
            "  optimizer adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-8\n"
            "  batch 64\n"
            "  epochs 10\n");
  diags.clear();
  auto module = checkTrain("  optimizer = adam(beta1=0.5)\n");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->trainBlocks[0].lr, 0.001);
  EXPECT_EQ(module->trainBlocks[0].beta1, 0.5);
  // An explicit lr wins, even one equal to sgd's default.
  module = checkTrain("  optimizer = adam(lr=0.01)\n");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->trainBlocks[0].lr, 0.01);
  module = checkTrain("  optimizer = sgd()\n");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->trainBlocks[0].lr, 0.01);
}

TEST_F(TrainTest, BoundaryValuesAreAccepted) {
  auto module = checkTrain("  optimizer = sgd(lr=1e300, momentum=0.999999, "
                           "weight_decay=0)\n  batch = 1  epochs = 1\n");
  ASSERT_TRUE(module) << diags.front();
  EXPECT_EQ(module->trainBlocks[0].momentum, 0.999999);
  EXPECT_TRUE(diags.empty());
}

TEST_F(TrainTest, DumpInSourceOrder) {
  auto module = check("train B { }\n"
                      "model A(x: f32[4]) -> f32[2] { return dense(x, 2) }\n"
                      "train A { loss = mse }\n"
                      "model B(x: f32[4]) -> f32[2] { return dense(x, 2) }\n");
  ASSERT_TRUE(module) << diags.front();
  std::string out = dump(*module);
  size_t trainB = out.find("Train 'B' @1:1\n");
  size_t modelA = out.find("Model 'A' @2:7\n");
  size_t trainA = out.find("Train 'A' @3:1\n");
  size_t modelB = out.find("Model 'B' @4:7\n");
  ASSERT_NE(modelB, std::string::npos);
  EXPECT_EQ(trainB, 0u);
  EXPECT_LT(trainB, modelA);
  EXPECT_LT(modelA, trainA);
  EXPECT_LT(trainA, modelB);
}

TEST_F(TrainTest, UnknownSetting) {
  EXPECT_FALSE(checkTrain("  lr = 0.1\n  loss = mse\n  shuffle = true"));
  EXPECT_EQ(diags, (Errors{"5:3: unknown setting 'lr'; expected one of loss, "
                           "optimizer, batch, epochs, augment",
                           "7:3: unknown setting 'shuffle'; expected one of "
                           "loss, optimizer, batch, epochs, augment"}));
}

TEST_F(TrainTest, Augment) {
  constexpr llvm::StringLiteral kImage =
      "model C(x: f32[1, 6, 6]) -> f32[4] {\n"
      "  return dense(flatten(conv2d(x, 2, 3)), 4)\n"
      "}\n";
  auto both =
      check((kImage + "train C { augment = [flip, shift(3)] }\n").str());
  ASSERT_TRUE(both) << diags.front();
  EXPECT_TRUE(both->trainBlocks[0].augmentFlip);
  EXPECT_EQ(both->trainBlocks[0].augmentShift, 3);
  std::string all = dump(*both);
  EXPECT_NE(all.find("  augment flip=true shift=3\n"), std::string::npos)
      << all;

  auto shift = check((kImage + "train C { augment = shift(2) }\n").str());
  ASSERT_TRUE(shift) << diags.front();
  EXPECT_FALSE(shift->trainBlocks[0].augmentFlip);
  EXPECT_EQ(shift->trainBlocks[0].augmentShift, 2);

  auto none = check((kImage + "train C { }\n").str());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->trainBlocks[0].augmentFlip);
  EXPECT_EQ(none->trainBlocks[0].augmentShift, 0);

  EXPECT_FALSE(check((kImage + "train C { augment = shift(65) }\n").str()));
  EXPECT_EQ(diags, (Errors{"4:27: shift 65 is too large (limit 64)"}));
}

TEST_F(TrainTest, DuplicateSetting) {
  EXPECT_FALSE(checkTrain("  batch = 32\n  loss = mse\n  batch = 64\n"
                          "  optimizer = sgd  optimizer = adam(lr=-1)"));
  EXPECT_EQ(diags, (Errors{"7:3: duplicate setting 'batch'",
                           "5:3: note: previously set here",
                           "8:20: duplicate setting 'optimizer'",
                           "8:3: note: previously set here"}));
}

TEST_F(TrainTest, BadLoss) {
  EXPECT_FALSE(checkTrain("  loss = cross_entropy"));
  EXPECT_EQ(diags, Errors{"5:10: 'loss' must be one of softmax_cross_entropy, "
                          "mse, got 'cross_entropy'"});
  diags.clear();
  EXPECT_FALSE(checkTrain("  loss = 2"));
  EXPECT_EQ(diags, Errors{"5:10: 'loss' must be one of softmax_cross_entropy, "
                          "mse, got 2"});
  diags.clear();
  EXPECT_FALSE(checkTrain("  loss = mse(x)"));
  EXPECT_EQ(diags, Errors{"5:10: 'loss' must be one of softmax_cross_entropy, "
                          "mse, got a call to 'mse'"});
}

TEST_F(TrainTest, BadOptimizer) {
  EXPECT_FALSE(checkTrain("  optimizer = rmsprop(lr=-1, rho=0.9)\n"
                          "  optimizer = 0.1"));
  // The arguments of an unknown optimizer are not checked.
  EXPECT_EQ(diags, (Errors{"5:15: 'optimizer' must be one of sgd, adam, got a "
                           "call to 'rmsprop'",
                           "6:3: duplicate setting 'optimizer'",
                           "5:3: note: previously set here"}));
  diags.clear();
  EXPECT_FALSE(checkTrain("  optimizer = [sgd]"));
  EXPECT_EQ(diags, Errors{"5:15: 'optimizer' must be one of sgd, adam, got a "
                          "list"});
  diags.clear();
  EXPECT_FALSE(checkTrain("  optimizer = Adam"));
  EXPECT_EQ(diags, Errors{"5:15: 'optimizer' must be one of sgd, adam, got "
                          "'Adam'"});
}

TEST_F(TrainTest, OptimizerArgumentBinding) {
  EXPECT_FALSE(checkTrain("  optimizer = sgd(0.1, beta1=0.9, lr=0.1, lr=0.2, "
                          "momentum=0.5)"));
  EXPECT_EQ(diags, (Errors{"5:19: 'sgd' arguments must be passed by keyword",
                           "5:24: 'sgd' has no argument 'beta1'",
                           "5:43: duplicate keyword argument 'lr'"}));
  diags.clear();
  EXPECT_FALSE(checkTrain("  optimizer = 0.001 |> adam(momentum=0.9)"));
  EXPECT_EQ(diags, (Errors{"5:15: 'adam' arguments must be passed by keyword",
                           "5:29: 'adam' has no argument 'momentum'"}));
}

TEST_F(TrainTest, BadLearningRate) {
  EXPECT_FALSE(checkTrain("  optimizer = sgd(lr=0)"));
  EXPECT_FALSE(checkTrain("  optimizer = sgd(lr=-0.1)"));
  EXPECT_FALSE(checkTrain("  optimizer = sgd(lr=1e400)"));
  EXPECT_FALSE(checkTrain("  optimizer = adam(lr=fast)"));
  EXPECT_FALSE(checkTrain("  optimizer = adam(lr=-0)"));
  EXPECT_EQ(diags,
            (Errors{
                "5:22: 'sgd' argument 'lr' must be a positive finite number, "
                "got 0",
                "5:22: 'sgd' argument 'lr' must be a positive finite number, "
                "got -0.1",
                "5:22: 'sgd' argument 'lr' must be a positive finite number, "
                "got 1e400",
                "5:23: 'adam' argument 'lr' must be a positive finite number, "
                "got 'fast'",
                "5:23: 'adam' argument 'lr' must be a positive finite number, "
                "got -0",
            }));
}

TEST_F(TrainTest, BadMomentumAndWeightDecay) {
  EXPECT_FALSE(checkTrain("  optimizer = sgd(momentum=1, weight_decay=-1e-4)"));
  EXPECT_FALSE(checkTrain("  optimizer = sgd(momentum=-0.5, "
                          "weight_decay=1e999)"));
  EXPECT_FALSE(checkTrain("  optimizer = sgd(momentum=[0.9], "
                          "weight_decay=none)"));
  EXPECT_EQ(diags,
            (Errors{
                "5:28: 'sgd' argument 'momentum' must be a number in [0, 1), "
                "got 1",
                "5:44: 'sgd' argument 'weight_decay' must be a non-negative "
                "finite number, got -1e-4",
                "5:28: 'sgd' argument 'momentum' must be a number in [0, 1), "
                "got -0.5",
                "5:47: 'sgd' argument 'weight_decay' must be a non-negative "
                "finite number, got 1e999",
                "5:28: 'sgd' argument 'momentum' must be a number in [0, 1), "
                "got a list",
                "5:48: 'sgd' argument 'weight_decay' must be a non-negative "
                "finite number, got 'none'",
            }));
}

TEST_F(TrainTest, BadAdamArguments) {
  EXPECT_FALSE(checkTrain("  optimizer = adam(beta1=1, beta2=1.5, eps=0)"));
  EXPECT_FALSE(checkTrain("  optimizer = adam(beta1=-0.1, beta2=-1, "
                          "eps=1e999)"));
  EXPECT_FALSE(checkTrain("  optimizer = adam(eps=-1e-8, beta2=x)"));
  EXPECT_EQ(diags,
            (Errors{
                "5:26: 'adam' argument 'beta1' must be a number in [0, 1), "
                "got 1",
                "5:35: 'adam' argument 'beta2' must be a number in [0, 1), "
                "got 1.5",
                "5:44: 'adam' argument 'eps' must be a positive finite number, "
                "got 0",
                "5:26: 'adam' argument 'beta1' must be a number in [0, 1), "
                "got -0.1",
                "5:38: 'adam' argument 'beta2' must be a number in [0, 1), "
                "got -1",
                "5:46: 'adam' argument 'eps' must be a positive finite number, "
                "got 1e999",
                "5:24: 'adam' argument 'eps' must be a positive finite number, "
                "got -1e-8",
                "5:37: 'adam' argument 'beta2' must be a number in [0, 1), "
                "got 'x'",
            }));
}

TEST_F(TrainTest, BadBatch) {
  EXPECT_FALSE(checkTrain("  batch = 0"));
  EXPECT_FALSE(checkTrain("  batch = -32"));
  EXPECT_FALSE(checkTrain("  batch = 64.0"));
  EXPECT_FALSE(checkTrain("  batch = big"));
  EXPECT_FALSE(checkTrain("  batch = 2147483648"));
  EXPECT_EQ(diags, (Errors{
                       "5:11: 'batch' must be a positive integer, got 0",
                       "5:11: 'batch' must be a positive integer, got -32",
                       "5:11: 'batch' must be a positive integer, got 64.0",
                       "5:11: 'batch' must be a positive integer, got 'big'",
                       "5:11: batch 2147483648 is too large (limit 2147483647)",
                   }));
}

TEST_F(TrainTest, BadEpochs) {
  EXPECT_FALSE(checkTrain("  epochs = 0"));
  EXPECT_FALSE(checkTrain("  epochs = 1e3"));
  EXPECT_FALSE(checkTrain("  epochs = [10]"));
  EXPECT_FALSE(checkTrain("  epochs = 1000001"));
  EXPECT_EQ(diags, (Errors{
                       "5:12: 'epochs' must be a positive integer, got 0",
                       "5:12: 'epochs' must be a positive integer, got 1e3",
                       "5:12: 'epochs' must be a positive integer, got a list",
                       "5:12: epochs 1000001 is too large (limit 1000000)",
                   }));
}

TEST_F(TrainTest, EverySettingIsCheckedInOneRun) {
  EXPECT_FALSE(checkTrain("  loss = l1\n"
                          "  optimizer = sgd(lr=0, momentum=2)\n"
                          "  batch = 0\n"
                          "  epochs = 0\n"
                          "  foo = 1\n"));
  EXPECT_EQ(diags.size(), 6u);
}

TEST_F(TrainTest, TooManyErrorsStops) {
  std::string body;
  for (int i = 0; i < 30; ++i)
    body += "  foo = 1\n";
  EXPECT_FALSE(checkTrain(body));
  ASSERT_EQ(diags.size(), 21u);
  EXPECT_EQ(diags[20], "25:3: too many errors; stopping");
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

TEST_F(TrainTest, UnknownModel) {
  EXPECT_FALSE(check(std::string(kMLP) + "train MLP {\n  batch = 0\n}\n"));
  // The settings are still checked.
  EXPECT_EQ(diags, (Errors{"4:7: unknown model 'MLP'",
                           "5:11: 'batch' must be a positive integer, got 0"}));
}

TEST_F(TrainTest, OneBlockPerModel) {
  EXPECT_FALSE(check("model M(x: f32[4], y: f32[4]) -> f32[2] {\n"
                     "  return dense(x, 2)\n"
                     "}\n"
                     "train M { }\n"
                     "train M { loss = mse }\n"
                     "train M { batch = 0 }\n"));
  // The model's own problem is reported once, for the first block.
  EXPECT_EQ(diags,
            (Errors{"4:7: 'train' needs a model with one input; 'M' has 2",
                    "5:1: model 'M' already has a 'train' block",
                    "4:1: note: previous 'train' block is here",
                    "6:1: model 'M' already has a 'train' block",
                    "4:1: note: previous 'train' block is here",
                    "6:19: 'batch' must be a positive integer, got 0"}));
}

TEST_F(TrainTest, ModelNeedsOneInput) {
  EXPECT_FALSE(check("model Two(a: f32[4], b: f32[4]) -> f32[2] {\n"
                     "  return dense(add(a, b), 2)\n"
                     "}\n"
                     "train Two { }\n"));
  EXPECT_EQ(diags,
            Errors{"4:7: 'train' needs a model with one input; 'Two' has 2"});
  diags.clear();
  EXPECT_FALSE(check("model None() -> f32[1] {\n"
                     "  return dense(dense(x, 1), 1)\n"
                     "}\n"
                     "train None { loss = mse }\n"));
  EXPECT_EQ(diags, (Errors{"2:22: unknown name 'x'",
                           "4:7: 'train' needs a model with one input; 'None' "
                           "has 0"}));
}

TEST_F(TrainTest, CrossEntropyNeedsRankOneOutput) {
  std::string model = "model Img(x: f32[16]) -> f32[2, 5] {\n"
                      "  return reshape(dense(x, 10), [2, 5])\n"
                      "}\n";
  EXPECT_FALSE(check(model + "train Img { batch = 8 }\n"));
  EXPECT_FALSE(check(model + "train Img { loss = softmax_cross_entropy }\n"));
  EXPECT_EQ(diags,
            (Errors{"4:7: softmax_cross_entropy needs a rank-1 output (class "
                    "scores), 'Img' returns f32[2, 5]",
                    "4:20: softmax_cross_entropy needs a rank-1 output (class "
                    "scores), 'Img' returns f32[2, 5]"}));
  diags.clear();
  EXPECT_TRUE(check(model + "train Img { loss = mse }\n"));
  EXPECT_TRUE(diags.empty());
}

TEST_F(TrainTest, ModelNeedsParameters) {
  EXPECT_FALSE(check("model Act(x: f32[4]) -> f32[4] {\n"
                     "  return x |> relu\n"
                     "}\n"
                     "train Act { loss = mse }\n"));
  EXPECT_EQ(diags, Errors{"4:7: model 'Act' has no parameters to train"});
}

TEST_F(TrainTest, BrokenModelIsNotCheckedForParameters) {
  // The layer is lost to the unknown function around it; saying the model
  // has no parameters would only confuse.
  EXPECT_FALSE(check("model M(x: f32[4]) -> f32[4] {\n"
                     "  return conv(dense(x, 4))\n"
                     "}\n"
                     "train M { loss = mse }\n"));
  EXPECT_EQ(diags, Errors{"2:10: unknown function 'conv'"});
}

TEST_F(TrainTest, SoftmaxBeforeCrossEntropyWarns) {
  auto module = check("model MLP(x: f32[8]) -> f32[4] {\n"
                      "  return dense(x, 4) |> softmax\n"
                      "}\n"
                      "model P(x: f32[8]) -> f32[4] {\n"
                      "  return softmax(dense(x, 4))\n"
                      "}\n"
                      "train MLP { }\n"
                      "train P { loss = softmax_cross_entropy }\n");
  // A warning does not fail the check.
  ASSERT_TRUE(module);
  EXPECT_EQ(diags,
            (Errors{"2:25: warning: 'MLP' ends in softmax, but "
                    "softmax_cross_entropy applies its own; return the logits "
                    "instead",
                    "5:10: warning: 'P' ends in softmax, but "
                    "softmax_cross_entropy applies its own; return the logits "
                    "instead"}));
}

TEST_F(TrainTest, SoftmaxIsFineElsewhere) {
  // With mse, or not at the end, softmax is the model's business.
  EXPECT_TRUE(check("model A(x: f32[8]) -> f32[4] {\n"
                    "  return dense(x, 4) |> softmax\n"
                    "}\n"
                    "model B(x: f32[8]) -> f32[4] {\n"
                    "  return dense(softmax(x), 4)\n"
                    "}\n"
                    "train A { loss = mse }\n"
                    "train B { }\n"));
  EXPECT_TRUE(diags.empty());
}

TEST_F(TrainTest, ModelErrorsAndWarningTogether) {
  EXPECT_FALSE(check("model Two(a: f32[8], b: f32[8]) -> f32[4] {\n"
                     "  return softmax(dense(add(a, b), 4))\n"
                     "}\n"
                     "train Two {}\n"));
  EXPECT_EQ(diags, (Errors{"4:7: 'train' needs a model with one input; 'Two' "
                           "has 2",
                           "2:10: warning: 'Two' ends in softmax, but "
                           "softmax_cross_entropy applies its own; return the "
                           "logits instead"}));
}

} // namespace
