//===- ThreadCount.cpp - How many threads a parallel loop uses --*- C++ -*-===//
//
// OpenMP would run every parallel region on all cores unless told
// otherwise; nnc's default is one thread, so that results and timings are
// reproducible and a program that embeds a model decides. In the LLVM
// dialect, this pass gives every `omp.parallel` a `num_threads` operand
// read from `nnc_threads()` (the call nnc-parallelize-tiles put at the
// entry of the function, where there is one), a function it defines in the
// module (linkonce_odr, so several model objects can be linked together;
// nnc-parallelize-tiles declared it and branches on it around each
// parallel loop, so a region only ever starts for more than one thread):
// the value of the environment variable NNC_THREADS when it is a positive
// integer, 1 otherwise, read once. The environment is the only switch, so a
// host that offers fewer cores than threads asked for merely time-shares
// them (OpenMP's threads spin for KMP_BLOCKTIME, 200 ms by default, after
// a parallel loop and then block; see docs/embedding.md).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace nnc {
#define GEN_PASS_DEF_THREADCOUNTPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kCache = "nnc_threads.count";
constexpr llvm::StringLiteral kName = "nnc_threads.env";

/// Declares `name` (a libc function) unless the module has it.
LLVM::LLVMFuncOp declare(OpBuilder &b, ModuleOp module, StringRef name,
                         LLVM::LLVMFunctionType type) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
}

/// Builds `i32 nnc_threads()`: the cached count, or, on the first call,
/// NNC_THREADS parsed with atoi (1 when unset or not positive).
void buildThreadsFunction(OpBuilder &b, ModuleOp module) {
  Location loc = module.getLoc();
  MLIRContext *ctx = module.getContext();
  auto i32 = IntegerType::get(ctx, 32);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto getenv =
      declare(b, module, "getenv", LLVM::LLVMFunctionType::get(ptr, {ptr}));
  auto atoi =
      declare(b, module, "atoi", LLVM::LLVMFunctionType::get(i32, {ptr}));

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto linkonce =
      LLVM::LinkageAttr::get(ctx, LLVM::linkage::Linkage::LinkonceODR);
  LLVM::GlobalOp::create(b, loc, i32, /*isConstant=*/false,
                         LLVM::linkage::Linkage::LinkonceODR, kCache,
                         b.getI32IntegerAttr(0));
  StringRef text("NNC_THREADS\0", 12);
  auto textType = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), 12);
  LLVM::GlobalOp::create(b, loc, textType, /*isConstant=*/true,
                         LLVM::linkage::Linkage::LinkonceODR, kName,
                         b.getStringAttr(text));

  // nnc-parallelize-tiles declared the function; calls name it by symbol.
  if (Operation *declaration = module.lookupSymbol(nnc::kThreadsFunction))
    declaration->erase();
  auto func = LLVM::LLVMFuncOp::create(b, loc, nnc::kThreadsFunction,
                                       LLVM::LLVMFunctionType::get(i32, {}));
  func.setLinkageAttr(linkonce);
  Block *entry = func.addEntryBlock(b);
  Block *read = func.addBlock(), *parse = func.addBlock(),
        *done = func.addBlock();
  done->addArgument(i32, loc);

  b.setInsertionPointToStart(entry);
  Value cache = LLVM::AddressOfOp::create(b, loc, ptr, kCache);
  Value cached = LLVM::LoadOp::create(b, loc, i32, cache);
  Value zero = LLVM::ConstantOp::create(b, loc, i32, 0);
  Value one = LLVM::ConstantOp::create(b, loc, i32, 1);
  Value unset =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, cached, zero);
  LLVM::CondBrOp::create(b, loc, unset, read, ValueRange{}, done,
                         ValueRange{cached});

  b.setInsertionPointToStart(read);
  Value name = LLVM::AddressOfOp::create(b, loc, ptr, kName);
  Value env =
      LLVM::CallOp::create(b, loc, getenv, ValueRange{name}).getResult();
  Value null = LLVM::ZeroOp::create(b, loc, ptr);
  Value missing =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, env, null);
  LLVM::StoreOp::create(b, loc, one, cache);
  LLVM::CondBrOp::create(b, loc, missing, done, ValueRange{one}, parse,
                         ValueRange{});

  b.setInsertionPointToStart(parse);
  Value parsed =
      LLVM::CallOp::create(b, loc, atoi, ValueRange{env}).getResult();
  Value positive =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::sgt, parsed, zero);
  Value count = LLVM::SelectOp::create(b, loc, positive, parsed, one);
  LLVM::StoreOp::create(b, loc, count, cache);
  LLVM::BrOp::create(b, loc, ValueRange{count}, done);

  b.setInsertionPointToStart(done);
  LLVM::ReturnOp::create(b, loc, done->getArgument(0));
}

struct ThreadCountPass : nnc::impl::ThreadCountPassBase<ThreadCountPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<omp::ParallelOp> regions;
    module.walk([&](omp::ParallelOp op) { regions.push_back(op); });
    auto existing =
        module.lookupSymbol<LLVM::LLVMFuncOp>(nnc::kThreadsFunction);
    if (regions.empty() && !existing)
      return;
    OpBuilder b(module.getContext());
    if (!existing || existing.isExternal())
      buildThreadsFunction(b, module);
    auto function =
        module.lookupSymbol<LLVM::LLVMFuncOp>(nnc::kThreadsFunction);
    // One look at each function's entry block, however many regions.
    DenseMap<Operation *, Value> counts;
    for (omp::ParallelOp region : regions) {
      auto func = region->getParentOfType<LLVM::LLVMFuncOp>();
      auto [it, inserted] = counts.try_emplace(func, nullptr);
      if (inserted)
        it->second =
            func && !func.getBody().empty()
                ? nnc::entryThreadsCall<LLVM::CallOp>(func.getBody().front())
                : Value();
      Value count = it->second;
      if (!count) {
        b.setInsertionPoint(region);
        count = LLVM::CallOp::create(b, region.getLoc(), function, ValueRange{})
                    .getResult();
      }
      region.getNumThreadsMutable().assign(count);
    }
  }
};

} // namespace
