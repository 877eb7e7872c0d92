//===- CInterface.cpp - C entry points and descriptors ----------*- C++ -*-===//
//
// After lowering, a model's body takes expanded memref descriptors (for a
// rank-r memref: allocated and aligned pointers, offset, r sizes, r strides),
// one per input, per parameter and for the output. The wrapper written here
// turns the plain pointers of the C ABI into those arguments: inputs and the
// output get the run-time batch as their first size, parameters point into
// the flat parameter buffer. Strides are row-major and static except that of
// the batch, which is the per-example size. The descriptor is a constant
// laid out exactly like `nnc_model_desc` under the x86-64 C ABI.
//
//===----------------------------------------------------------------------===//

#include "passes/CInterface.h"

#include "runtime/nnc_model.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

using namespace llvm;

std::string nnc::getModelBodySymbol(StringRef model) {
  return ("__nnc_" + model + "_body").str();
}

namespace {

/// Appends the expanded descriptor of a row-major memref at `ptr`.
void appendMemRefArgs(IRBuilder<> &b, Value *ptr, ArrayRef<Value *> sizes,
                      SmallVectorImpl<Value *> &args) {
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

/// Sizes of a batched tensor: the run-time batch, then the static shape.
SmallVector<Value *> batchedSizes(IRBuilder<> &b, Value *batch,
                                  ArrayRef<int64_t> shape) {
  SmallVector<Value *> sizes{batch};
  for (int64_t dim : shape)
    sizes.push_back(b.getInt64(dim));
  return sizes;
}

Error emitForward(Module &module, const nnc::ModelInfo &model) {
  Function *body = module.getFunction(nnc::getModelBodySymbol(model.name));
  if (!body)
    return createStringError("no lowered body for model '%s'",
                             model.name.c_str());
  body->setLinkage(GlobalValue::InternalLinkage);

  LLVMContext &ctx = module.getContext();
  Type *ptrTy = PointerType::getUnqual(ctx);
  Type *i64Ty = Type::getInt64Ty(ctx);
  SmallVector<Type *> params{ptrTy};
  params.append(model.inputs.size(), ptrTy);
  params.push_back(i64Ty);
  params.push_back(ptrTy);
  auto *fnTy = FunctionType::get(Type::getVoidTy(ctx), params, false);
  Function *fn = Function::Create(fnTy, GlobalValue::ExternalLinkage,
                                  "nnc_" + model.name + "_forward", module);
  fn->addFnAttr(Attribute::NoUnwind);
  auto argIt = fn->arg_begin();
  Value *paramBuffer = &*argIt++;
  paramBuffer->setName("params");
  SmallVector<Value *> inputs;
  for (const nnc::TensorInfo &input : model.inputs) {
    inputs.push_back(&*argIt++);
    inputs.back()->setName(input.name);
  }
  Value *batch = &*argIt++;
  batch->setName("batch");
  Value *output = &*argIt;
  output->setName("output");

  IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
  Type *f32Ty = b.getFloatTy();
  SmallVector<Value *> args;
  for (const nnc::ArgInfo &arg : model.args) {
    if (arg.isParam) {
      const nnc::ParamInfo &param = model.params[arg.index];
      Value *ptr = b.CreateInBoundsGEP(f32Ty, paramBuffer,
                                       b.getInt64(param.offset), param.name);
      SmallVector<Value *> sizes;
      for (int64_t dim : param.shape)
        sizes.push_back(b.getInt64(dim));
      appendMemRefArgs(b, ptr, sizes, args);
    } else {
      appendMemRefArgs(b, inputs[arg.index],
                       batchedSizes(b, batch, model.inputs[arg.index].shape),
                       args);
    }
  }
  appendMemRefArgs(b, output, batchedSizes(b, batch, model.output.shape), args);
  if (args.size() != body->arg_size())
    return createStringError(
        "lowered body of model '%s' takes %zu arguments, expected %zu",
        model.name.c_str(), body->arg_size(), args.size());
  b.CreateCall(body, args);
  b.CreateRetVoid();
  return Error::success();
}

/// Builds the constants behind one `nnc_model_desc`.
class DescriptorBuilder {
public:
  explicit DescriptorBuilder(Module &module)
      : module(module), ctx(module.getContext()),
        ptrTy(PointerType::getUnqual(ctx)), i32Ty(Type::getInt32Ty(ctx)),
        i64Ty(Type::getInt64Ty(ctx)) {
    // Field for field the structs of runtime/nnc_model.h.
    paramTy = StructType::get(ctx, {ptrTy, i32Ty, ptrTy, i64Ty, i64Ty, i32Ty,
                                    i64Ty, i64Ty});
    tensorTy = StructType::get(ctx, {ptrTy, i32Ty, ptrTy, i64Ty});
    modelTy = StructType::get(
        ctx, {i32Ty, ptrTy, i64Ty, ptrTy, i64Ty, i64Ty, ptrTy, ptrTy, i32Ty, ptrTy});
  }

  void emit(const nnc::ModelInfo &model, unsigned abiVersion) {
    prefix = "__nnc_" + model.name;
    SmallVector<Constant *> params;
    for (const nnc::ParamInfo &p : model.params)
      params.push_back(ConstantStruct::get(
          paramTy, {string(p.name), i32(p.shape.size()), shape(p.shape),
                    i64(p.offset), i64(p.size), i32(p.init), i64(p.fanIn),
                    i64(p.fanOut)}));
    SmallVector<Constant *> inputs;
    for (const nnc::TensorInfo &t : model.inputs)
      inputs.push_back(tensor(t));
    Constant *fields[] = {
        i32(abiVersion),
        string(model.name),
        i64(model.params.size()),
        array(paramTy, params, "params"),
        i64(model.paramSize),
        i64(model.inputs.size()),
        array(tensorTy, inputs, "inputs"),
        global(tensor(model.output), "output"),
        i32(NNC_DTYPE_F32),
        ConstantPointerNull::get(cast<PointerType>(ptrTy)),
    };
    auto *desc = new GlobalVariable(
        module, modelTy, /*isConstant=*/true, GlobalValue::ExternalLinkage,
        ConstantStruct::get(modelTy, fields), "nnc_" + model.name + "_desc");
    desc->setAlignment(Align(8));
  }

private:
  Constant *i32(int64_t v) { return ConstantInt::get(i32Ty, v); }
  Constant *i64(int64_t v) { return ConstantInt::get(i64Ty, v); }

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
      return ConstantPointerNull::get(cast<PointerType>(ptrTy));
    return global(
        ConstantArray::get(ArrayType::get(elementTy, elements.size()), elements),
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
  Type *ptrTy, *i32Ty, *i64Ty;
  StructType *paramTy, *tensorTy, *modelTy;
  std::string prefix;
};

} // namespace

Error nnc::emitCInterface(Module &module, ArrayRef<ModelInfo> models) {
  DescriptorBuilder descriptors(module);
  for (const ModelInfo &model : models) {
    if (Error err = emitForward(module, model))
      return err;
    descriptors.emit(model, NNC_ABI_VERSION);
  }
  return Error::success();
}
