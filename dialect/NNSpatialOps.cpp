//===- NNSpatialOps.cpp - Type inference of the image and norm ops -*- C++
//-*-===//
//
// Result-type inference and verifiers of convolution, pooling, batch
// normalization, dropout and concatenation, and of the ops their gradients
// are built from. Window geometry (kernel, strides, padding, dilations) is
// checked once, by `Window`, so every op words the same mistake the same
// way. Layout is NCHW throughout: dimension 1 is the channel.
//
//===----------------------------------------------------------------------===//

#include "dialect/NNOpDiagnostics.h"
#include "dialect/NNOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

/// The geometry of a 2-D sliding window.
struct Window {
  int64_t kernel[2] = {1, 1};
  int64_t strides[2] = {1, 1};
  int64_t dilations[2] = {1, 1};
  int64_t padding[4] = {0, 0, 0, 0}; // top, left, bottom, right

  /// Reads and checks the attributes; `dilations` may be empty (pooling).
  template <typename OpTy>
  static FailureOr<Window>
  get(std::optional<Location> loc, ArrayRef<int64_t> kernel,
      ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
      ArrayRef<int64_t> dilations = {}) {
    Window w;
    auto positivePair = [&](ArrayRef<int64_t> values, StringRef name,
                            int64_t(&out)[2]) -> LogicalResult {
      if (values.size() != 2 || values[0] <= 0 || values[1] <= 0)
        return opError<OpTy>(loc, "expected '", name,
                             "' to be two positive integers [h, w]");
      out[0] = values[0];
      out[1] = values[1];
      return success();
    };
    if (failed(positivePair(kernel, "kernel_size", w.kernel)) ||
        failed(positivePair(strides, "strides", w.strides)))
      return failure();
    if (!dilations.empty() &&
        failed(positivePair(dilations, "dilations", w.dilations)))
      return failure();
    if (padding.size() != 4 ||
        llvm::any_of(padding, [](int64_t p) { return p < 0; }))
      return opError<OpTy>(loc, "expected 'padding' to be four non-negative "
                                "integers [top, left, bottom, right]");
    llvm::copy(padding, w.padding);
    return w;
  }

  int64_t extent(unsigned d) const {
    return dilations[d] * (kernel[d] - 1) + 1;
  }

  /// The output size along `d` (0: height, 1: width) for an input of `in`.
  template <typename OpTy>
  FailureOr<int64_t> output(std::optional<Location> loc, unsigned d,
                            int64_t in) const {
    int64_t padded = in + padding[d] + padding[d + 2];
    if (extent(d) > padded)
      return opError<OpTy>(loc, "window of ", extent(d), " exceeds the ",
                           d == 0 ? "height" : "width",
                           " of the padded input (", padded, ")");
    return (padded - extent(d)) / strides[d] + 1;
  }

  /// The output [OH, OW] of an input of `height` x `width`; reports the
  /// first dimension the window does not fit.
  template <typename OpTy>
  FailureOr<std::pair<int64_t, int64_t>>
  outputSize(std::optional<Location> loc, int64_t height, int64_t width) const {
    auto oh = output<OpTy>(loc, 0, height);
    if (failed(oh))
      return failure();
    auto ow = output<OpTy>(loc, 1, width);
    if (failed(ow))
      return failure();
    return std::make_pair(*oh, *ow);
  }

  /// A gradient with respect to the input of a window op: the forward
  /// input `size` ([H, W]) must produce the spatial size of `dy`.
  template <typename OpTy>
  LogicalResult checkGradient(std::optional<Location> loc,
                              std::pair<int64_t, int64_t> size,
                              RankedTensorType dy) const {
    auto out = outputSize<OpTy>(loc, size.first, size.second);
    if (failed(out))
      return failure();
    if (out->first != dy.getDimSize(2) || out->second != dy.getDimSize(3))
      return opError<OpTy>(loc, "an input of ", size.first, "x", size.second,
                           " gives an output of ", out->first, "x", out->second,
                           ", not ", dy.getDimSize(2), "x", dy.getDimSize(3));
    return success();
  }

