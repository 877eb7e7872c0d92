//===- CInterface.cpp - C entry points and descriptors ----------*- C++ -*-===//
//
// After lowering, an entry point takes expanded memref descriptors (for a
// rank-r memref: allocated and aligned pointers, offset, r sizes, r strides)
// for every tensor argument and out-parameter, plus plain scalars. The
// wrappers written here turn the plain pointers of the C ABI into those
// arguments: batched tensors get the run-time batch as their first size,
// parameters (and gradients and optimizer state) point into flat buffers at
// their offsets, scalar results live in a stack slot whose value is
// returned. Strides are row-major. On x86 each wrapper also runs the body
// with subnormals flushed to zero (MXCSR's FTZ and DAZ bits set, then the
// caller's MXCSR restored; see runtime/nnc_model.h). The descriptors are
// constants laid out exactly like the structs of runtime/nnc_model.h under
// the x86-64 C ABI.
//
//===----------------------------------------------------------------------===//

#include "passes/CInterface.h"

#include "runtime/nnc_model.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicsX86.h"

using namespace llvm;

namespace {

/// The bytes of a workspace of `fixed + batch * perExample` bytes.
Value *workspaceBytes(IRBuilder<> &b, Value *batch, int64_t fixed,
                      int64_t perExample) {
  return b.CreateAdd(b.getInt64(fixed),
                     b.CreateMul(batch, b.getInt64(perExample)));
}

/// Builds one C wrapper around a lowered entry point.
class Wrapper {
public:
  Wrapper(Module &module, const nnc::ModelInfo &model, const Twine &name,
          Type *returnType, ArrayRef<std::pair<Type *, StringRef>> params)
      : model(model), ctx(module.getContext()), b(ctx),
        element(model.isF64 ? Type::getDoubleTy(ctx) : Type::getFloatTy(ctx)) {
    SmallVector<Type *> types;
    for (auto &[type, argName] : params)
      types.push_back(type);
    fn = Function::Create(FunctionType::get(returnType, types, false),
                          GlobalValue::ExternalLinkage, name, module);
    fn->addFnAttr(Attribute::NoUnwind);
    for (auto [arg, param] : llvm::zip(fn->args(), params)) {
      if (param.second.empty())
        continue;
      arg.setName(param.second);
      named[param.second] = &arg;
    }
    b.SetInsertPoint(BasicBlock::Create(ctx, "entry", fn));
  }

  Value *arg(StringRef name) { return named.lookup(name); }
  IRBuilder<> &builder() { return b; }
  Type *elementType() { return element; }

  /// A row-major memref at `ptr` of static `shape`, batched or not.
  void memref(Value *ptr, ArrayRef<int64_t> shape, bool batched) {
    SmallVector<Value *> sizes;
    if (batched)
      sizes.push_back(arg("batch"));
    for (int64_t dim : shape)
      sizes.push_back(b.getInt64(dim));
    args.push_back(ptr);
    args.push_back(ptr);
    args.push_back(b.getInt64(0));
    args.append(sizes.begin(), sizes.end());
    SmallVector<Value *> strides(sizes.size());
    Value *stride = b.getInt64(1);
    for (size_t i = sizes.size(); i-- > 0;) {
      strides[i] = stride;
      stride = b.CreateMul(stride, sizes[i]);
    }
    args.append(strides.begin(), strides.end());
  }

  /// Every parameter-shaped tensor of a flat buffer (params, grads, state).
  void paramViews(Value *buffer, int64_t copyOffset = 0) {
    for (const nnc::ParamInfo &p : model.params)
      memref(b.CreateInBoundsGEP(element, buffer,
                                 b.getInt64(copyOffset + p.offset)),
             p.shape, /*batched=*/false);
  }

  void scalar(Value *value) { args.push_back(value); }

  /// A rank-0 out-parameter in a fresh stack slot, returned for loading.
  Value *scalarOut(Type *type) {
    IRBuilder<> entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
    Value *slot = entry.CreateAlloca(type);
    args.push_back(slot);
    args.push_back(slot);
    args.push_back(b.getInt64(0));
    return slot;
  }

  /// The labels of a batch: class indices, or output-shaped targets.
  void labels() {
    if (model.train && model.train->loss == NNC_LOSS_MSE)
      memref(arg("labels"), model.output.shape, /*batched=*/true);
    else
      memref(arg("labels"), {}, /*batched=*/true);
  }

