//===- ElideLoopBarriers.cpp - One barrier per parallel region --*- C++ -*-===//
//
// convert-scf-to-openmp turns each parallel loop into an `omp.parallel`
// whose only work is an `omp.wsloop`. A worksharing loop ends in a barrier
// unless it is `nowait`, and so does the parallel region, where the
// threads join: two barriers back to back, the first of which orders
// nothing. On the 2-vCPU host of docs/performance.md a barrier costs a few
// microseconds (an empty parallel region with a worksharing loop took
// about twice as long as one without), and a training step forks a dozen
// regions. This pass marks `nowait` every worksharing loop that is the last
// operation of its parallel region and has no reductions (whose combined
// value the code after the loop, inside the region, could read).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace nnc {
#define GEN_PASS_DEF_ELIDELOOPBARRIERSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct ElideLoopBarriersPass
    : nnc::impl::ElideLoopBarriersPassBase<ElideLoopBarriersPass> {
  void runOnOperation() override {
    getOperation()->walk([](omp::WsloopOp loop) {
      Operation *next = loop->getNextNode();
      if (isa_and_nonnull<omp::ParallelOp>(loop->getParentOp()) && next &&
          isa<omp::TerminatorOp>(next) && loop.getNumReductionVars() == 0)
        loop.setNowait(true);
    });
  }
};

} // namespace
