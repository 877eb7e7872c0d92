// RUN: nnc-opt %s --nnc-use-workspace --split-input-file -verify-diagnostics --allow-unregistered-dialect | FileCheck %s

// On bufferized training entry points (functions with nn.entry), every
// memref.alloc becomes a memref.view into a workspace argument appended to
// the signature (memref<?xi8>, role `workspace`), at an offset chosen by a
// static plan: static buffers in a fixed arena at the start, batch-sized ones
// in a per-example arena after it (offset nn.workspace_fixed + k * batch),
// each size rounded up to 64 bytes (per example in the second arena). The
// pass records the arena sizes as nn.workspace_fixed bytes plus
// nn.workspace_per_example bytes times the batch. A dynamic size must be the
// batch: dimension 0 of an `input` or `labels` argument, possibly through
// casts, reshapes that keep it and earlier batch-sized buffers. Buffers with
// disjoint lifetimes share space: see nnc-use-workspace-reuse.mlir.

// Here every buffer is live to the end (test.use is an op the pass does not
// know, so it may keep its operands, and %loss is returned): nothing is
// shared. Fixed arena, largest first: 448 (400 bytes) at 0, 64 (48 bytes) at
// 448, 64 (the 4-byte loss) at 512: 576. Per-example arena: 64 (f32 x 8 = 32
// bytes) at 0 and 64 (one i64, sized by the labels) at 64: 128.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x4xf32> {nn.role = "input"},
// CHECK-SAME:    %[[Y:[^:]*]]: memref<?xi32> {nn.role = "labels"},
// CHECK-SAME:    %{{[^:]*}}: memref<4x3xf32> {nn.role = "param"},
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    -> (memref<f32> {nn.role = "loss"})
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = 576 : i64, nn.workspace_per_example = 128 : i64}
// CHECK:         %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x4xf32>
// CHECK:         %[[M:.*]] = memref.dim %[[Y]], %{{.*}} : memref<?xi32>
// CHECK-NOT:     memref.alloc
//
// memref<4x3xf32>: fixed, at 448.
// CHECK:         %[[OA:.*]] = arith.constant 448 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<4x3xf32>
//
// memref<?x8xf32>: per example of the input's batch, at 576 + 0 * batch.
// CHECK-NEXT:    %[[KB:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[SB:.*]] = arith.muli %[[KB]], %[[N]] : index
// CHECK-NEXT:    %[[FB:.*]] = arith.constant 576 : index
// CHECK-NEXT:    %[[OB:.*]] = arith.addi %[[FB]], %[[SB]] : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[WS]][%[[OB]]][%[[N]]] : memref<?xi8> to memref<?x8xf32>
//
// memref<100xf32>: fixed, at 0.
// CHECK-NEXT:    %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[WS]][%[[OC]]][] : memref<?xi8> to memref<100xf32>
//
// memref<?xi64>: per example of the labels' batch, at 576 + 64 * batch.
// CHECK-NEXT:    %[[KD:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[SD:.*]] = arith.muli %[[KD]], %[[M]] : index
// CHECK-NEXT:    %[[FD:.*]] = arith.constant 576 : index
// CHECK-NEXT:    %[[OD:.*]] = arith.addi %[[FD]], %[[SD]] : index
// CHECK-NEXT:    %[[D:.*]] = memref.view %[[WS]][%[[OD]]][%[[M]]] : memref<?xi8> to memref<?xi64>
//
// CHECK-NEXT:    %[[OL:.*]] = arith.constant 512 : index
// CHECK-NEXT:    %[[LOSS:.*]] = memref.view %[[WS]][%[[OL]]][] : memref<?xi8> to memref<f32>
// CHECK-NEXT:    "test.use"(%[[A]], %[[B]], %[[C]], %[[D]])
// CHECK-NEXT:    return %[[LOSS]] : memref<f32>
// CHECK-NOT:     memref.alloc
func.func @train_step(%x: memref<?x4xf32> {nn.role = "input"}, %y: memref<?xi32> {nn.role = "labels"},
                      %w: memref<4x3xf32> {nn.role = "param"}) -> (memref<f32> {nn.role = "loss"})
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %m = memref.dim %y, %c0 : memref<?xi32>
  %a = memref.alloc() {alignment = 64 : i64} : memref<4x3xf32>
  %b = memref.alloc(%n) : memref<?x8xf32>
  %c = memref.alloc() : memref<100xf32>
  %d = memref.alloc(%m) : memref<?xi64>
  %loss = memref.alloc() : memref<f32>
  "test.use"(%a, %b, %c, %d) : (memref<4x3xf32>, memref<?x8xf32>, memref<100xf32>, memref<?xi64>) -> ()
  return %loss : memref<f32>
}