  /// The leading arguments of every training entry point: the batch of
  /// inputs, its labels, then the parameters (`training` puts the step, the
  /// seed and the update flag of @M.train_step in between).
  void batchAndParams(bool training = false, Value *step = nullptr,
                      bool update = false) {
    memref(arg("x"), model.inputs.front().shape, /*batched=*/true);
    labels();
    if (training) {
      scalar(step);
      scalar(arg("seed"));
      scalar(b.getInt1(update));
    }
    paramViews(arg("params"));
  }

  /// The workspace of a training entry point, the caller's.
  void workspace() {
    const nnc::TrainInfo &t = *model.train;
    workspace(arg("workspace"), workspaceBytes(t.workspaceFixed,
                                               t.workspacePerExample));
  }

  Value *workspaceBytes(int64_t fixed, int64_t perExample) {
    return ::workspaceBytes(b, arg("batch"), fixed, perExample);
  }

  /// A workspace of `bytes` at `ptr`: an i8 memref.
  void workspace(Value *ptr, Value *bytes) {
    args.push_back(ptr);
    args.push_back(ptr);
    args.push_back(b.getInt64(0));
    args.push_back(bytes);
    args.push_back(b.getInt64(1));
  }

  /// Calls `bodyName` with the arguments gathered so far.
  Error call(Module &module, StringRef bodyName) {
    Function *body = module.getFunction(bodyName);
    if (!body)
      return createStringError("no lowered function '%s'",
                               bodyName.str().c_str());
    body->setLinkage(GlobalValue::InternalLinkage);
    if (args.size() != body->arg_size())
      return createStringError(
          "lowered function '%s' takes %zu arguments, its C wrapper passes %zu",
          bodyName.str().c_str(), body->arg_size(), args.size());
    Value *saved = flushSubnormals(module);
    b.CreateCall(body, args);
    if (saved)
      b.CreateIntrinsic(Intrinsic::x86_sse_ldmxcsr, {}, {saved});
    return Error::success();
  }

  Function *function() { return fn; }

private:
  /// On x86, sets MXCSR's flush-to-zero and denormals-are-zero bits and
  /// returns the stack slot holding the caller's MXCSR, for restoring after
  /// the body; elsewhere, null. libomp hands the master thread's MXCSR to
  /// the threads of every parallel region it forks, so the body's parallel
  /// loops compute in the same mode.
  Value *flushSubnormals(Module &module) {
    if (!module.getTargetTriple().isX86())
      return nullptr;
    Type *i32 = b.getInt32Ty();
    IRBuilder<> entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
    Value *saved = entry.CreateAlloca(i32, nullptr, "mxcsr");
    Value *flushing = entry.CreateAlloca(i32, nullptr, "mxcsr.flush");
    b.CreateIntrinsic(Intrinsic::x86_sse_stmxcsr, {}, {saved});
    b.CreateStore(b.CreateOr(b.CreateLoad(i32, saved), b.getInt32(kFtzDaz)),
                  flushing);
    b.CreateIntrinsic(Intrinsic::x86_sse_ldmxcsr, {}, {flushing});
    return saved;
  }

  /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits.
  static constexpr uint32_t kFtzDaz = 0x8040;

