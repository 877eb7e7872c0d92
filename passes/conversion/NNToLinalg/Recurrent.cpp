//===- Recurrent.cpp - Recurrent layers to loops over time ------*- C++ -*-===//
//
// nn.rnn, nn.gru, nn.lstm, nn.recurrent_train and nn.recurrent_grad become
// one `scf.for` over the time steps each, never an unrolled copy per step:
//  - Forward: the input projection of every step, x W_ih + b_ih, is one
//    matrix product over all N * T rows before the loop. Each iteration
//    multiplies the hidden state by W_hh (b_hh as the accumulator) and one
//    fused elementwise `linalg.generic` applies every gate and updates the
//    states in place. The training form also copies the states after each
//    step into one [N, T + 1, S, H] tensor indexed by time (see
//    nn.recurrent_train) and writes its gates into one [N, T, H] tensor
//    each.
//  - Backward: a loop over the steps in reverse computes, per step, the
//    gradient of each gate's pre-activation (one fused generic) and the
//    gradient flowing to the previous state (a product with W_hh^T per gate,
//    W_hh transposed once before the loop so the products read contiguous
//    rows). The gate gradients of every step are kept, so the gradients of
//    the input, W_ih, W_hh and the biases are contractions over all steps
//    at once after the loop.
// Both loops over time run inside a loop over the parts of the batch
// (lowering::forEachBatchPart), on each part's rows: an example's steps read
// its own states alone, so with threads each part runs on one thread from
// the first step to the last, one fork per loop instead of several small
// ones at every step, and the results do not depend on the split.
// Every tensor a loop writes is created before it and threaded through
// `iter_args`, and a step writes one slice of each tensor it keeps, never
// several slices of one: one-shot bufferization then updates everything in
// place, with no allocation inside the loop (nnc-use-workspace requires
// that). The patterns run after elementwise fusion (nnc-lower-recurrent),
// whose rewrite of unread `outs` into `tensor.empty` would undo this.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/NNToLinalg/NNToLinalg.h"

#include "dialect/NNOps.h"
#include "dialect/NNRecurrent.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc;
using nn::RecurrentCell;

namespace {

/// Scalar arithmetic for the bodies of the fused step generics.
struct Scalar {
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(double v) {
    return lowering::createFloatConstant(b, loc, type, v);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value tanh(Value x) { return math::TanhOp::create(b, loc, x); }
  Value sigmoid(Value x) { return lowering::createSigmoid(b, loc, x); }
  Value relu(Value x) {
    return arith::MaximumFOp::create(b, loc, x, constant(0));
  }
  /// d * y * (1 - y): through a sigmoid, from its result y.
  Value sigmoidGrad(Value d, Value y) {
    return mul(d, mul(y, sub(constant(1), y)));
  }
  /// d * (1 - y^2): through a tanh, from its result y.
  Value tanhGrad(Value d, Value y) {
    return mul(d, sub(constant(1), mul(y, y)));
  }
};

/// The sizes and operands of one recurrent layer, and the slicing of its
/// tensors that both loops share.
struct Layer {
  RecurrentCell cell;
  bool reverse, sequence;
  Value input; // [N, T, F]
  Value batch; // N
  int64_t steps, features, hidden;
  Type element;

  Layer(OpBuilder &b, Location loc, RecurrentCell cell, bool reverse,
        bool sequence, Value input, Value weightHH)
      : cell(cell), reverse(reverse), sequence(sequence), input(input) {
    auto type = cast<RankedTensorType>(input.getType());
    steps = type.getDimSize(1);
    features = type.getDimSize(2);
    hidden = cast<RankedTensorType>(weightHH.getType()).getDimSize(0);
    element = type.getElementType();
    batch = tensor::DimOp::create(b, loc, input, 0);
  }

  int64_t gates() const { return nn::getNumGates(cell) * hidden; }

  /// The same layer over `count` of its examples (a part of the batch).
  Layer withBatch(Value count) const {
    Layer part = *this;
    part.batch = count;
    return part;
  }