// -----

// f64 counts 8 bytes per element; a size that is a multiple of 64 bytes
// (per example) takes no padding.
// CHECK-LABEL: func.func @exact_multiple(
// CHECK-SAME:    attributes {nn.entry = "gradient", nn.workspace_fixed = 128 : i64, nn.workspace_per_example = 64 : i64}
// CHECK:         memref.view %{{.*}} : memref<?xi8> to memref<4x4xf64>
// CHECK:         memref.view %{{.*}} : memref<?xi8> to memref<?x2x8xf32>
func.func @exact_multiple(%x: memref<?x16xf32> {nn.role = "input"}) attributes {nn.entry = "gradient"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %a = memref.alloc() : memref<4x4xf64>
  %b = memref.alloc(%n) : memref<?x2x8xf32>
  "test.use"(%a, %b) : (memref<4x4xf64>, memref<?x2x8xf32>) -> ()
  return
}

// -----

// The batch is also recognised through casts and reshapes that keep
// dimension 0 on its own, and through earlier batch-sized buffers: all four
// buffers are per example, 64 bytes each once rounded up, and all live to
// the end (test.use).
// CHECK-LABEL: func.func @batch_tracing(
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x3xf32> {nn.role = "input"}, %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    attributes {nn.entry = "train_step", nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 256 : i64}
// CHECK:         %[[N1:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x6xf32>
// CHECK:         %[[A:.*]] = memref.view %[[WS]][%{{.*}}][%[[N1]]] : memref<?xi8> to memref<?x6xf32>
// CHECK:         %[[N2:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x2x3x1xf32>
// CHECK:         memref.view %[[WS]][%{{.*}}][%[[N2]]] : memref<?xi8> to memref<?x2xf32>
// CHECK:         %[[N3:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x?x3xf32>
// CHECK:         memref.view %[[WS]][%{{.*}}][%[[N3]]] : memref<?xi8> to memref<?xf32>
// CHECK:         %[[N4:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x6xf32>
// CHECK:         memref.view %[[WS]][%{{.*}}][%[[N4]]] : memref<?xi8> to memref<?x16xf32>
// CHECK-NOT:     memref.alloc
func.func @batch_tracing(%x: memref<?x2x3xf32> {nn.role = "input"}) attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %flat = memref.collapse_shape %x [[0], [1, 2]] : memref<?x2x3xf32> into memref<?x6xf32>
  %n1 = memref.dim %flat, %c0 : memref<?x6xf32>
  %a = memref.alloc(%n1) : memref<?x6xf32>
  %n = memref.dim %x, %c0 : memref<?x2x3xf32>
  %exp = memref.expand_shape %x [[0], [1], [2, 3]] output_shape [%n, 2, 3, 1] : memref<?x2x3xf32> into memref<?x2x3x1xf32>
  %n2 = memref.dim %exp, %c0 : memref<?x2x3x1xf32>
  %b = memref.alloc(%n2) : memref<?x2xf32>
  %cast = memref.cast %x : memref<?x2x3xf32> to memref<?x?x3xf32>
  %n3 = memref.dim %cast, %c0 : memref<?x?x3xf32>
  %c = memref.alloc(%n3) : memref<?xf32>
  %n4 = memref.dim %a, %c0 : memref<?x6xf32>
  %d = memref.alloc(%n4) : memref<?x16xf32>
  "test.use"(%a, %b, %c, %d) : (memref<?x6xf32>, memref<?x2xf32>, memref<?xf32>, memref<?x16xf32>) -> ()
  return
}

// -----