  const nnc::ModelInfo &model;
  LLVMContext &ctx;
  IRBuilder<> b;
  Type *element;
  Function *fn;
  StringMap<Value *> named;
  SmallVector<Value *> args;
};

/// Alignment of the workspace nnc_<M>_forward allocates, as callers of the
/// training entry points must align theirs (runtime/nnc_model.h).
constexpr int64_t kAlignment = 64;

/// nnc_<M>_forward_ws(params, inputs..., batch, output, workspace): the
/// body, its intermediates in the caller's workspace (unused when the body
/// has none).
Error emitForwardWithWorkspace(Module &module, const nnc::ModelInfo &model) {
  LLVMContext &ctx = module.getContext();
  Type *ptr = PointerType::getUnqual(ctx), *i64 = Type::getInt64Ty(ctx);
  // Inputs have the user's names, which may be `batch` or `output`: they
  // are found by position, and named only once the fixed arguments are.
  SmallVector<std::pair<Type *, StringRef>> params{{ptr, "params"}};
  for (size_t i = 0; i < model.inputs.size(); ++i)
    params.push_back({ptr, ""});
  params.push_back({i64, "batch"});
  params.push_back({ptr, "output"});
  params.push_back({ptr, "workspace"});
  Wrapper w(module, model, "nnc_" + model.name + "_forward_ws",
            Type::getVoidTy(ctx), params);
  // The workspace is the caller's, 64-byte aligned and apart from every
  // other buffer (docs/embedding.md): LLVM is told so, as it knew when the
  // buffer came from malloc in the same function.
  unsigned workspaceArg = w.function()->arg_size() - 1;
  w.function()->addParamAttr(workspaceArg, Attribute::NoAlias);
  w.function()->addParamAttr(
      workspaceArg, Attribute::getWithAlignment(ctx, Align(kAlignment)));
  for (auto [i, input] : llvm::enumerate(model.inputs))
    w.function()->getArg(1 + i)->setName(input.name);
  for (const nnc::ArgInfo &arg : model.args) {
    if (arg.isParam) {
      const nnc::ParamInfo &p = model.params[arg.index];
      w.memref(w.builder().CreateInBoundsGEP(w.elementType(), w.arg("params"),
                                             w.builder().getInt64(p.offset)),
               p.shape, /*batched=*/false);
    } else {
      const nnc::TensorInfo &input = model.inputs[arg.index];
      w.memref(w.function()->getArg(1 + arg.index), input.shape,
               /*batched=*/true);
    }
  }
  w.memref(w.arg("output"), model.output.shape, /*batched=*/true);
  if (model.hasForwardWorkspace())
    w.workspace(w.arg("workspace"),
                w.workspaceBytes(model.forwardWorkspaceFixed,
                                 model.forwardWorkspacePerExample));
  if (Error err = w.call(module, nnc::getModelBodySymbol(model.name)))
    return err;
  w.builder().CreateRetVoid();
  return Error::success();
}

/// nnc_<M>_forward(params, inputs..., batch, output): nnc_<M>_forward_ws
/// with a workspace allocated for the call. One allocation per call: with
/// glibc's malloc, whose thresholds adapt to the first call's size, later
/// calls reuse its pages instead of mapping and faulting in fresh ones for
/// every intermediate, as the body's own allocations did (the bench CNN's
/// forward pass at batch 64: 10.9 -> 0.34 ms; docs/performance.md).
/// malloc's 16-byte alignment is rounded up to the workspace's: the object
/// needs no other allocator than the one the lowered code calls anyway.
Error emitForward(Module &module, const nnc::ModelInfo &model) {
  LLVMContext &ctx = module.getContext();
  Function *withWorkspace =
      module.getFunction("nnc_" + model.name + "_forward_ws");
  if (!withWorkspace)
    return createStringError("no nnc_%s_forward_ws", model.name.c_str());
  SmallVector<Type *> types(withWorkspace->getFunctionType()->params());
  types.pop_back();
  Function *fn = Function::Create(
      FunctionType::get(Type::getVoidTy(ctx), types, false),
      GlobalValue::ExternalLinkage, "nnc_" + model.name + "_forward", module);
  fn->addFnAttr(Attribute::NoUnwind);
  SmallVector<Value *> args;
  for (auto [arg, original] : llvm::zip(fn->args(), withWorkspace->args())) {
    arg.setName(original.getName());
    args.push_back(&arg);
  }
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
  Type *ptr = b.getPtrTy(), *i64 = b.getInt64Ty();
  Value *buffer = nullptr;
  if (!model.hasForwardWorkspace()) {
    args.push_back(ConstantPointerNull::get(b.getPtrTy()));
  } else {
    Value *bytes = workspaceBytes(b, fn->getArg(fn->arg_size() - 2),
                                  model.forwardWorkspaceFixed,
                                  model.forwardWorkspacePerExample);
    FunctionCallee malloc = module.getOrInsertFunction("malloc", ptr, i64);
    buffer = b.CreateCall(malloc,
                          {b.CreateAdd(bytes, b.getInt64(kAlignment - 1))});
    Value *address = b.CreatePtrToInt(buffer, i64);
    Value *aligned = b.CreateAnd(
        b.CreateAdd(address, b.getInt64(kAlignment - 1)),
        b.getInt64(-kAlignment));
    args.push_back(
        b.CreateGEP(b.getInt8Ty(), buffer, b.CreateSub(aligned, address)));
  }
  b.CreateCall(withWorkspace, args);
  if (buffer) {
    FunctionCallee free =
        module.getOrInsertFunction("free", b.getVoidTy(), b.getPtrTy());
    b.CreateCall(free, {buffer});
  }
  b.CreateRetVoid();
  return Error::success();
}

/// nnc_<M>_train_step, nnc_<M>_gradient and nnc_<M>_eval; see the typedefs
/// of runtime/nnc_model.h. The argument order of each lowered function is
/// the one nnc-build-train-step gave it, then the out-parameters of the
/// results that were not updated in place, then the workspace.
Error emitTrainingEntryPoints(Module &module, const nnc::ModelInfo &model,
                              Function *(&entries)[3]) {
  LLVMContext &ctx = module.getContext();
  Type *ptr = PointerType::getUnqual(ctx), *i64 = Type::getInt64Ty(ctx);
  Type *element = model.isF64 ? Type::getDoubleTy(ctx) : Type::getFloatTy(ctx);
  int64_t stateCopies = model.train->statesPerParam;

  {
    Wrapper w(module, model, "nnc_" + model.name + "_train_step", element,
              {{ptr, "params"},
               {ptr, "grads"},
               {ptr, "opt_state"},
               {i64, "step"},
               {i64, "seed"},
               {ptr, "x"},
               {ptr, "labels"},
               {i64, "batch"},
               {ptr, "workspace"}});
    w.batchAndParams(/*training=*/true, w.arg("step"), /*update=*/true);
    for (int64_t s = 0; s < stateCopies; ++s)
      w.paramViews(w.arg("opt_state"), s * model.paramSize);
    Value *loss = w.scalarOut(element);
    w.paramViews(w.arg("grads"));
    w.workspace();
    if (Error err = w.call(module, model.name + ".train_step"))
      return err;
    w.builder().CreateRet(w.builder().CreateLoad(element, loss));
    entries[0] = w.function();
  }
  {
    Wrapper w(module, model, "nnc_" + model.name + "_eval", element,
              {{ptr, "params"},
               {ptr, "x"},
               {ptr, "labels"},
               {i64, "batch"},
               {ptr, "correct"},
               {ptr, "workspace"}});
    w.batchAndParams();
    Value *loss = w.scalarOut(element);
    Value *correct = w.scalarOut(i64);
    w.workspace();
    if (Error err = w.call(module, model.name + ".eval"))
      return err;
    IRBuilder<> &b = w.builder();
    Value *lossValue = b.CreateLoad(element, loss);
    BasicBlock *store = BasicBlock::Create(ctx, "store", w.function());
    BasicBlock *done = BasicBlock::Create(ctx, "done", w.function());
    b.CreateCondBr(b.CreateIsNotNull(w.arg("correct")), store, done);
    b.SetInsertPoint(store);
    b.CreateStore(b.CreateLoad(i64, correct), w.arg("correct"));
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRet(lossValue);
    entries[1] = w.function();
  }
  {
    Wrapper w(module, model, "nnc_" + model.name + "_gradient", element,
              {{ptr, "params"},
               {ptr, "grads"},
               {i64, "seed"},
               {ptr, "x"},
               {ptr, "labels"},
               {i64, "batch"},
               {ptr, "workspace"}});
    // @M.train_step without its update: step 0 makes the dropout key the
    // seed itself. The optimizer state is never read then; the gradient
    // buffer stands in for it.
    w.batchAndParams(/*training=*/true, w.builder().getInt64(0),
                     /*update=*/false);
    for (int64_t s = 0; s < stateCopies; ++s)
      w.paramViews(w.arg("grads"));
    Value *loss = w.scalarOut(element);
    w.paramViews(w.arg("grads"));
    w.workspace();
    if (Error err = w.call(module, model.name + ".train_step"))
      return err;
    w.builder().CreateRet(w.builder().CreateLoad(element, loss));
    entries[2] = w.function();
  }
  return Error::success();
}

/// Builds the constants behind one `nnc_model_desc`.
class DescriptorBuilder {
public:
  explicit DescriptorBuilder(Module &module)
      : module(module), ctx(module.getContext()),
        ptrTy(PointerType::getUnqual(ctx)), i32Ty(Type::getInt32Ty(ctx)),
        i64Ty(Type::getInt64Ty(ctx)), f64Ty(Type::getDoubleTy(ctx)) {
    // Field for field the structs of runtime/nnc_model.h.
    paramTy = StructType::get(
        ctx,
        {ptrTy, i32Ty, ptrTy, i64Ty, i64Ty, i32Ty, i64Ty, i64Ty, i32Ty, i32Ty});
    tensorTy = StructType::get(ctx, {ptrTy, i32Ty, ptrTy, i64Ty});
    trainTy = StructType::get(ctx, {i32Ty, i32Ty, f64Ty, f64Ty, f64Ty, f64Ty,
                                    f64Ty, f64Ty, i64Ty, i64Ty, i32Ty, i32Ty,
                                    i64Ty, i64Ty, i64Ty, ptrTy, ptrTy, ptrTy});
    modelTy = StructType::get(ctx, {i32Ty, ptrTy, i64Ty, ptrTy, i64Ty, i64Ty,
                                    ptrTy, ptrTy, i32Ty, ptrTy});
  }