  RankedTensorType type(ArrayRef<int64_t> perExample) const {
    SmallVector<int64_t> shape{ShapedType::kDynamic};
    shape.append(perExample.begin(), perExample.end());
    return RankedTensorType::get(shape, element);
  }
  /// An uninitialized batched tensor of `perExample` shape.
  Value empty(OpBuilder &b, Location loc, ArrayRef<int64_t> perExample) const {
    return tensor::EmptyOp::create(b, loc, type(perExample), ValueRange{batch});
  }

  /// Slot of the state before the first step and after the last one.
  int64_t firstSlot() const { return reverse ? steps : 0; }
  int64_t lastSlot() const { return reverse ? 0 : steps; }

  /// The [N, sizes...] block of `source` at the given per-example offsets,
  /// as a tensor of per-example `shape` (unit dimensions dropped; by default
  /// only the last dimension is kept).
  Value slice(OpBuilder &b, Location loc, Value source,
              ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
              ArrayRef<int64_t> shape = {}) const {
    auto [allOffsets, allSizes, strides] = box(b, offsets, sizes);
    return tensor::ExtractSliceOp::create(
        b, loc, type(shape.empty() ? sizes.take_back() : shape), source,
        allOffsets, allSizes, strides);
  }
  Value insert(OpBuilder &b, Location loc, Value value, Value dest,
               ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes) const {
    auto [allOffsets, allSizes, strides] = box(b, offsets, sizes);
    return tensor::InsertSliceOp::create(b, loc, value, dest, allOffsets,
                                         allSizes, strides);
  }

private:
  std::tuple<SmallVector<OpFoldResult>, SmallVector<OpFoldResult>,
             SmallVector<OpFoldResult>>
  box(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
      ArrayRef<int64_t> sizes) const {
    SmallVector<OpFoldResult> allOffsets{b.getIndexAttr(0)};
    allOffsets.append(offsets.begin(), offsets.end());
    SmallVector<OpFoldResult> allSizes{batch};
    for (int64_t size : sizes)
      allSizes.push_back(b.getIndexAttr(size));
    SmallVector<OpFoldResult> strides(allSizes.size(), b.getIndexAttr(1));
    return {allOffsets, allSizes, strides};
  }
};

/// The time and state slots of loop iteration `k`: the forward walk visits
/// t = k (T - 1 - k reversed) and reads the state in slot `prev`, writing
/// slot `next`; the backward walk visits the steps in the opposite order.
struct Step {
  Value time, prev, next;

  static Step get(OpBuilder &b, Location loc, const Layer &layer, Value k,
                  bool backward) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value last = arith::ConstantIndexOp::create(b, loc, layer.steps - 1);
    Step s;
    s.time =
        layer.reverse != backward ? arith::SubIOp::create(b, loc, last, k) : k;
    Value after = arith::AddIOp::create(b, loc, s.time, one);
    s.prev = layer.reverse ? after : s.time;
    s.next = layer.reverse ? s.time : after;
    return s;
  }
};

/// A `linalg.generic` over [N, H] with identity maps everywhere; `body`
/// sees the scalars of the inputs and then of the outputs (the current
/// values of the states a step updates in place).
SmallVector<Value>
createStepGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                  ValueRange outputs,
                  function_ref<SmallVector<Value>(Scalar &, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputs.size() + outputs.size(),
                              b.getMultiDimIdentityMap(2));
  auto generic = linalg::GenericOp::create(
      b, loc, ValueRange(outputs).getTypes(), inputs, outputs, maps,
      {utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nested, Location l, ValueRange args) {
        Scalar s{nested, l, args.front().getType()};
        linalg::YieldOp::create(nested, l, body(s, args));
      });
  return generic.getResults();
}

/// A copy of `value` in a fresh tensor of the same (batched) type.
Value copyOf(OpBuilder &b, Location loc, const Layer &layer, Value value,
             ArrayRef<int64_t> perExample) {
  return linalg::CopyOp::create(b, loc, value, layer.empty(b, loc, perExample))
      .getResult(0);
}

