//===- Passes.td - nnc passes ------------------------------*- tablegen -*-===//
//
// Declarations of every nnc pass. Constructors and option structs are
// generated (GEN_PASS_DECL / GEN_PASS_DEF); pipelines that chain them are
// built in Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_TD
#define NNC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalgPass : Pass<"nnc-convert-nn-to-linalg"> {
  let summary = "Lower nn dialect ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `nn` op into destination-passing linalg ops on tensors:
    `nn.dense` becomes a bias broadcast into the accumulator followed by
    `linalg.matmul`, activations and elementwise ops become `linalg.generic`,
    `nn.softmax` becomes the decomposition of `linalg.softmax` (max, exp,
    sum, divide), and shape ops become `tensor.collapse_shape` /
    `tensor.expand_shape`. The batch dimension stays dynamic. A
    convolution's filter gradient sums partial sums over two parts of the
    batch, computed by an `scf.for` of two iterations marked `nnc.parallel`
    (one part per thread with --parallel). Fails, naming the op, if any `nn`
    op is left. The recurrent ops are left to nnc-lower-recurrent, which
    runs after elementwise fusion.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
  ];
}

def LowerRecurrentPass : Pass<"nnc-lower-recurrent"> {
  let summary = "Lower the recurrent nn ops to loops over time";
  let description = [{
    Rewrites nn.rnn, nn.gru, nn.lstm, nn.recurrent_train and
    nn.recurrent_grad into one `scf.for` over the time steps each, whose
    body is a matrix product with W_hh and one fused `linalg.generic` for
    the gates, updating the states in place through `iter_args`; the input
    projection and, backwards, the weight and input gradients are single
    matrix products outside the loop. It runs after elementwise fusion,
    whose rewrite of unread `outs` into `tensor.empty` would otherwise turn
    the in-place updates into a copy per step.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
  ];
}

def TileContractionsPass : Pass<"nnc-tile-contractions", "mlir::func::FuncOp"> {
  let summary = "Tile matrix products for the caches and registers and vectorize them";
  let description = [{
    Packs transposed right-hand sides, tiles every matrix product (any
    linalg contraction with one m, n and k loop) for the caches and into
    register tiles of 8 rows by two vector widths with TilingInterface,
    peels the m and n tile loops so that the main tiles are static, splits
    the rows left over into single-row tiles, vectorizes every tile to
    `vector.contract`, keeps the accumulator in registers across the k loop
    and lowers the contraction to outer products (FMAs). Convolutions
    (unit stride along the width) and filter-gradient partial sums get
    register tiles of 8 filters by an output row, whose steps over the
    window are the same outer products. A wide layer's product (weight
    beyond half of L2, its bias and activation fused) runs its column blocks
    outside the rows; from `pack-min-rows` rows of the batch (known at run
    time) the weight is packed in strips first and the register tiles'
    loops over k read it there (a second version of those loops), with
    fewer the weight itself. A weight gradient over the batch whose output
    gradient has rows of a page or more reads that gradient packed in
    strips, its column blocks outside the rows. Runs on tensors.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of the target's vector registers in bits">,
    Option<"l1Bytes", "l1-bytes", "int64_t", /*default=*/"49152",
           "Size of the target's L1 data cache">,
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"1048576",
           "Size of the target's L2 cache">,
    Option<"packRowBytes", "pack-row-bytes", "int64_t", /*default=*/"4096",
           "Pack a plain right-hand side whose rows are at least this many "
           "bytes apart (a page: the prefetchers stop at each)">,
    Option<"packMinRowTiles", "pack-min-row-tiles", "int64_t",
           /*default=*/"32",
           "Pack a plain right-hand side only when at least this many row "
           "tiles (of 8 rows, a static count) share it">,
    Option<"packMinRows", "pack-min-rows", "int64_t", /*default=*/"32",
           "Pack the weight of a wide layer (column blocks outside the rows) "
           "when the batch, known at run time, has at least this many rows">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect",
    "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect",
  ];
}

def SplitUnitsPass : Pass<"nnc-split-units", "mlir::ModuleOp"> {
  let summary = "Split a wide dense layer into two branches of half its units";
  let description = [{
    On the nn dialect, rewrites `dense(act(dense(x, W1, b1)), W2, b2)` over a
    model input `x` (possibly flattened or reshaped), with `W1` of `min-weight-bytes` or more, a unit count
    that is a multiple of 32 and a second layer at most a quarter as wide,
    into the sum of two branches, each with half of the units: `W1`, `b1`
    and `W2` become two arguments each (their column blocks, halves and row
    halves, marked `nn.part`), the second branch's product has a zero bias.
    The models' descriptors describe the whole parameters again, `W1` stored
    in two column blocks. Run for `--parallel`, so that
    nnc-outline-branches can give each branch a thread.
  }];
  let options = [
    Option<"minWeightBytes", "min-weight-bytes", "int64_t",
           /*default=*/"131072",
           "Bytes the first layer's weight needs to be split">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
  ];
}

def OutlineBranchesPass : Pass<"nnc-outline-branches", "mlir::ModuleOp"> {
  let summary = "Move independent branches of a model into functions";
  let description = [{
    On linalg on tensors, finds in every function the branches that a
    weight of `min-weight-bytes` or more owns (the ops that read it or
    what was computed from it, and nothing from another such weight,
    where no op that combines branches reads the weight itself), groups
    those that follow the same number of joins into sections of two or
    more, reorders each block so that a section's branches run after the
    other ops they may need, and moves every branch into a private
    function marked `nnc.section` and `nnc.branch`, called in its place.
    Cheap values (constants, empty tensors, fills, sizes) are recomputed
    in the branch. nnc-fork-branches runs the sections on threads after
    bufferization.
  }];
  let options = [
    Option<"minWeightBytes", "min-weight-bytes", "int64_t",
           /*default=*/"65536",
           "Bytes a parameter needs to own a branch">,
  ];
  let dependentDialects = [
    "mlir::func::FuncDialect",
  ];
}

def ForkBranchesPass : Pass<"nnc-fork-branches", "mlir::ModuleOp"> {
  let summary = "Run the branches of each section on threads";
  let description = [{
    After bufferization (and buffer-results-to-out-params), puts the calls
    of each section of branches (nnc-outline-branches) into the cases of
    an `scf.index_switch` in a loop over the branches marked
    `nnc.parallel`, inlines every call of a branch function, hoists the
    branches' allocations in front of the loop and erases the branch
    functions. Calls that cannot be gathered (an op with effects between
    them) are inlined where they are.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::scf::SCFDialect",
  ];
}

def ParallelizeTilesPass : Pass<"nnc-parallelize-tiles", "mlir::ModuleOp"> {
  let summary = "Turn the loops over independent tiles into scf.parallel";
  let description = [{
    After bufferization, rewrites every `scf.for` marked `nnc.parallel` (the
    loop over row tiles of a matrix product that nnc-tile-contractions
    created) that carries no values and is not nested in another parallel
    loop into `scf.if (nnc_threads() > 1)`, whose then-branch is an
    `scf.parallel` with a copy of the loop's body (for convert-scf-to-openmp)
    and whose else-branch is the loop itself. Declares `i32 nnc_threads()`,
    which nnc-thread-count defines.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::scf::SCFDialect",
  ];
}

def BalanceThreadsPass : Pass<"nnc-balance-threads", "mlir::ModuleOp"> {
  let summary = "Split parallel loops between threads by their measured speed";
  let description = [{
    Rewrites every `omp.parallel` that holds one worksharing loop over one
    index (what convert-scf-to-openmp makes of the loops of
    nnc-parallelize-tiles) into a loop over at most 64 thread slots,
    `min(nnc_threads(), 64)`, slot t running one contiguous range of the
    original iterations in an `scf.for`. The ranges come from fractions kept
    per loop in a private `memref.global` (`nnc_split*`), even until the
    loop has run once, which `nnc_split_bounds` turns into bounds in a stack
    buffer before the fork. Each slot stores `llvm.readcyclecounter` when it
    is done; after the join, `nnc_split_update` moves every fraction a
    quarter of the way towards the slot's measured speed (iterations per
    cycle since the fork) over the sum of the speeds, each clamped to
    between half and twice their mean. The two functions are defined once
    in the module, private and marked `nnc-segment` (optimised apart).
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect",
    "mlir::omp::OpenMPDialect",
    "mlir::scf::SCFDialect",
  ];
}

def ElideLoopBarriersPass : Pass<"nnc-elide-loop-barriers"> {
  let summary = "Drop the barrier of a worksharing loop that ends its parallel region";
  let description = [{
    Marks `nowait` every `omp.wsloop` without reductions that is the last
    operation of its `omp.parallel` (as convert-scf-to-openmp builds
    them): the region's end, where the threads join, is a barrier already,
    and the loop's own barrier right before it orders nothing.
  }];
  let dependentDialects = ["mlir::omp::OpenMPDialect"];
}

def ThreadCountPass : Pass<"nnc-thread-count", "mlir::ModuleOp"> {
  let summary = "Run OpenMP parallel regions on NNC_THREADS threads (default 1)";
  let description = [{
    In the LLVM dialect, defines `i32 nnc_threads()` in the module (linkonce_odr:
    NNC_THREADS from the environment when a positive integer, else 1, read
    once), replacing the declaration nnc-parallelize-tiles made, and gives
    every `omp.parallel` a `num_threads` operand from it.
  }];
  let dependentDialects = [
    "mlir::LLVM::LLVMDialect",
    "mlir::omp::OpenMPDialect",
  ];
}

def SplitSharedFillsPass : Pass<"nnc-split-shared-fills", "mlir::func::FuncOp"> {
  let summary = "Give every op that writes into a shared linalg.fill its own fill";
  let description = [{
    Before one-shot bufferization: a `linalg.fill` of a `tensor.empty` whose
    result is the destination (DPS init) of several ops (CSE merges the
    training forward's and the backward's -inf fills of a pooled image) is
    cloned, with its `tensor.empty`, for every such op of the fill's block
    but the first, right before it (not into loop bodies, where the clone
    would run on every iteration). Each op then writes its own buffer, where bufferization would
    otherwise copy the filled tensor for all but one of them.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect",
  ];
}

def ApproximateMathPass : Pass<"nnc-approximate-math"> {
  let summary = "Replace math ops with polynomial approximations";
  let description = [{
    Expands f32 `math.tanh`, `math.exp` and friends on scalars and vectors
    into arithmetic (MLIR's polynomial approximations, accurate to a few ulp)
    so that the generated object needs no libm and the loops around them
    vectorize. Math on whole tensors (which the nn lowering never creates)
    is left alone, and so is f64, which still lowers to libm calls.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::vector::VectorDialect",
  ];
}

def BuildTrainForwardPass : Pass<"nnc-build-train-forward", "mlir::ModuleOp"> {
  let summary = "Build the training-mode forward function of trainable models";
  let description = [{
    A model function states inference. For each trained model (`nn.train`)
    with an op that computes something else while training (dropout, batch
    normalization: the TrainingModeOpInterface), adds
    `@M.train_forward(args..., key) -> (output, new_state...)`: a copy whose
    such ops take their training form. `key` (an i64 marked `nn.key`)
    selects the dropout masks; each further result is the new value of a
    model-state argument (`nn.buffer`, e.g. running statistics), marked with
    `nn.updates` = that argument's index. Models without such ops are left
    alone: their forward function is their training forward.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "nnc::nn::NNDialect"];
}

def AutodiffPass : Pass<"nnc-autodiff", "mlir::ModuleOp"> {
  let summary = "Generate the reverse-mode backward function of every model";
  let description = [{
    For each `nn.model` function `@M(inputs..., params...) -> out`, adds
    `@M.backward(inputs..., params..., %dout) -> (dparams...)`: the forward
    ops, recomputed, followed by their derivative rules in reverse order
    (each op's DifferentiableOpInterface). Gradients of values used more than
    once are summed; a parameter that does not influence the output gets a
    zero gradient. With `input-gradients`, the gradients of the inputs are
    returned after those of the parameters. Forward values the rules need
    are recomputed here; once the train step inlines forward and backward
    together, CSE leaves one copy, so nothing is computed twice.
  }];
  let options = [
    Option<"inputGradients", "input-gradients", "bool", /*default=*/"false",
           "Also return the gradients of the model inputs">,
    Option<"testBreakRule", "test-break-rule", "std::string", /*default=*/"",
           "Testing only: double every gradient the rule of this op (e.g. "
           "nn.tanh) returns, so gradient checks can be shown to fail">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "nnc::nn::NNDialect"];
}

def BuildTrainStepPass : Pass<"nnc-build-train-step", "mlir::ModuleOp"> {
  let summary = "Build the train-step and eval functions of trainable models";
  let description = [{
    For each model carrying an `nn.train` dictionary (loss, optimizer and
    hyper-parameters, from the `train` block) and its `@M.backward`, adds
    the functions below. Loss and gradients come from `@M.train_forward`
    when nnc-build-train-forward made one (with key
    `seed ^ (step * 0x9E3779B97F4A7C15)`), eval uses `@M`.
    - `@M.train_step(x, labels, step, seed, update, params..., state...) ->
      (loss, grads..., params'..., state'...)`, the gradient followed, in an
      `scf.if` on `update`, by the optimizer update of every trained
      parameter and the new value of every model-state one; parameters and
      optimizer state are updated in place once bufferized. With `update`
      false (and step 0, so the key is `seed`) it is the gradient entry
      point of the C interface, which therefore costs no second copy of the
      network;
    - `@M.eval(x, labels, params...) -> (loss, correct)`.
    Arguments and results carry `nn.role` so the C interface can be derived
    from the signature.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect", "nnc::nn::NNDialect"];
}

def DropInPlaceResultsPass : Pass<"nnc-drop-in-place-results", "mlir::func::FuncOp"> {
  let summary = "Drop the results of training entry points that were updated in place";
  let description = [{
    After one-shot bufferization, a train step returns the parameter and
    optimizer-state buffers it was given, updated in place. On functions
    marked `nn.entry`, this pass erases every result that is (a cast of) a
    function argument, so that only new values (loss, gradients, counts)
    become out-parameters. A result whose `nn.role` is `param` or `state`
    that did not bufferize in place is an error: the C interface promises
    in-place updates. (Upstream `drop-equivalent-buffer-results` does the
    same but skips public functions in MLIR 22.) A buffer returned at several
    positions (two parameters with equal gradients, merged by CSE) is copied
    into a fresh buffer for each repetition, since every result becomes an
    out-parameter of its own.
  }];
}

def UseWorkspacePass : Pass<"nnc-use-workspace", "mlir::func::FuncOp"> {
  let summary = "Carve the buffers of entry points and model functions out of a workspace argument";
  let description = [{
    On bufferized functions marked `nn.entry`, appends an argument
    `memref<?xi8>` (the caller's workspace, 64-byte aligned) and replaces
    every `memref.alloc` by a `memref.view` into it, so that a train step
    performs no heap allocation. Each allocation must be in the entry block
    and be static or have one dynamic dimension equal to the batch.

    The offsets come from a static plan with reuse. A buffer is live from
    its first to its last access in the entry block, through every view of
    it; an access nested in a loop counts at the loop, and a buffer handed to
    an op the pass does not know (a call, a return, ...) is live to the end.
    Static buffers share a fixed arena at the start of the workspace,
    batch-sized ones a per-example arena after it, at `fixed + offset *
    batch`; in each arena, sizes rounded up to 64 bytes (per example),
    largest first, each buffer goes to the lowest offset that overlaps no
    buffer live at the same time. The arena sizes are recorded as
    `nn.workspace_fixed` and `nn.workspace_per_example` (bytes, the latter
    per example), which the descriptor and header publish.

    With `threads` (code whose loops over the batch run on threads), the
    per-example arena is planned in concentric rings instead: buffers that
    share addresses share their midpoint, so that each byte belongs to the
    same half of the batch in every buffer that covers it.

    A function marked `nn.model` (the model's forward function, whose C
    wrapper allocates the workspace once per call) is planned the same way,
    its `nn.input` arguments giving the batch; where the plan cannot cover
    one of its buffers, it keeps its allocations and no error is reported.
  }];
  let options = [
    Option<"threads", "threads", "bool", /*default=*/"false",
           "Plan the per-example arena so that buffers sharing addresses "
           "share their midpoint (for code that splits the batch between "
           "threads)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def LowerStridedCopiesPass : Pass<"nnc-lower-strided-copies", "mlir::func::FuncOp"> {
  let summary = "Turn memref.copy between non-contiguous buffers into linalg.copy";
  let description = [{
    The memref-to-LLVM conversion lowers a `memref.copy` whose operands are
    both contiguous to a `memcpy` intrinsic, but any other to a call to
    `memrefCopy` from MLIR's C runner utilities, which neither the generated
    objects nor the JIT link. Bufferized `tensor.pad`, `tensor.insert_slice`
    and `tensor.concat` copy into strided subviews; this pass rewrites those
    copies as `linalg.copy`, which becomes plain loops with the other linalg
    ops. Contiguous copies are left to the intrinsic.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def VectorizeRowsPass : Pass<"nnc-vectorize-rows", "mlir::func::FuncOp"> {
  let summary = "Lower linalg ops on buffers to loops over rows of vectors";
  let description = [{
    For every `linalg.generic`, convolution, pooling or contraction on
    buffers, looks for a parallel loop (of at least 8 iterations, or
    dynamic) that indexes the last dimension of every output, as that
    dimension itself, and of every input that uses it: `ow` of a
    convolution or pooling, `n` of a matmul, the last dimension of an
    elementwise op. That loop becomes the innermost parallel loop, with the
    reductions inside it.

    When every input that depends on that loop reads it contiguously, the
    loop has a static length and the body is elementwise `arith` / `math`,
    the op is lowered to `scf.for` loops over rows of `vector` values (64
    bytes: 16 f32 or 8 f64 lanes, the last chunk of a row masked): an output
    chunk is loaded once, carried through the reduction loops as a loop
    value and stored once, inputs independent of the row are broadcast.
    Otherwise, when the order changed, the op is generalized, interchanged
    and lowered to `scf.for` loops whose innermost loop carries an
    `llvm.loop` annotation: vectorize (even below LLVM's tiny trip count),
    no unrolling before that, and an access group as `parallel_accesses`
    (nnc-tag-parallel-accesses completes it in the LLVM dialect). A
    `linalg.transpose` that swaps the last two dimensions of floats goes by
    square tiles of a vector's lanes (`vector.transfer_read`,
    `vector.transpose`, `vector.transfer_write`; masked at ends that the
    lanes do not divide). Other ops are left to convert-linalg-to-loops.

    With `threads`, the rows of an optimizer update over a whole weight
    matrix (a long row cut into chunks for threads) also ask for their
    output lines ahead of the stores (`memref.prefetch ... write`, tagged
    `nnc.threads_only`): the next forward pass reads every weight on every
    thread, and writing a line another core holds waits for its copy to be
    invalidated. nnc-parallelize-tiles keeps these prefetches in the
    parallel copy of a loop only.
  }];
  let options = [
    Option<"threads", "threads", "bool", /*default=*/"false",
           "Prefetch the outputs of optimizer updates for writing (for code "
           "that runs them on threads)">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def OutlineSegmentsPass : Pass<"nnc-outline-segments", "mlir::ModuleOp"> {
  let summary = "Cut large functions into segments that compile in parallel";
  let description = [{
    After the lowering to loops, cuts the body of every function with at
    least twice `segment-ops` operations (nested ones included) into runs
    of consecutive top-level operations of about `segment-ops` operations
    each, and moves each run into a private function of its own (MLIR's
    `outlineSingleBlockRegion`), called in its place. Operations without
    effects or regions that read only the function's arguments (constants,
    views of argument buffers, index arithmetic on their sizes) are cloned
    into every segment that uses them rather than passed to it;
    allocations stay in the caller and end a segment. Segments are marked
    `noinline` and `nnc-segment` for LLVM: each is optimised on its own,
    possibly on another thread (see ParallelOptimize.cpp), and is made
    internal afterwards. A training step is one function with the
    forward, the backward and the optimizer of every layer; cut this way
    MLIR's remaining lowering and LLVM's pipeline both split it across
    threads.
  }];
  let options = [
    Option<"segmentOps", "segment-ops", "int64_t", /*default=*/"800",
           "Operations per segment, nested ones included; functions with "
           "fewer than twice as many stay whole">,
  ];
  let dependentDialects = [
    "mlir::func::FuncDialect",
    "mlir::scf::SCFDialect",
  ];
}

def TagParallelAccessesPass : Pass<"nnc-tag-parallel-accesses", "mlir::LLVM::LLVMFuncOp"> {
  let summary = "Put the loads and stores of loops annotated as parallel into their access group";
  let description = [{
    In the LLVM dialect, for every `llvm.br` back edge whose
    `loop_annotation` lists `parallel_accesses` (set by
    nnc-vectorize-rows on the innermost loop of a parallel linalg
    dimension), adds those access groups to every `llvm.load` and
    `llvm.store` of the natural loop of that edge. LLVM then knows the
    iterations are independent even though all buffers are views of one
    workspace, whose accesses its dependence analysis cannot tell apart.
  }];
}

def LimitUnrollingPass : Pass<"nnc-limit-unrolling", "mlir::LLVM::LLVMFuncOp"> {
  let summary = "Let LLVM unroll innermost loops only";
  let description = [{
    In the LLVM dialect, sets `unroll = <disable = true>` in the
    `loop_annotation` of the back edge (an `llvm.br` or `llvm.cond_br` to
    a block that dominates it) of every loop whose natural loop holds the
    header of another loop, keeping the annotation's other fields. LLVM's
    full unrolling of nests of short loops multiplies the code it then
    optimises and selects instructions for; innermost loops are still
    unrolled (and vectorized) as LLVM sees fit.
  }];
}

#endif // NNC_PASSES_PASSES_TD