  void emit(const nnc::ModelInfo &model, Function *const (&entries)[3]) {
    prefix = "__nnc_" + model.name;
    SmallVector<Constant *> params;
    std::vector<nnc::ParamInfo> described = model.describedParams();
    for (const nnc::ParamInfo &p : described)
      params.push_back(ConstantStruct::get(
          paramTy, {string(p.name), i32(p.shape.size()), shape(p.shape),
                    i64(p.offset), i64(p.size), i32(p.init), i64(p.fanIn),
                    i64(p.fanOut), i32(p.trainable), i32(p.columnBlocks)}));
    SmallVector<Constant *> inputs;
    for (const nnc::TensorInfo &t : model.inputs)
      inputs.push_back(tensor(t));
    Constant *train = null();
    // The function-pointer types of nnc_train_desc take float; an f64 model
    // exports its entry points but no training descriptor.
    if (model.train && !model.isF64) {
      const nnc::TrainInfo &t = *model.train;
      Constant *fields[] = {i32(t.loss),
                            i32(t.optimizer),
                            f64(t.lr),
                            f64(t.momentum),
                            f64(t.weightDecay),
                            f64(t.beta1),
                            f64(t.beta2),
                            f64(t.eps),
                            i64(t.batch),
                            i64(t.epochs),
                            i32(t.augmentFlip),
                            i32(t.augmentShift),
                            i64(t.statesPerParam * model.paramSize),
                            i64(t.workspaceFixed),
                            i64(t.workspacePerExample),
                            entries[0],
                            entries[1],
                            entries[2]};
      train = global(ConstantStruct::get(trainTy, fields), "train");
    }
    Constant *fields[] = {
        i32(NNC_ABI_VERSION),
        string(model.name),
        i64(described.size()),
        array(paramTy, params, "params"),
        i64(model.paramSize),
        i64(model.inputs.size()),
        array(tensorTy, inputs, "inputs"),
        global(tensor(model.output), "output"),
        i32(model.isF64 ? NNC_DTYPE_F64 : NNC_DTYPE_F32),
        train,
    };
    auto *desc = new GlobalVariable(
        module, modelTy, /*isConstant=*/true, GlobalValue::ExternalLinkage,
        ConstantStruct::get(modelTy, fields), "nnc_" + model.name + "_desc");
    desc->setAlignment(Align(8));
  }

private:
  Constant *i32(int64_t v) { return ConstantInt::get(i32Ty, v); }
  Constant *i64(int64_t v) { return ConstantInt::get(i64Ty, v); }
  Constant *f64(double v) { return ConstantFP::get(f64Ty, v); }
  Constant *null() {
    return ConstantPointerNull::get(cast<PointerType>(ptrTy));
  }