Value createIndex(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// The operands of a layer's forward computation.
struct ForwardOperands {
  Value weightIH, weightHH, biasIH, biasHH, initialHidden, initialCell;
};

/// Builds the forward loop; returns the result and, when `train`, the
/// states and the activations.
SmallVector<Value> buildForward(OpBuilder &b, Location loc, const Layer &layer,
                                const ForwardOperands &ops, bool train) {
  int64_t T = layer.steps, H = layer.hidden, G = layer.gates();
  int64_t numGates = nn::getNumGates(layer.cell);
  int64_t S = nn::getNumStates(layer.cell);
  int64_t A = train ? nn::getNumActivations(layer.cell) : 0;
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };

  // x W_ih + b_ih for every step at once: [N * T, F] x [F, G].
  Value projection = linalg::BroadcastOp::create(b, loc, ops.biasIH,
                                                 layer.empty(b, loc, {T, G}),
                                                 ArrayRef<int64_t>{0, 1})
                         .getResult()[0];
  SmallVector<ReassociationIndices> rows{{0, 1}, {2}};
  Value inputRows = tensor::CollapseShapeOp::create(b, loc, layer.input, rows);
  Value projectionRows =
      tensor::CollapseShapeOp::create(b, loc, projection, rows);
  projectionRows =
      linalg::MatmulOp::create(b, loc, TypeRange{projectionRows.getType()},
                               ValueRange{inputRows, ops.weightIH},
                               ValueRange{projectionRows})
          .getResult(0);
  projection = tensor::ExpandShapeOp::create(
      b, loc, layer.type({T, G}), projectionRows, rows,
      ArrayRef<OpFoldResult>{layer.batch, idx(T), idx(G)});

  // Loop-carried: the states (updated in place by each step), the scratch
  // h W_hh + b_hh, the history (every state when training, every hidden
  // state for a sequence result) and the activations.
  SmallVector<Value> iterArgs;
  Value initial[2] = {ops.initialHidden, ops.initialCell};
  for (int64_t s = 0; s < S; ++s)
    iterArgs.push_back(initial[s] ? copyOf(b, loc, layer, initial[s], {H})
                                  : lowering::createZeros(
                                        b, loc, layer.type({H}), layer.batch));
  iterArgs.push_back(layer.empty(b, loc, {G}));
  bool history = train || layer.sequence;
  if (train) {
    Value states = layer.empty(b, loc, {T + 1, S, H});
    for (int64_t s = 0; s < S; ++s)
      states =
          layer.insert(b, loc, iterArgs[s], states,
                       {idx(layer.firstSlot()), idx(s), idx(0)}, {1, 1, H});
    iterArgs.push_back(states);
  } else if (layer.sequence) {
    iterArgs.push_back(layer.empty(b, loc, {T, H}));
  }
  for (int64_t a = 0; a < A; ++a)
    iterArgs.push_back(layer.empty(b, loc, {T, H}));
  unsigned historyArg = S + 1, activationsArg = S + 1 + history;

  // Every example's steps read its own states alone, so each part of the
  // batch runs the whole loop over time on one thread: one fork for the
  // layer rather than several small ones at every step.
  SmallVector<Value> loopResults = lowering::forEachBatchPart(
      b, loc, layer.batch, iterArgs,
      [&](OpBuilder &b, Location loc, Value start, Value count,
          ValueRange rows) -> SmallVector<Value> {
        Layer part = layer.withBatch(count);
        Value partProjection =
            lowering::sliceDim(b, loc, projection, 0, start, count);
        auto loop = scf::ForOp::create(
            b, loc, createIndex(b, loc, 0), createIndex(b, loc, T),
            createIndex(b, loc, 1), rows,
            [&](OpBuilder &b, Location loc, Value k, ValueRange args) {
              Step step = Step::get(b, loc, part, k, /*backward=*/false);
              SmallVector<Value> yields(args);
              Value &recurrent = yields[S];
              recurrent =
                  linalg::BroadcastOp::create(b, loc, ops.biasHH, recurrent,
                                              ArrayRef<int64_t>{0})
                      .getResult()[0];
              recurrent =
                  linalg::MatmulOp::create(
                      b, loc, TypeRange{recurrent.getType()},
                      ValueRange{args[0], ops.weightHH}, ValueRange{recurrent})
                      .getResult(0);
              Value inputs = part.slice(b, loc, partProjection,
                                        {step.time, idx(0)}, {1, G});
              SmallVector<Value> ins;
              for (int64_t g = 0; g < numGates; ++g)
                ins.push_back(part.slice(b, loc, inputs, {idx(g * H)}, {H}));
              for (int64_t g = 0; g < numGates; ++g)
                ins.push_back(part.slice(b, loc, recurrent, {idx(g * H)}, {H}));

              // Outputs: the states, in place, then this step's activations.
              SmallVector<Value> outs(args.take_front(S));
              for (int64_t a = 0; a < A; ++a)
                outs.push_back(part.slice(b, loc, args[activationsArg + a],
                                          {step.time, idx(0)}, {1, H}));

              RecurrentCell cell = part.cell;
              size_t numIns = ins.size();
              SmallVector<Value> results = createStepGeneric(
                  b, loc, ins, outs,
                  [&](Scalar &s, ValueRange v) -> SmallVector<Value> {
                    ValueRange state = v.drop_front(numIns);
                    switch (cell) {
                    case RecurrentCell::RnnTanh:
                      return {s.tanh(s.add(v[0], v[1]))};
                    case RecurrentCell::RnnRelu:
                      return {s.relu(s.add(v[0], v[1]))};
                    case RecurrentCell::Gru: {
                      Value r = s.sigmoid(s.add(v[0], v[3]));
                      Value z = s.sigmoid(s.add(v[1], v[4]));
                      Value n = s.tanh(s.add(v[2], s.mul(r, v[5])));
                      // (1 - z) n + z h = n + z (h - n)
                      Value h = s.add(n, s.mul(z, s.sub(state[0], n)));
                      SmallVector<Value> out{h};
                      if (A)
                        out.append({r, z, n, v[5]});
                      return out;
                    }
                    case RecurrentCell::Lstm: {
                      Value i = s.sigmoid(s.add(v[0], v[4]));
                      Value f = s.sigmoid(s.add(v[1], v[5]));
                      Value g = s.tanh(s.add(v[2], v[6]));
                      Value o = s.sigmoid(s.add(v[3], v[7]));
                      Value c = s.add(s.mul(f, state[1]), s.mul(i, g));
                      Value h = s.mul(o, s.tanh(c));
                      SmallVector<Value> out{h, c};
                      if (A)
                        out.append({i, f, g, o});
                      return out;
                    }
                    }
                    llvm_unreachable("every cell is handled");
                  });

              for (int64_t s = 0; s < S; ++s)
                yields[s] = results[s];
              for (int64_t a = 0; a < A; ++a)
                yields[activationsArg + a] = part.insert(
                    b, loc, results[S + a], yields[activationsArg + a],
                    {step.time, idx(0)}, {1, H});
              if (train) {
                for (int64_t s = 0; s < S; ++s)
                  yields[historyArg] =
                      part.insert(b, loc, results[s], yields[historyArg],
                                  {step.next, idx(s), idx(0)}, {1, 1, H});
              } else if (part.sequence) {
                yields[historyArg] =
                    part.insert(b, loc, results[0], yields[historyArg],
                                {step.time, idx(0)}, {1, H});
              }
              scf::YieldOp::create(b, loc, yields);
            });
        return SmallVector<Value>(loop.getResults());
      });

  Value result = loopResults[0];
  if (layer.sequence && !train)
    result = loopResults[historyArg];
  if (!train)
    return {result};
  Value states = loopResults[historyArg];
  if (layer.sequence)
    result = copyOf(b, loc, layer,
                    layer.slice(b, loc, states,
                                {idx(layer.reverse ? 0 : 1), idx(0), idx(0)},
                                {T, 1, H}, {T, H}),
                    {T, H});
  SmallVector<Value> results{result, states};
  for (int64_t a = 0; a < A; ++a)
    results.push_back(loopResults[activationsArg + a]);
  return results;
}

