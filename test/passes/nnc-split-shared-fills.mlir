// RUN: nnc-opt %s --nnc-split-shared-fills --split-input-file | FileCheck %s

// One -inf fill (after CSE) is the destination of the forward's max pooling
// and of the backward's arg-max: the second writer gets its own empty
// tensor and fill, right before it, so that neither needs a copy.
// CHECK-LABEL: func.func @shared
// CHECK:         %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK:         %[[F1:.*]] = linalg.fill ins(%[[NINF:.*]] : f32) outs(%[[E1]] : tensor<?x4xf32>)
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} outs(%[[F1]] : tensor<?x4xf32>)
// CHECK:         %[[E2:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK:         %[[F2:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E2]] : tensor<?x4xf32>)
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} outs(%[[F2]] : tensor<?x4xf32>)
// CHECK:         return %[[A]], %[[B]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>, %n: index) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<?x4xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<?x4xf32>
  return %a, %b : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Left alone: a fill read as an input (not written), a fill with one
// writer, and a fill of a tensor that is not empty (a function argument:
// a second fill of it would not be a buffer of its own).
// CHECK-LABEL: func.func @alone
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     tensor.empty
func.func @alone(%x: tensor<4xf32>, %d: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = linalg.add ins(%x, %f : tensor<4xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) -> tensor<4xf32>
  %g = linalg.fill ins(%zero : f32) outs(%d : tensor<4xf32>) -> tensor<4xf32>
  %b = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%g : tensor<4xf32>) -> tensor<4xf32>
  %c = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%g : tensor<4xf32>) -> tensor<4xf32>
  return %a, %b, %c : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A second writer inside a loop body is left to bufferization: a fill there
// would run on every iteration.
// CHECK-LABEL: func.func @in_loop
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT:     linalg.fill
func.func @in_loop(%x: tensor<4xf32>, %n: index) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) -> tensor<4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<4xf32> {
    %b = linalg.add ins(%acc, %x : tensor<4xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %b : tensor<4xf32>
  }
  return %a, %r : tensor<4xf32>, tensor<4xf32>
}