  Constant *global(Constant *init, const Twine &name) {
    auto *gv = new GlobalVariable(module, init->getType(), true,
                                  GlobalValue::PrivateLinkage, init,
                                  prefix + "_" + name);
    gv->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    return gv;
  }

  Constant *string(StringRef s) {
    return global(ConstantDataArray::getString(ctx, s), "str");
  }

  Constant *array(Type *elementTy, ArrayRef<Constant *> elements,
                  const Twine &name) {
    if (elements.empty())
      return null();
    return global(ConstantArray::get(ArrayType::get(elementTy, elements.size()),
                                     elements),
                  name);
  }

  Constant *shape(ArrayRef<int64_t> dims) {
    SmallVector<uint64_t> values(dims.begin(), dims.end());
    return global(ConstantDataArray::get(ctx, values), "shape");
  }

  Constant *tensor(const nnc::TensorInfo &t) {
    return ConstantStruct::get(tensorTy, {string(t.name), i32(t.shape.size()),
                                          shape(t.shape), i64(t.size())});
  }

  Module &module;
  LLVMContext &ctx;
  Type *ptrTy, *i32Ty, *i64Ty, *f64Ty;
  StructType *paramTy, *tensorTy, *trainTy, *modelTy;
  std::string prefix;
};

} // namespace

Error nnc::emitCInterface(Module &module, ArrayRef<ModelInfo> models) {
  DescriptorBuilder descriptors(module);
  for (const ModelInfo &model : models) {
    if (Error err = emitForwardWithWorkspace(module, model))
      return err;
    if (Error err = emitForward(module, model))
      return err;
    Function *entries[3] = {nullptr, nullptr, nullptr};
    if (model.train)
      if (Error err = emitTrainingEntryPoints(module, model, entries))
        return err;
    descriptors.emit(model, entries);
  }
  return Error::success();
}