template <typename OpTy> struct LayerLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RecurrentCell cell = getCell(op);
    Layer layer(rewriter, op.getLoc(), cell, op.getReverse(), op.getSequence(),
                adaptor.getInput(), adaptor.getWeightHh());
    ForwardOperands ops{adaptor.getWeightIh(),      adaptor.getWeightHh(),
                        adaptor.getBiasIh(),        adaptor.getBiasHh(),
                        adaptor.getInitialHidden(), getInitialCell(adaptor)};
    rewriter.replaceOp(op, buildForward(rewriter, op.getLoc(), layer, ops,
                                        isa<nn::RecurrentTrainOp>(op)));
    return success();
  }

private:
  static RecurrentCell getCell(OpTy op) {
    if constexpr (std::is_same_v<OpTy, nn::RnnOp>)
      return op.getActivation() == "relu" ? RecurrentCell::RnnRelu
                                          : RecurrentCell::RnnTanh;
    else if constexpr (std::is_same_v<OpTy, nn::GruOp>)
      return RecurrentCell::Gru;
    else if constexpr (std::is_same_v<OpTy, nn::LstmOp>)
      return RecurrentCell::Lstm;
    else
      return *nn::parseRecurrentCell(op.getCell());
  }
  static Value getInitialCell(typename OpTy::Adaptor adaptor) {
    if constexpr (std::is_same_v<OpTy, nn::LstmOp> ||
                  std::is_same_v<OpTy, nn::RecurrentTrainOp>)
      return adaptor.getInitialCell();
    else
      return Value();
  }
};

