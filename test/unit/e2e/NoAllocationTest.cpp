//===- NoAllocationTest.cpp - Training steps never touch the heap ---------===//
//
// The generated training entry points carve every intermediate out of the
// caller's workspace (nnc-use-workspace), recurrent layers' per-step states
// and activations included: `train_step`, `gradient` and `eval` must not
// allocate. This test replaces malloc and its relatives in the test binary
// (the models of step_models.nn are linked in, so their calls bind to these)
// with versions that forward to glibc and count while a step runs. As a
// control, `forward`, which has no workspace argument, must be seen making
// exactly one allocation (its planned intermediates): that shows the counter
// sees the generated code's calls. `forward_ws`, given that buffer, must
// make none and give the same output. GradientEntryTest checks, with the
// same models, that the gradient entry point (train_step without its
// update) changes no parameter and gives train_step's gradients. The model
// of step_models_split.nn is compiled with --parallel, its first layer
// split into two branches.
//
//===----------------------------------------------------------------------===//

#include "step_models.h"
#include "step_models_split.h"

#include "runtime/Params.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);
}

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void noteAllocation() {
  if (counting.load(std::memory_order_relaxed))
    allocations.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

extern "C" {
void *malloc(size_t size) {
  noteAllocation();
  return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
  noteAllocation();
  return __libc_calloc(count, size);
}
void *realloc(void *ptr, size_t size) {
  noteAllocation();
  return __libc_realloc(ptr, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  noteAllocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  noteAllocation();
  *out = __libc_memalign(alignment, size);
  return *out ? 0 : ENOMEM;
}
void free(void *ptr) { __libc_free(ptr); }
}

namespace {

/// Heap allocations made while `fn` runs.
template <typename Fn> long countAllocations(Fn fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations.load();
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

/// The entry points and sizes of one compiled model.
struct StepModel {
  const nnc_model_desc &desc;
  int64_t inputSize, outputSize, optStateSize, workspaceBytes;
  decltype(&nnc_StepMLP_forward) forward;
  decltype(&nnc_StepMLP_forward_ws) forwardWs;
  int64_t forwardWorkspaceBytes;
  decltype(&nnc_StepMLP_train_step) trainStep;
  decltype(&nnc_StepMLP_gradient) gradient;
  decltype(&nnc_StepMLP_eval) eval;
};

constexpr int64_t kBatch = 8;

#define STEP_MODEL(M)                                                          \
  StepModel {                                                                  \
    nnc_##M##_desc, NNC_##M##_INPUT_x_SIZE, NNC_##M##_OUTPUT_SIZE,             \
        NNC_##M##_OPT_STATE_SIZE, NNC_##M##_WORKSPACE_SIZE(kBatch),            \
        nnc_##M##_forward, nnc_##M##_forward_ws,                               \
        NNC_##M##_FORWARD_WORKSPACE_SIZE(kBatch), nnc_##M##_train_step,        \
        nnc_##M##_gradient, nnc_##M##_eval                                     \
  }

void checkNoAllocation(const StepModel &m) {
  SCOPED_TRACE(m.desc.name);
  std::vector<float> params(m.desc.param_size), grads(m.desc.param_size);
  std::vector<float> optState(m.optStateSize, 0.0f);
  nnc::initParams(m.desc, params.data(), /*seed=*/1);
  std::vector<float> x(kBatch * m.inputSize), out(kBatch * m.outputSize);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 13) / 13.0f;
  bool mse = m.desc.train->loss == NNC_LOSS_MSE;
  std::vector<int32_t> classes(kBatch);
  std::vector<float> targets(kBatch * m.outputSize, 0.5f);
  for (int64_t n = 0; n < kBatch; ++n)
    classes[n] = int32_t(n % m.outputSize);
  const void *labels = mse ? static_cast<const void *>(targets.data())
                           : static_cast<const void *>(classes.data());
  std::unique_ptr<void, FreeDeleter> workspace(
      std::aligned_alloc(64, (m.workspaceBytes + 63) / 64 * 64));
  ASSERT_TRUE(workspace);

  float loss = 0;
  int64_t correct = 0;
  long during = countAllocations([&] {
    for (int64_t step = 1; step <= 5; ++step)
      loss = m.trainStep(params.data(), grads.data(), optState.data(), step,
                         /*seed=*/7, x.data(), labels, kBatch, workspace.get());
    m.gradient(params.data(), grads.data(), /*seed=*/7, x.data(), labels,
               kBatch, workspace.get());
    m.eval(params.data(), x.data(), labels, kBatch, &correct, workspace.get());
  });
  EXPECT_EQ(during, 0) << "train_step, gradient or eval allocated";
  EXPECT_TRUE(std::isfinite(loss));

  // forward has no workspace argument: it allocates one buffer per call for
  // all its intermediates, planned as the entry points' workspace is (one
  // allocation whose pages the allocator reuses from call to call, rather
  // than one per intermediate). Seeing it also shows that the counter sees
  // the generated code's calls.
  long control = countAllocations(
      [&] { m.forward(params.data(), x.data(), kBatch, out.data()); });
  EXPECT_EQ(control, 1) << "forward should allocate exactly one buffer";

  // forward_ws takes that buffer from the caller: no allocation, the same
  // output.
  std::unique_ptr<void, FreeDeleter> forwardWorkspace(
      std::aligned_alloc(64, (m.forwardWorkspaceBytes + 64) / 64 * 64));
  ASSERT_TRUE(forwardWorkspace);
  std::vector<float> outWs(out.size(), -1.0f);
  long withWorkspace = countAllocations([&] {
    m.forwardWs(params.data(), x.data(), kBatch, outWs.data(),
                forwardWorkspace.get());
  });
  EXPECT_EQ(withWorkspace, 0) << "forward_ws allocated";
  EXPECT_EQ(outWs, out);
}

/// nnc_M_gradient is nnc_M_train_step without its update: it must leave
/// parameters (batch norm's running statistics included) as they were, and
/// give the gradients the first train step computes from the same
/// parameters when nothing depends on the dropout key.
void checkGradientUpdatesNothing(const StepModel &m, bool usesKey) {
  SCOPED_TRACE(m.desc.name);
  std::vector<float> params(m.desc.param_size), grads(m.desc.param_size);
  nnc::initParams(m.desc, params.data(), /*seed=*/3);
  const std::vector<float> initial = params;
  std::vector<float> x(kBatch * m.inputSize);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 11) / 11.0f - 0.3f;
  bool mse = m.desc.train->loss == NNC_LOSS_MSE;
  std::vector<int32_t> classes(kBatch);
  std::vector<float> targets(kBatch * m.outputSize, 0.25f);
  for (int64_t n = 0; n < kBatch; ++n)
    classes[n] = int32_t((n * 3) % m.outputSize);
  const void *labels = mse ? static_cast<const void *>(targets.data())
                           : static_cast<const void *>(classes.data());
  std::unique_ptr<void, FreeDeleter> workspace(
      std::aligned_alloc(64, (m.workspaceBytes + 63) / 64 * 64));
  ASSERT_TRUE(workspace);

  float loss = m.gradient(params.data(), grads.data(), /*seed=*/7, x.data(),
                          labels, kBatch, workspace.get());
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_EQ(params, initial) << "gradient changed the parameters";
  EXPECT_TRUE(std::any_of(grads.begin(), grads.end(),
                          [](float g) { return g != 0.0f; }));
  if (usesKey)
    return;
  std::vector<float> stepGrads(m.desc.param_size);
  std::vector<float> optState(m.optStateSize, 0.0f);
  float stepLoss = m.trainStep(params.data(), stepGrads.data(), optState.data(),
                               /*step=*/1, /*seed=*/7, x.data(), labels, kBatch,
                               workspace.get());
  EXPECT_EQ(stepLoss, loss);
  EXPECT_EQ(stepGrads, grads);
  EXPECT_NE(params, initial) << "train_step did not update";
}

TEST(NoAllocationTest, Dense) { checkNoAllocation(STEP_MODEL(StepMLP)); }
TEST(NoAllocationTest, ConvBatchNormDropout) {
  checkNoAllocation(STEP_MODEL(StepCNN));
}
TEST(NoAllocationTest, StackedBidirectionalGru) {
  checkNoAllocation(STEP_MODEL(StepGRU));
}
TEST(NoAllocationTest, LstmWithInitialStates) {
  checkNoAllocation(STEP_MODEL(StepLSTM));
}
TEST(NoAllocationTest, ElmanMse) { checkNoAllocation(STEP_MODEL(StepRNN)); }

TEST(NoAllocationTest, SplitDense) {
  // One thread: the branches run in turn, in the code they run on threads.
  // (On 2 threads, LLVM's OpenMP runtime itself mallocs at every fork the
  // array of the outlined region's arguments when they are many, as the
  // regions of every --parallel object here: 8 allocations a step for
  // this model, 24 for bench/models/mlp.nn before it was split.)
  ASSERT_EQ(setenv("NNC_THREADS", "1", /*overwrite=*/1), 0);
  StepModel m = STEP_MODEL(StepSplit);
  checkNoAllocation(m);
  checkGradientUpdatesNothing(m, /*usesKey=*/false);
}

TEST(GradientEntryTest, UpdatesNothing) {
  checkGradientUpdatesNothing(STEP_MODEL(StepMLP), /*usesKey=*/false);
  checkGradientUpdatesNothing(STEP_MODEL(StepCNN), /*usesKey=*/true);
  checkGradientUpdatesNothing(STEP_MODEL(StepGRU), /*usesKey=*/false);
  checkGradientUpdatesNothing(STEP_MODEL(StepLSTM), /*usesKey=*/false);
  checkGradientUpdatesNothing(STEP_MODEL(StepRNN), /*usesKey=*/false);
}

} // namespace