  /// Pooling windows must each hold an input element.
  template <typename OpTy>
  LogicalResult checkPoolPadding(std::optional<Location> loc) const {
    for (unsigned d = 0; d < 2; ++d)
      if (2 * padding[d] > kernel[d] || 2 * padding[d + 2] > kernel[d])
        return opError<OpTy>(loc, "padding must be at most half the window (",
                             kernel[0], "x", kernel[1], ")");
    return success();
  }
};

/// Requires `[N, C, H, W]` with static C, H and W.
template <typename OpTy>
FailureOr<RankedTensorType> getImage(std::optional<Location> loc, Value value,
                                     StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != 4 ||
      llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
    return opError<OpTy>(loc, "expected ", what,
                         " of shape [batch, channels, height, width] with "
                         "static channels and size, got ",
                         type);
  return type;
}

/// Requires `[N, C, ...]` with static per-example dimensions.
template <typename OpTy>
FailureOr<RankedTensorType> getChanneled(std::optional<Location> loc,
                                         Value value, StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() < 2 ||
      llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
    return opError<OpTy>(loc, "expected ", what,
                         " of shape [batch, channels, ...] with static "
                         "per-example dimensions, got ",
                         type);
  return type;
}

/// Requires a `[channels]` vector of `element`.
template <typename OpTy>
LogicalResult checkChannelVector(std::optional<Location> loc, Value value,
                                 StringRef what, int64_t channels,
                                 Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != channels ||
      type.getElementType() != element)
    return opError<OpTy>(loc, "expected ", what, " of type ",
                         RankedTensorType::get({channels}, element), ", got ",
                         type);
  return success();
}

template <typename OpTy>
FailureOr<std::pair<int64_t, int64_t>>
getSize(std::optional<Location> loc, ArrayRef<int64_t> size, StringRef name) {
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
    return opError<OpTy>(loc, "expected '", name,
                         "' to be two positive integers [h, w]");
  return std::make_pair(size[0], size[1]);
}

/// The filter of a convolution: `[F, C / groups, KH, KW]` for an input of
/// C channels. Returns the window.
template <typename OpTy>
FailureOr<Window>
checkConvolution(std::optional<Location> loc, int64_t channels, int64_t filters,
                 int64_t filterChannels, int64_t groups,
                 ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations) {
  if (groups <= 0)
    return opError<OpTy>(loc, "expected a positive number of groups, got ",
                         groups);
  if (channels % groups != 0)
    return opError<OpTy>(loc, "input channels (", channels,
                         ") are not divisible by groups (", groups, ")");
  if (filters % groups != 0)
    return opError<OpTy>(loc, "filters (", filters,
                         ") are not divisible by groups (", groups, ")");
  if (filterChannels != channels / groups)
    return opError<OpTy>(loc, "filter expects ", filterChannels,
                         " input channels per group, but the input has ",
                         channels, " channels in ", groups, " group",
                         groups == 1 ? "" : "s");
  return Window::get<OpTy>(loc, kernel, strides, padding, dilations);
}

} // namespace

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto input = getImage<Conv2DOp>(loc, adaptor.getInput(), "input");
  if (failed(input))
    return failure();
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  if (filter.getRank() != 4 || !filter.hasStaticShape())
    return opError<Conv2DOp>(loc,
                             "expected a static filter of shape [filters, "
                             "channels / groups, height, width], got ",
                             filter);
  Type element = input->getElementType();
  if (filter.getElementType() != element)
    return opError<Conv2DOp>(loc, "expected one element type, got ", element,
                             " and ", filter.getElementType());
  ArrayRef<int64_t> f = filter.getShape();
  auto window = checkConvolution<Conv2DOp>(
      loc, input->getDimSize(1), f[0], f[1], adaptor.getGroups(),
      f.drop_front(2), adaptor.getStrides(), adaptor.getPadding(),
      adaptor.getDilations());
  if (failed(window))
    return failure();
  if (Value bias = adaptor.getBias())
    if (failed(checkChannelVector<Conv2DOp>(loc, bias, "bias", f[0], element)))
      return failure();
  auto out = window->outputSize<Conv2DOp>(loc, input->getDimSize(2),
                                          input->getDimSize(3));
  if (failed(out))
    return failure();
  results.push_back(RankedTensorType::get(
      {input->getDimSize(0), f[0], out->first, out->second}, element));
  return success();
}

