//===- main.cpp - Training a model compiled ahead of time -----------------===//
//
// The embedding path for training: the build compiled examples/fashion_mlp.nn
// into an object exporting the train step, and `fashion_mlp.h`. This program
// loads Fashion-MNIST with the runtime, initialises the parameters, trains
// with the runtime's loop (which calls the generated train step) and prints
// the test accuracy.
//
//   nnc-train-example [epochs] [data-dir]
//
//===----------------------------------------------------------------------===//

#include "fashion_mlp.h"

#include "runtime/Dataset.h"
#include "runtime/Params.h"
#include "runtime/Trainer.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv) {
  int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 1;
  std::string dir = argc > 2 ? argv[2] : nnc::kFashionMnistDir;

  nnc::Dataset train, test;
  for (auto [split, data] : {std::pair{nnc::Split::Train, &train},
                             std::pair{nnc::Split::Test, &test}})
    if (nnc::Status status = nnc::loadFashionMnist(dir, split, *data);
        !status) {
      std::fprintf(stderr, "error: %s\n", status.message().c_str());
      return 1;
    }

  nnc::models::FashionMLP model;
  nnc::initParams(model.descriptor(), model.params(), /*seed=*/1);
  nnc::TrainOptions options;
  options.epochs = epochs;
  options.seed = 1;
  nnc::TrainReport report;
  if (nnc::Status status = nnc::train(model.descriptor(), model.params(), train,
                                      &test, options, report);
      !status) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  std::printf("test accuracy: %.4f\n", report.finalTestAccuracy);
  return 0;
}
