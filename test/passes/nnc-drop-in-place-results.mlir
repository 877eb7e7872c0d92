// RUN: nnc-opt %s --nnc-drop-in-place-results --split-input-file -verify-diagnostics | FileCheck %s

// On bufferized training entry points (functions with nn.entry), results
// that are function arguments, directly or through memref.cast, were updated
// in place: they are erased from the return and the signature, so only new
// values (loss, gradients, counts) remain. Results with role `param` or
// `state` must be such arguments. A buffer returned more than once is copied
// for every repetition, since each result becomes an out-parameter.

// A train step: the new parameter and velocity are the argument buffers
// (the velocity through a cast); the loss and gradient are new buffers and
// stay, with their roles.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[W:[^:]*]]: memref<4x3xf32> {nn.role = "param"},
// CHECK-SAME:    %[[V:[^:]*]]: memref<4x3xf32> {nn.role = "state"})
// CHECK-SAME:    -> (memref<f32> {nn.role = "loss"}, memref<4x3xf32> {nn.role = "grad"})
// CHECK-SAME:    attributes {nn.entry = "train_step"}
// CHECK:         %[[LOSS:.*]] = memref.alloc() : memref<f32>
// CHECK:         %[[GRAD:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK:         memref.cast %[[V]]
// CHECK:         return %[[LOSS]], %[[GRAD]] : memref<f32>, memref<4x3xf32>
func.func @train_step(%w: memref<4x3xf32> {nn.role = "param"}, %v: memref<4x3xf32> {nn.role = "state"})
    -> (memref<f32> {nn.role = "loss"}, memref<4x3xf32> {nn.role = "grad"},
        memref<4x3xf32> {nn.role = "param"}, memref<?x3xf32> {nn.role = "state"})
    attributes {nn.entry = "train_step"} {
  %loss = memref.alloc() : memref<f32>
  %grad = memref.alloc() : memref<4x3xf32>
  %cast = memref.cast %v : memref<4x3xf32> to memref<?x3xf32>
  return %loss, %grad, %w, %cast : memref<f32>, memref<4x3xf32>, memref<4x3xf32>, memref<?x3xf32>
}

// -----

// Casts of casts are looked through; results without a role that are
// arguments are dropped as well. Nothing is left to return.
// CHECK-LABEL: func.func @all_in_place(
// CHECK-SAME:    %[[P:[^:]*]]: memref<8xf64> {nn.role = "param"}, %[[S:[^:]*]]: memref<8xf64> {nn.role = "state"})
// CHECK-SAME:    attributes {nn.entry = "train_step"} {
// CHECK:         return{{$}}
func.func @all_in_place(%p: memref<8xf64> {nn.role = "param"}, %s: memref<8xf64> {nn.role = "state"})
    -> (memref<8xf64> {nn.role = "param"}, memref<?xf64> {nn.role = "state"}, memref<8xf64>)
    attributes {nn.entry = "train_step"} {
  %0 = memref.cast %s : memref<8xf64> to memref<?xf64>
  %1 = memref.cast %0 : memref<?xf64> to memref<8xf64>
  %2 = memref.cast %1 : memref<8xf64> to memref<?xf64>
  return %p, %2, %p : memref<8xf64>, memref<?xf64>, memref<8xf64>
}

// -----

// Results that are not arguments, and scalars, stay.
// CHECK-LABEL: func.func @eval(
// CHECK-SAME:    -> (memref<f32> {nn.role = "loss"}, memref<i64> {nn.role = "correct"}, i64)
// CHECK:         return %{{.*}}, %{{.*}}, %{{.*}} : memref<f32>, memref<i64>, i64
func.func @eval(%x: memref<?x4xf32> {nn.role = "input"}, %n: i64)
    -> (memref<f32> {nn.role = "loss"}, memref<i64> {nn.role = "correct"}, i64)
    attributes {nn.entry = "eval"} {
  %loss = memref.alloc() : memref<f32>
  %correct = memref.alloc() : memref<i64>
  %c = arith.addi %n, %n : i64
  return %loss, %correct, %c : memref<f32>, memref<i64>, i64
}

// -----