LogicalResult
Conv2DInputGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  auto dy = getImage<Conv2DInputGradOp>(loc, adaptor.getResultGradient(),
                                        "result gradient");
  auto size =
      getSize<Conv2DInputGradOp>(loc, adaptor.getInputSize(), "input_size");
  if (failed(dy) || failed(size))
    return failure();
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  if (filter.getRank() != 4 || !filter.hasStaticShape() ||
      filter.getDimSize(0) != dy->getDimSize(1))
    return opError<Conv2DInputGradOp>(loc, "expected a filter of ",
                                      dy->getDimSize(1), " filters, got ",
                                      filter);
  int64_t groups = adaptor.getGroups();
  ArrayRef<int64_t> f = filter.getShape();
  auto window = checkConvolution<Conv2DInputGradOp>(
      loc, f[1] * groups, f[0], f[1], groups, f.drop_front(2),
      adaptor.getStrides(), adaptor.getPadding(), adaptor.getDilations());
  if (failed(window))
    return failure();
  if (failed(window->checkGradient<Conv2DInputGradOp>(loc, *size, *dy)))
    return failure();
  results.push_back(RankedTensorType::get(
      {dy->getDimSize(0), f[1] * groups, size->first, size->second},
      dy->getElementType()));
  return success();
}

LogicalResult
Conv2DFilterGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     Adaptor adaptor,
                                     SmallVectorImpl<Type> &results) {
  auto input = getImage<Conv2DFilterGradOp>(loc, adaptor.getInput(), "input");
  auto dy = getImage<Conv2DFilterGradOp>(loc, adaptor.getResultGradient(),
                                         "result gradient");
  if (failed(input) || failed(dy))
    return failure();
  int64_t groups = adaptor.getGroups();
  int64_t channels = input->getDimSize(1), filters = dy->getDimSize(1);
  auto window = checkConvolution<Conv2DFilterGradOp>(
      loc, channels, filters, groups > 0 ? channels / groups : 0, groups,
      adaptor.getKernelSize(), adaptor.getStrides(), adaptor.getPadding(),
      adaptor.getDilations());
  if (failed(window))
    return failure();
  auto out = window->outputSize<Conv2DFilterGradOp>(loc, input->getDimSize(2),
                                                    input->getDimSize(3));
  if (failed(out))
    return failure();
  if (out->first != dy->getDimSize(2) || out->second != dy->getDimSize(3) ||
      input->getDimSize(0) != dy->getDimSize(0))
    return opError<Conv2DFilterGradOp>(
        loc, "result gradient ", *dy, " does not match the output of ", *input);
  results.push_back(RankedTensorType::get(
      {filters, channels / groups, window->kernel[0], window->kernel[1]},
      input->getElementType()));
  return success();
}