// A slice that keeps the whole batch (nn.slice, the gradient of nn.concat)
// is batch-sized too.
// CHECK-LABEL: func.func @batch_through_slice(
// CHECK-SAME:    attributes {nn.entry = "gradient", nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 64 : i64}
// CHECK:         %[[N:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x2xf32, strided<[6, 1], offset: 4>>
// CHECK:         memref.view %{{.*}}[%{{.*}}][%[[N]]] : memref<?xi8> to memref<?x2xf32>
// CHECK-NOT:     memref.alloc
func.func @batch_through_slice(%x: memref<?x6xf32> {nn.role = "input"}) attributes {nn.entry = "gradient"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x6xf32>
  %s = memref.subview %x[0, 4] [%n, 2] [1, 1] : memref<?x6xf32> to memref<?x2xf32, strided<[6, 1], offset: 4>>
  %m = memref.dim %s, %c0 : memref<?x2xf32, strided<[6, 1], offset: 4>>
  %a = memref.alloc(%m) : memref<?x2xf32>
  "test.use"(%s, %a) : (memref<?x2xf32, strided<[6, 1], offset: 4>>, memref<?x2xf32>) -> ()
  return
}

// -----

// A slice of part of the batch is not.
func.func @part_of_the_batch(%x: memref<?x6xf32> {nn.role = "input"}, %k: index) attributes {nn.entry = "gradient"} {
  %c0 = arith.constant 0 : index
  %s = memref.subview %x[0, 0] [%k, 6] [1, 1] : memref<?x6xf32> to memref<?x6xf32, strided<[6, 1]>>
  %m = memref.dim %s, %c0 : memref<?x6xf32, strided<[6, 1]>>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%m) : memref<?x6xf32>
  "test.use"(%a) : (memref<?x6xf32>) -> ()
  return
}

// -----

// No allocation: the workspace argument is still appended (every entry point
// has the same calling convention) and both sizes are 0.
// CHECK-LABEL: func.func @no_alloc(
// CHECK-SAME:    %{{[^:]*}}: memref<?x4xf32> {nn.role = "input"}, %{{[^:]*}}: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    attributes {nn.entry = "eval", nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 0 : i64}
// CHECK-NOT:     memref.view
// CHECK:         return
func.func @no_alloc(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  return
}

// -----

// Negative: functions without nn.entry keep their allocations and signature.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %{{[^:]*}}: memref<?x4xf32>) {
// CHECK-NOT:     nn.workspace
// CHECK:         memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK-NOT:     memref.view
func.func @forward(%x: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x4xf32>
  "test.use"(%a) : (memref<?x4xf32>) -> ()
  return
}

// -----

// Negative: declarations are left alone.
// CHECK-LABEL: func.func private @declaration(memref<?x4xf32> {nn.role = "input"})
// CHECK-SAME:    attributes {nn.entry = "eval"}{{$}}
func.func private @declaration(memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"}

// -----

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

func.func @two_dynamic_dims(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%n, %n) : memref<?x?xf32>
  "test.use"(%a) : (memref<?x?xf32>) -> ()
  return
}

// -----

// Dimension 1 of the input is not the batch.
func.func @not_dim0(%x: memref<?x?xf32> {nn.role = "input"}) attributes {nn.entry = "train_step"} {
  %c1 = arith.constant 1 : index
  %k = memref.dim %x, %c1 : memref<?x?xf32>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%k) : memref<?xf32>
  "test.use"(%a) : (memref<?xf32>) -> ()
  return
}

// -----

// Dimension 0 of an argument that is neither input nor labels.
func.func @not_data(%x: memref<?x4xf32> {nn.role = "input"}, %s: memref<?xf32> {nn.role = "state"})
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %k = memref.dim %s, %c0 : memref<?xf32>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%k) : memref<?xf32>
  "test.use"(%a) : (memref<?xf32>) -> ()
  return
}

// -----

// A size computed from the batch is not recognised either.
func.func @twice_the_batch(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %n2 = arith.addi %n, %n : index
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%n2) : memref<?xf32>
  "test.use"(%a) : (memref<?xf32>) -> ()
  return
}

// -----