// Two parameters with equal gradients (CSE merged them): every result gets
// an out-parameter of its own, so the second occurrence is copied into a
// fresh buffer. The dropped in-place result does not count.
// CHECK-LABEL: func.func @repeated_gradient(
// CHECK-SAME:    -> (memref<f32> {nn.role = "loss"}, memref<4xf32> {nn.role = "grad"}, memref<4xf32> {nn.role = "grad"}, memref<4xf32> {nn.role = "grad"})
// CHECK:         %[[LOSS:.*]] = memref.alloc() : memref<f32>
// CHECK:         %[[G:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[COPY1:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         memref.copy %[[G]], %[[COPY1]] : memref<4xf32> to memref<4xf32>
// CHECK:         %[[COPY2:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         memref.copy %[[G]], %[[COPY2]] : memref<4xf32> to memref<4xf32>
// CHECK:         return %[[LOSS]], %[[G]], %[[COPY1]], %[[COPY2]] : memref<f32>, memref<4xf32>, memref<4xf32>, memref<4xf32>
func.func @repeated_gradient(%b: memref<4xf32> {nn.role = "param"})
    -> (memref<f32> {nn.role = "loss"}, memref<4xf32> {nn.role = "grad"}, memref<4xf32> {nn.role = "grad"},
        memref<4xf32> {nn.role = "param"}, memref<4xf32> {nn.role = "grad"}, memref<4xf32> {nn.role = "param"})
    attributes {nn.entry = "gradient"} {
  %loss = memref.alloc() : memref<f32>
  %g = memref.alloc() : memref<4xf32>
  return %loss, %g, %g, %b, %g, %b : memref<f32>, memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

// Negative: functions without nn.entry keep every result.
// CHECK-LABEL: func.func @not_an_entry(
// CHECK-SAME:    -> (memref<4x3xf32> {nn.role = "param"}, memref<4x3xf32>)
// CHECK:         return %{{.*}}, %{{.*}} : memref<4x3xf32>, memref<4x3xf32>
func.func @not_an_entry(%w: memref<4x3xf32>) -> (memref<4x3xf32> {nn.role = "param"}, memref<4x3xf32>) {
  %0 = memref.alloc() : memref<4x3xf32>
  return %w, %0 : memref<4x3xf32>, memref<4x3xf32>
}

// -----

// Negative: declarations and bodies with more than one block are left alone.
// CHECK-LABEL: func.func private @declaration(memref<4xf32>) -> (memref<4xf32> {nn.role = "param"})
func.func private @declaration(memref<4xf32>) -> (memref<4xf32> {nn.role = "param"})
    attributes {nn.entry = "train_step"}

// CHECK-LABEL: func.func @two_blocks(
// CHECK-SAME:    -> (memref<4xf32> {nn.role = "param"})
// CHECK:         return %{{.*}} : memref<4xf32>
func.func @two_blocks(%p: memref<4xf32> {nn.role = "param"}) -> (memref<4xf32> {nn.role = "param"})
    attributes {nn.entry = "train_step"} {
  cf.br ^bb1
^bb1:
  return %p : memref<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

// The new parameter landed in a fresh buffer: the caller would never see it.
// expected-error @+1 {{result 1 (param) was not updated in place by bufferization}}
func.func @param_copied(%w: memref<4x3xf32> {nn.role = "param"})
    -> (memref<f32> {nn.role = "loss"}, memref<4x3xf32> {nn.role = "param"})
    attributes {nn.entry = "train_step"} {
  %loss = memref.alloc() : memref<f32>
  %new = memref.alloc() : memref<4x3xf32>
  memref.copy %w, %new : memref<4x3xf32> to memref<4x3xf32>
  return %loss, %new : memref<f32>, memref<4x3xf32>
}

// -----

// expected-error @+1 {{result 2 (state) was not updated in place by bufferization}}
func.func @state_copied(%w: memref<3xf32> {nn.role = "param"}, %m: memref<3xf32> {nn.role = "state"})
    -> (memref<3xf32> {nn.role = "param"}, memref<3xf32> {nn.role = "state"}, memref<3xf32> {nn.role = "state"})
    attributes {nn.entry = "train_step"} {
  %new = memref.alloc() : memref<3xf32>
  return %w, %m, %new : memref<3xf32>, memref<3xf32>, memref<3xf32>
}

// -----

// A view of an argument is not the argument itself.
// expected-error @+1 {{result 0 (param) was not updated in place by bufferization}}
func.func @param_subview(%w: memref<8xf32> {nn.role = "param"}) -> (memref<4xf32, strided<[1]>> {nn.role = "param"})
    attributes {nn.entry = "train_step"} {
  %0 = memref.subview %w[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  return %0 : memref<4xf32, strided<[1]>>
}

// -----

// A repeated buffer of dynamic shape cannot be copied into a fresh one here.
// expected-error @+1 {{unsupported: a dynamically shaped result returned twice}}
func.func @repeated_dynamic(%x: memref<?x4xf32> {nn.role = "input"})
    -> (memref<?x4xf32> {nn.role = "grad"}, memref<?x4xf32> {nn.role = "grad"})
    attributes {nn.entry = "gradient"} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %g = memref.alloc(%n) : memref<?x4xf32>
  return %g, %g : memref<?x4xf32>, memref<?x4xf32>
}