LogicalResult ChannelSumOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &results) {
  auto type = getChanneled<ChannelSumOp>(loc, adaptor.getInput(), "input");
  if (failed(type))
    return failure();
  results.push_back(
      RankedTensorType::get({type->getDimSize(1)}, type->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename OpTy>
static FailureOr<RankedTensorType>
inferPool(std::optional<Location> loc, Value input, ArrayRef<int64_t> kernel,
          ArrayRef<int64_t> strides, ArrayRef<int64_t> padding) {
  auto type = getImage<OpTy>(loc, input, "input");
  if (failed(type))
    return failure();
  auto window = Window::get<OpTy>(loc, kernel, strides, padding);
  if (failed(window) || failed(window->template checkPoolPadding<OpTy>(loc)))
    return failure();
  auto out = window->template outputSize<OpTy>(loc, type->getDimSize(2),
                                               type->getDimSize(3));
  if (failed(out))
    return failure();
  return RankedTensorType::get(
      {type->getDimSize(0), type->getDimSize(1), out->first, out->second},
      type->getElementType());
}

#define NNC_POOL_INFER(OP)                                                     \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    auto type =                                                                \
        inferPool<OP>(loc, adaptor.getInput(), adaptor.getKernelSize(),        \
                      adaptor.getStrides(), adaptor.getPadding());             \
    if (failed(type))                                                          \
      return failure();                                                        \
    results.push_back(*type);                                                  \
    return success();                                                          \
  }
NNC_POOL_INFER(MaxPool2DOp)
NNC_POOL_INFER(AvgPool2DOp)
#undef NNC_POOL_INFER

LogicalResult
MaxPool2DGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &results) {
  auto pooled = inferPool<MaxPool2DGradOp>(
      loc, adaptor.getInput(), adaptor.getKernelSize(), adaptor.getStrides(),
      adaptor.getPadding());
  if (failed(pooled))
    return failure();
  if (adaptor.getResultGradient().getType() != *pooled)
    return opError<MaxPool2DGradOp>(loc, "expected a result gradient of type ",
                                    *pooled, ", got ",
                                    adaptor.getResultGradient().getType());
  results.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult
AvgPool2DGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &results) {
  auto dy = getImage<AvgPool2DGradOp>(loc, adaptor.getResultGradient(),
                                      "result gradient");
  auto size =
      getSize<AvgPool2DGradOp>(loc, adaptor.getInputSize(), "input_size");
  if (failed(dy) || failed(size))
    return failure();
  auto input = RankedTensorType::get(
      {dy->getDimSize(0), dy->getDimSize(1), size->first, size->second},
      dy->getElementType());
  auto window = Window::get<AvgPool2DGradOp>(
      loc, adaptor.getKernelSize(), adaptor.getStrides(), adaptor.getPadding());
  if (failed(window))
    return failure();
  if (failed(window->checkGradient<AvgPool2DGradOp>(loc, *size, *dy)))
    return failure();
  results.push_back(input);
  return success();
}

LogicalResult
GlobalAvgPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &results) {
  auto type = getImage<GlobalAvgPoolOp>(loc, adaptor.getInput(), "input");
  if (failed(type))
    return failure();
  results.push_back(RankedTensorType::get(
      {type->getDimSize(0), type->getDimSize(1)}, type->getElementType()));
  return success();
}