func.func @nested_alloc(%x: memref<?x4xf32> {nn.role = "input"}, %flag: i1) attributes {nn.entry = "eval"} {
  scf.if %flag {
    // expected-error @+1 {{unsupported: allocation outside the entry block of a training function}}
    %a = memref.alloc() : memref<4xf32>
    "test.use"(%a) : (memref<4xf32>) -> ()
  }
  return
}

// -----

func.func @memory_space(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  // expected-error @+1 {{unsupported: workspace allocation of type 'memref<4xf32, 1>'}}
  %a = memref.alloc() : memref<4xf32, 1>
  "test.use"(%a) : (memref<4xf32, 1>) -> ()
  return
}

// -----

func.func @strided_layout(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  // expected-error @+1 {{unsupported: workspace allocation of type 'memref<4x4xf32, strided<[8, 1]>>'}}
  %a = memref.alloc() : memref<4x4xf32, strided<[8, 1]>>
  "test.use"(%a) : (memref<4x4xf32, strided<[8, 1]>>) -> ()
  return
}

// -----

// A reshape that merges the batch with another dimension loses it.
func.func @batch_merged(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  %c0 = arith.constant 0 : index
  %flat = memref.collapse_shape %x [[0, 1]] : memref<?x4xf32> into memref<?xf32>
  %k = memref.dim %flat, %c0 : memref<?xf32>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %a = memref.alloc(%k) : memref<?xf32>
  "test.use"(%a) : (memref<?xf32>) -> ()
  return
}

// -----

// Only earlier allocations (and views) are traced back to their size, not
// other buffers such as an alloca, even one sized by the batch.
func.func @alloca_not_traced(%x: memref<?x4xf32> {nn.role = "input"}) attributes {nn.entry = "eval"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloca(%n) : memref<?xf32>
  %m = memref.dim %a, %c0 : memref<?xf32>
  // expected-error @+1 {{unsupported: workspace allocation whose size is not a multiple of the batch}}
  %b = memref.alloc(%m) : memref<?xf32>
  "test.use"(%a, %b) : (memref<?xf32>, memref<?xf32>) -> ()
  return
}

// -----

// The model function itself (nn.model: the body of nnc_<M>_forward, whose C
// wrapper allocates the workspace) is planned the same way, its inputs
// (nn.input) giving the batch. 64 bytes fixed (4 x 4 bytes, rounded), 64 per
// example (f32 x 8).
// CHECK-LABEL: func.func @model(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x4xf32> {nn.input = "x"},
// CHECK-SAME:    %{{[^:]*}}: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    attributes {nn.model, nn.workspace_fixed = 64 : i64, nn.workspace_per_example = 64 : i64}
// CHECK-NOT:     memref.alloc
// CHECK:         memref.view
// CHECK:         memref.view
// CHECK-NOT:     memref.alloc
func.func @model(%x: memref<?x4xf32> {nn.input = "x"}) attributes {nn.model} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x8xf32>
  %b = memref.alloc() : memref<4xf32>
  "test.use"(%a, %b) : (memref<?x8xf32>, memref<4xf32>) -> ()
  return
}

// -----

// A model function the plan cannot cover keeps its allocations, without an
// error: nnc_<M>_forward may allocate (an entry point may not, above).
// CHECK-LABEL: func.func @model_unplanned(
// CHECK-SAME:    %{{[^:]*}}: memref<?x4xf32> {nn.input = "x"})
// CHECK-SAME:    attributes {nn.model} {
// CHECK:         memref.alloc() : memref<4xf32>
// CHECK:         memref.alloc() : memref<4xf32, 1>
func.func @model_unplanned(%x: memref<?x4xf32> {nn.input = "x"}) attributes {nn.model} {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32, 1>
  "test.use"(%a, %b) : (memref<4xf32>, memref<4xf32, 1>) -> ()
  return
}

// -----

// Other functions are left alone.
// CHECK-LABEL: func.func @helper(
// CHECK-SAME:    %{{[^:]*}}: memref<?x4xf32> {nn.input = "x"}) {
// CHECK:         memref.alloc() : memref<4xf32>
func.func @helper(%x: memref<?x4xf32> {nn.input = "x"}) {
  %a = memref.alloc() : memref<4xf32>
  "test.use"(%a) : (memref<4xf32>) -> ()
  return
}
