//===- ParallelOptimizeTest.cpp - Partitions of optimizeInParallel -------===//
//
// nnc::optimizeInParallel cuts a module into partitions that LLVM optimises
// apart, on several threads. These tests give it small modules in LLVM IR
// and check which functions each call of the optimisation callback saw:
// the shapes an object compiled with --parallel has (OpenMP's source
// location, which every runtime call passes; the parallel regions OpenMP
// outlines from a segment, which inherit the segment's attributes but are
// internal) must neither tie the entry points together nor be cut from the
// function that forks them.
//
//===----------------------------------------------------------------------===//

#include "passes/Codegen.h"
#include "passes/ParallelOptimize.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using Partition = std::set<std::string>;

/// The functions defined in each module `optimizeInParallel` handed to its
/// callback, for the module `ir`, or a failure.
std::vector<Partition> partitionsOf(const char *ir) {
  llvm::LLVMContext context;
  llvm::SMDiagnostic diagnostic;
  std::unique_ptr<llvm::Module> module =
      llvm::parseAssemblyString(ir, diagnostic, context);
  EXPECT_TRUE(module) << diagnostic.getMessage().str();
  if (!module)
    return {};
  auto tm = nnc::createTargetMachine(nnc::CodegenOptions{});
  EXPECT_TRUE(static_cast<bool>(tm)) << llvm::toString(tm.takeError());
  if (!tm)
    return {};
  std::mutex mutex;
  std::vector<Partition> seen;
  llvm::Error error = nnc::optimizeInParallel(
      *module, **tm, /*threads=*/2,
      [&](llvm::Module &part, llvm::TargetMachine &) {
        Partition defined;
        for (llvm::Function &f : part)
          if (!f.isDeclaration())
            defined.insert(f.getName().str());
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(defined);
      });
  EXPECT_FALSE(static_cast<bool>(error)) << llvm::toString(std::move(error));
  std::sort(seen.begin(), seen.end());
  return seen;
}

// Two entry points that fork parallel regions both pass OpenMP's source
// location, a private struct pointing to a private string: each is
// optimised apart from the other.
TEST(ParallelOptimize, SharedSourceLocationDoesNotTie) {
  const char *ir = R"(
    @str = private unnamed_addr constant [5 x i8] c";a;\00\00", align 1
    @loc = private unnamed_addr constant { i32, i32, i32, i32, ptr } { i32 0, i32 2, i32 0, i32 4, ptr @str }, align 8
    declare void @fork(ptr)
    define void @first() {
      call void @fork(ptr @loc)
      ret void
    }
    define void @second() {
      call void @fork(ptr @loc)
      ret void
    }
  )";
  std::vector<Partition> parts = partitionsOf(ir);
  EXPECT_EQ(parts, (std::vector<Partition>{{"first"}, {"second"}}));
}

// A region outlined from a segment carries the segment's attribute but is
// internal: it stays with the segment, which is a partition of its own.
TEST(ParallelOptimize, OutlinedRegionStaysWithItsSegment) {
  const char *ir = R"(
    declare void @fork(ptr)
    define void @entry() {
      call void @entry.seg0()
      ret void
    }
    define void @entry.seg0() #0 {
      call void @fork(ptr @entry.seg0..omp_par)
      ret void
    }
    define internal void @entry.seg0..omp_par() #0 {
      ret void
    }
    attributes #0 = { noinline "nnc-segment" }
  )";
  std::vector<Partition> parts = partitionsOf(ir);
  EXPECT_EQ(parts, (std::vector<Partition>{
                       {"entry"}, {"entry.seg0", "entry.seg0..omp_par"}}));
}

// A global variable both functions write does tie them.
TEST(ParallelOptimize, SharedVariableTies) {
  const char *ir = R"(
    @counter = internal global i32 0
    define void @first() {
      store i32 1, ptr @counter
      ret void
    }
    define void @second() {
      store i32 2, ptr @counter
      ret void
    }
  )";
  std::vector<Partition> parts = partitionsOf(ir);
  EXPECT_EQ(parts, (std::vector<Partition>{{"first", "second"}}));
}

} // namespace