LogicalResult GlobalAvgPoolGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  auto dy = cast<RankedTensorType>(adaptor.getResultGradient().getType());
  auto size =
      getSize<GlobalAvgPoolGradOp>(loc, adaptor.getInputSize(), "input_size");
  if (failed(size))
    return failure();
  if (dy.getRank() != 2 || ShapedType::isDynamic(dy.getDimSize(1)))
    return opError<GlobalAvgPoolGradOp>(
        loc, "expected a result gradient of shape [batch, channels], got ", dy);
  results.push_back(RankedTensorType::get(
      {dy.getDimSize(0), dy.getDimSize(1), size->first, size->second},
      dy.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

template <typename OpTy>
static FailureOr<RankedTensorType>
checkBatchNorm(std::optional<Location> loc, Value input, Value weight,
               Value bias, Value mean, Value var, double epsilon,
               double momentum) {
  auto type = getChanneled<OpTy>(loc, input, "input");
  if (failed(type))
    return failure();
  int64_t channels = type->getDimSize(1);
  Type element = type->getElementType();
  if (failed(
          checkChannelVector<OpTy>(loc, weight, "weight", channels, element)) ||
      failed(checkChannelVector<OpTy>(loc, bias, "bias", channels, element)) ||
      failed(checkChannelVector<OpTy>(loc, mean, "running mean", channels,
                                      element)) ||
      failed(checkChannelVector<OpTy>(loc, var, "running variance", channels,
                                      element)))
    return failure();
  if (!(epsilon > 0))
    return opError<OpTy>(loc, "expected a positive epsilon, got ", epsilon);
  if (!(momentum >= 0 && momentum <= 1))
    return opError<OpTy>(loc, "expected a momentum in [0, 1], got ", momentum);
  return type;
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto type = checkBatchNorm<BatchNormOp>(
      loc, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
      adaptor.getRunningMean(), adaptor.getRunningVar(),
      adaptor.getEpsilon().convertToDouble(),
      adaptor.getMomentum().convertToDouble());
  if (failed(type))
    return failure();
  results.push_back(*type);
  return success();
}

LogicalResult
BatchNormTrainOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  auto type = checkBatchNorm<BatchNormTrainOp>(
      loc, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
      adaptor.getRunningMean(), adaptor.getRunningVar(),
      adaptor.getEpsilon().convertToDouble(),
      adaptor.getMomentum().convertToDouble());
  if (failed(type))
    return failure();
  Type stat = adaptor.getRunningMean().getType();
  results.append({*type, stat, stat});
  return success();
}

LogicalResult BatchNormTrainGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  auto type =
      getChanneled<BatchNormTrainGradOp>(loc, adaptor.getInput(), "input");
  if (failed(type))
    return failure();
  if (adaptor.getResultGradient().getType() != *type)
    return opError<BatchNormTrainGradOp>(
        loc, "expected a result gradient of type ", *type, ", got ",
        adaptor.getResultGradient().getType());
  if (failed(checkChannelVector<BatchNormTrainGradOp>(
          loc, adaptor.getWeight(), "weight", type->getDimSize(1),
          type->getElementType())))
    return failure();
  Type stat = adaptor.getWeight().getType();
  results.append({*type, stat, stat});
  return success();
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult inferDropout(std::optional<Location> loc, Value input,
                                  SmallVectorImpl<Type> &results) {
  auto type = getChanneled<OpTy>(loc, input, "input");
  if (failed(type))
    return failure();
  results.push_back(*type);
  return success();
}

static LogicalResult verifyRate(Operation *op, double rate) {
  if (!(rate >= 0 && rate < 1))
    return op->emitOpError("expected a rate in [0, 1), got ") << rate;
  return success();
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferDropout<DropoutOp>(loc, adaptor.getInput(), results);
}

LogicalResult DropoutOp::verify() {
  return verifyRate(*this, getRate().convertToDouble());
}

/// Dropout only exists while training, and nnc-build-train-forward runs
/// before anything folds.
OpFoldResult DropoutOp::fold(FoldAdaptor) { return getInput(); }

LogicalResult DropoutTrainOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &results) {
  return inferDropout<DropoutTrainOp>(loc, adaptor.getInput(), results);
}

LogicalResult DropoutTrainOp::verify() {
  return verifyRate(*this, getRate().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Concatenation
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return opError<ConcatOp>(loc, "expected at least one input");
  auto first = getChanneled<ConcatOp>(loc, inputs.front(), "inputs");
  if (failed(first))
    return failure();
  int64_t axis = adaptor.getAxis();
  if (axis < 1 || axis >= first->getRank())
    return opError<ConcatOp>(loc, "axis ", axis,
                             " is not a per-example "
                             "dimension of ",
                             *first);
  SmallVector<int64_t> shape(first->getShape());
  shape[axis] = 0;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    bool same = type.getRank() == first->getRank() &&
                type.getElementType() == first->getElementType();
    for (int64_t d = 0; same && d < type.getRank(); ++d)
      same = d == axis || type.getDimSize(d) == first->getDimSize(d);
    if (!same || ShapedType::isDynamic(type.getDimSize(axis)))
      return opError<ConcatOp>(loc, "cannot concatenate ", *first, " and ",
                               type, " along axis ", axis);
    shape[axis] += type.getDimSize(axis);
  }
  results.push_back(RankedTensorType::get(shape, first->getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  auto type = getChanneled<SliceOp>(loc, adaptor.getInput(), "input");
  if (failed(type))
    return failure();
  int64_t axis = adaptor.getAxis(), offset = adaptor.getOffset(),
          size = adaptor.getSize();
  if (axis < 1 || axis >= type->getRank())
    return opError<SliceOp>(loc, "axis ", axis,
                            " is not a per-example dimension of ", *type);
  if (offset < 0 || size <= 0 || offset + size > type->getDimSize(axis))
    return opError<SliceOp>(loc, "range [", offset, ", ", offset + size,
                            ") is outside dimension ", axis, " of ", *type);
  SmallVector<int64_t> shape(type->getShape());
  shape[axis] = size;
  results.push_back(RankedTensorType::get(shape, type->getElementType()));
  return success();
}