struct RecurrentGradLowering : OpConversionPattern<nn::RecurrentGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::RecurrentGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    RecurrentCell cell = *nn::parseRecurrentCell(op.getCell());
    Layer layer(b, loc, cell, op.getReverse(), op.getSequence(),
                adaptor.getInput(), adaptor.getWeightHh());
    int64_t T = layer.steps, H = layer.hidden, F = layer.features;
    int64_t G = layer.gates(), numGates = nn::getNumGates(cell);
    int64_t S = nn::getNumStates(cell), A = nn::getNumActivations(cell);
    bool gru = cell == RecurrentCell::Gru, lstm = cell == RecurrentCell::Lstm;
    auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
    Value states = adaptor.getStates();
    ValueRange activations = adaptor.getActivations();
    Value dy = adaptor.getResultGradient();

    // Loop-carried: the gradients of the states (updated in place by each
    // step) and of each gate's pre-activation at every step ([N, T, H]
    // each: a step writes one slice of several tensors, never several
    // slices of one, which bufferization could not do in place). A GRU's n
    // gate sees r * (h W_hn + b_hn) on the recurrent side, whose gradient
    // differs from the input side's and is kept too.
    SmallVector<Value> iterArgs{
        layer.sequence
            ? lowering::createZeros(b, loc, layer.type({H}), layer.batch)
            : copyOf(b, loc, layer, dy, {H})};
    if (lstm)
      iterArgs.push_back(
          lowering::createZeros(b, loc, layer.type({H}), layer.batch));
    SmallVector<unsigned> inputGates, recurrentGates;
    for (int64_t g = 0; g < numGates; ++g) {
      inputGates.push_back(iterArgs.size());
      iterArgs.push_back(layer.empty(b, loc, {T, H}));
    }
    recurrentGates = inputGates;
    if (gru) {
      recurrentGates[2] = iterArgs.size();
      iterArgs.push_back(layer.empty(b, loc, {T, H}));
    }
    SmallVector<unsigned> gateArgs(inputGates);
    if (gru)
      gateArgs.push_back(recurrentGates[2]);

    // The weights transposed once, [G, rows], so that every product with
    // W^T below reads rows of H contiguous values (and vectorizes); row
    // block `g` of a transposed weight is gate g's.
    auto transposed = [&](Value weight) -> Value {
      auto type = cast<RankedTensorType>(weight.getType());
      Value init = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{type.getDimSize(1), type.getDimSize(0)},
          layer.element);
      return linalg::TransposeOp::create(b, loc, weight, init,
                                         ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    };
    auto gateRows = [&](OpBuilder &b, Location loc, Value weightT,
                        int64_t g) -> Value {
      int64_t cols = cast<RankedTensorType>(weightT.getType()).getDimSize(1);
      return tensor::ExtractSliceOp::create(
          b, loc, RankedTensorType::get({H, cols}, layer.element), weightT,
          ArrayRef<OpFoldResult>{idx(g * H), idx(0)},
          ArrayRef<OpFoldResult>{idx(H), idx(cols)},
          ArrayRef<OpFoldResult>{idx(1), idx(1)});
    };

    Value weightHHT = transposed(adaptor.getWeightHh());
    // Each part of the batch walks back over time on one thread (see
    // buildForward).
    SmallVector<Value> loopResults = lowering::forEachBatchPart(
        b, loc, layer.batch, iterArgs,
        [&](OpBuilder &b, Location loc, Value start, Value count,
            ValueRange rows) -> SmallVector<Value> {
          Layer part = layer.withBatch(count);
          auto rowsOf = [&](Value value) {
            return lowering::sliceDim(b, loc, value, 0, start, count);
          };
          Value partDy = layer.sequence ? rowsOf(dy) : Value();
          SmallVector<Value> partActivations;
          for (Value activation : activations)
            partActivations.push_back(rowsOf(activation));
          Value partStates = rowsOf(states);
          auto loop = scf::ForOp::create(
              b, loc, createIndex(b, loc, 0), createIndex(b, loc, T),
              createIndex(b, loc, 1), rows,
              [&](OpBuilder &b, Location loc, Value k, ValueRange args) {
                Step step = Step::get(b, loc, part, k, /*backward=*/true);
                SmallVector<Value> ins;
                if (part.sequence)
                  ins.push_back(
                      part.slice(b, loc, partDy, {step.time, idx(0)}, {1, H}));
                for (int64_t a = 0; a < A; ++a)
                  ins.push_back(part.slice(b, loc, partActivations[a],
                                           {step.time, idx(0)}, {1, H}));
                // LSTM: c_{t-1}; GRU: h_{t-1}; Elman: h_t.
                Value stateSlot = lstm || gru ? step.prev : step.next;
                ins.push_back(part.slice(b, loc, partStates,
                                         {stateSlot, idx(lstm ? 1 : 0), idx(0)},
                                         {1, 1, H}));

                // Outputs: this step's gate gradients, then the states'
                // gradients in place: the parts of the previous step's that do
                // not go through W_hh.
                SmallVector<Value> outs;
                for (unsigned arg : gateArgs)
                  outs.push_back(part.slice(b, loc, args[arg],
                                            {step.time, idx(0)}, {1, H}));
                outs.append(args.begin(), args.begin() + S);

                bool sequence = part.sequence;
                size_t numIns = ins.size(), numGateOuts = gateArgs.size();
                SmallVector<Value> results = createStepGeneric(
                    b, loc, ins, outs,
                    [&](Scalar &s, ValueRange v) -> SmallVector<Value> {
                      ValueRange dState = v.drop_front(numIns + numGateOuts);
                      Value dh = sequence ? s.add(dState[0], v[0]) : dState[0];
                      ValueRange saved = v.drop_front(sequence ? 1 : 0);
                      switch (cell) {
                      case RecurrentCell::RnnTanh:
                        return {s.tanhGrad(dh, saved[0]), s.constant(0)};
                      case RecurrentCell::RnnRelu: {
                        Value positive = arith::CmpFOp::create(
                            s.b, s.loc, arith::CmpFPredicate::OGT, saved[0],
                            s.constant(0));
                        return {arith::SelectOp::create(s.b, s.loc, positive,
                                                        dh, s.constant(0)),
                                s.constant(0)};
                      }
                      case RecurrentCell::Gru: {
                        Value r = saved[0], z = saved[1], n = saved[2],
                              hn = saved[3], h = saved[4];
                        Value dn = s.mul(dh, s.sub(s.constant(1), z));
                        Value dz = s.mul(dh, s.sub(h, n));
                        Value dan = s.tanhGrad(dn, n);
                        return {s.sigmoidGrad(s.mul(dan, hn), r),
                                s.sigmoidGrad(dz, z), dan, s.mul(dan, r),
                                s.mul(dh, z)};
                      }
                      case RecurrentCell::Lstm: {
                        Value i = saved[0], f = saved[1], g = saved[2],
                              o = saved[3], cprev = saved[4];
                        Value tc = s.tanh(s.add(s.mul(f, cprev), s.mul(i, g)));
                        Value dct =
                            s.add(dState[1], s.tanhGrad(s.mul(dh, o), tc));
                        return {s.sigmoidGrad(s.mul(dct, g), i),
                                s.sigmoidGrad(s.mul(dct, cprev), f),
                                s.tanhGrad(s.mul(dct, i), g),
                                s.sigmoidGrad(s.mul(dh, tc), o),
                                s.constant(0),
                                s.mul(dct, f)};
                      }
                      }
                      llvm_unreachable("every cell is handled");
                    });

                SmallVector<Value> yields(args);
                DenseMap<unsigned, Value> gateResults;
                for (auto [result, arg] : llvm::zip(results, gateArgs))
                  gateResults[arg] = result;
                for (int64_t s = 0; s < S; ++s)
                  yields[s] = results[numGateOuts + s];
                // dh_{t-1} += sum over the gates of dA_t W_hh^T. The products
                // read the step's gate gradients before they are stored into
                // the history: a read after the store would make bufferization
                // copy them.
                for (auto [g, arg] : llvm::enumerate(recurrentGates))
                  yields[0] = lowering::createMatmul(
                      b, loc, gateResults[arg], gateRows(b, loc, weightHHT, g),
                      yields[0], /*transposeLhs=*/false,
                      /*transposeRhs=*/false);
                for (auto [result, arg] : llvm::zip(results, gateArgs))
                  yields[arg] = part.insert(b, loc, result, yields[arg],
                                            {step.time, idx(0)}, {1, H});
                scf::YieldOp::create(b, loc, yields);
              });
          return SmallVector<Value>(loop.getResults());
        });

    // After the loop, over all N * T rows at once, per gate: dx += dA W_ih^T,
    // dW_ih = x^T dA, db_ih = sum dA, and the same on the recurrent side
    // with h_{t-1}, a strided view of the states. They are contractions
    // over [N, T, .] tensors rather than matmuls over collapsed rows, so
    // every buffer keeps the batch as its leading dimension.
    MLIRContext *ctx = b.getContext();
    AffineExpr n, t, i, j;
    bindDims(ctx, n, t, i, j);
    auto contract = [&](Value lhs, Value rhs, Value init,
                        ArrayRef<AffineMap> maps,
                        ArrayRef<utils::IteratorType> iterators) {
      return lowering::createContraction(b, loc, lhs, rhs, init, maps,
                                         iterators);
    };
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(4, 0, exprs, ctx);
    };
    using utils::IteratorType;
    // out[i, j] = sum over n, t of lhs[n, t, i] rhs[n, t, j], in parts of
    // the batch when small (see lowering::kMaxBatchSplitElements).
    auto outerSum = [&](Value lhs, Value rhs, ArrayRef<int64_t> shape) {
      return lowering::sumOverBatchParts(
          b, loc, layer.batch, RankedTensorType::get(shape, layer.element),
          [&](OpBuilder &nb, Location l, Value start, Value count, Value init) {
            return lowering::createContraction(
                nb, l, lowering::sliceDim(nb, l, lhs, 0, start, count),
                lowering::sliceDim(nb, l, rhs, 0, start, count), init,
                {map({n, t, i}), map({n, t, j}), map({i, j})},
                {IteratorType::reduction, IteratorType::reduction,
                 IteratorType::parallel, IteratorType::parallel});
          });
    };
    auto zeros = [&](ArrayRef<int64_t> shape) {
      return lowering::createZeros(
          b, loc, RankedTensorType::get(shape, layer.element), {});
    };
    auto insertColumns = [&](Value block, Value into, int64_t g) -> Value {
      int64_t rank = cast<RankedTensorType>(into.getType()).getRank();
      SmallVector<OpFoldResult> offsets(rank, idx(0)), sizes,
          strides(rank, idx(1));
      offsets.back() = idx(g * H);
      for (int64_t d : cast<RankedTensorType>(block.getType()).getShape())
        sizes.push_back(idx(d));
      return tensor::InsertSliceOp::create(b, loc, block, into, offsets, sizes,
                                           strides);
    };

    // h_{t-1} as rows of its own: the view of the states skips one state
    // per example, so the sums below (which fold n and t into one loop)
    // would otherwise copy it, on one thread and, in parts of the batch,
    // inside the loop over the parts. A copy of it here is an elementwise
    // op like any other, run on threads.
    Value hprev = linalg::CopyOp::create(
                      b, loc,
                      layer.slice(b, loc, states,
                                  {idx(layer.reverse ? 1 : 0), idx(0), idx(0)},
                                  {T, 1, H}, {T, H}),
                      layer.empty(b, loc, {T, H}))
                      .getResult(0);
    Value dx = lowering::createZeros(b, loc, layer.type({T, F}), layer.batch);
    Value dWeightIH = zeros({F, G}), dWeightHH = zeros({H, G});
    Value dBiasIH = zeros({G}), dBiasHH = zeros({G});
    auto biasType = [&](int64_t n) {
      return RankedTensorType::get({n}, layer.element);
    };
    Value weightIHT = transposed(adaptor.getWeightIh());
    for (int64_t g = 0; g < numGates; ++g) {
      Value dGate = loopResults[inputGates[g]];
      // dx[n, t, i] += sum over j of dA[n, t, j] W_ih^T[gH + j, i].
      dx = contract(dGate, gateRows(b, loc, weightIHT, g), dx,
                    {map({n, t, j}), map({j, i}), map({n, t, i})},
                    {IteratorType::parallel, IteratorType::parallel,
                     IteratorType::parallel, IteratorType::reduction});
      dWeightIH =
          insertColumns(outerSum(layer.input, dGate, {F, H}), dWeightIH, g);
      Value dBias = lowering::createBatchSum(b, loc, dGate, {2}, biasType(H));
      dBiasIH = insertColumns(dBias, dBiasIH, g);

      Value dRecurrent = loopResults[recurrentGates[g]];
      dWeightHH =
          insertColumns(outerSum(hprev, dRecurrent, {H, H}), dWeightHH, g);
      if (recurrentGates[g] != inputGates[g])
        dBias = lowering::createBatchSum(b, loc, dRecurrent, {2}, biasType(H));
      dBiasHH = insertColumns(dBias, dBiasHH, g);
    }

    Value dInitial = layer.empty(b, loc, {S, H});
    for (int64_t s = 0; s < S; ++s)
      dInitial = layer.insert(b, loc, loopResults[s], dInitial,
                              {idx(s), idx(0)}, {1, H});
    rewriter.replaceOp(op,
                       {dx, dWeightIH, dWeightHH, dBiasIH, dBiasHH, dInitial});
    return success();
  }
};

} // namespace

void nnc::populateNNRecurrentToLoopsPatterns(RewritePatternSet &patterns) {
  patterns.add<LayerLowering<nn::RnnOp>, LayerLowering<nn::GruOp>,
               LayerLowering<nn::LstmOp>, LayerLowering<nn::RecurrentTrainOp>,
               RecurrentGradLowering>(patterns.getContext());
}
