// RUN: nnc-opt %s --nnc-outline-branches --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --drop-equivalent-buffer-results --buffer-results-to-out-params="hoist-static-allocs hoist-dynamic-allocs" --canonicalize --nnc-fork-branches | FileCheck %s

// After bufferization the two calls of a section (nnc-outline-branches)
// become a loop over the branches marked nnc.parallel and nnc.branches
// (nnc-use-workspace keeps their buffers apart), iteration i running
// branch i's inlined body in case i of an scf.index_switch. What a branch
// allocates for itself (its product, which only its square reads) is
// allocated in front of the loop, where nnc-use-workspace plans it; the
// buffers the calls returned into stay where the caller allocated them.
// No branch function is left.
// CHECK-LABEL: func.func @Two(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x8xf32>, %[[WA:[^:]*]]: memref<8x4096xf32> {nn.param = "a.weight"}, %[[WB:[^:]*]]: memref<8x4096xf32> {nn.param = "b.weight"})
// CHECK:         %[[S:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xf32>
// CHECK:         %[[QA:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xf32>
// CHECK:         %[[QB:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xf32>
// CHECK:         %[[PA:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xf32>
// CHECK:         %[[PB:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4096xf32>
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:      scf.index_switch %[[I]]
// CHECK-NEXT:      case 0 {
// CHECK:             linalg.fill ins(%{{.*}} : f32) outs(%[[PA]] :
// CHECK-NEXT:        linalg.matmul ins(%[[X]], %[[WA]] : {{.*}}) outs(%[[PA]] :
// CHECK-NEXT:        linalg.mul ins(%[[PA]], %[[PA]] : {{.*}}) outs(%[[QA]] :
// CHECK-NEXT:        scf.yield
// CHECK-NEXT:      }
// CHECK-NEXT:      case 1 {
// CHECK:             linalg.matmul ins(%[[X]], %[[WB]] : {{.*}}) outs(%[[PB]] :
// CHECK-NEXT:        linalg.mul ins(%[[PB]], %[[PB]] : {{.*}}) outs(%[[QB]] :
// CHECK:           } {nnc.branches, nnc.parallel}
// CHECK:         linalg.add ins(%[[QA]], %[[QB]] : {{.*}}) outs(%[[S]] :
// CHECK-NOT:     call
// CHECK-NOT:     func.func
func.func @Two(%x: tensor<?x8xf32>, %w0: tensor<8x4096xf32> {nn.param = "a.weight"},
               %w1: tensor<8x4096xf32> {nn.param = "b.weight"}) -> tensor<?x4096xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x4096xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %a = linalg.matmul ins(%x, %w0 : tensor<?x8xf32>, tensor<8x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %qa = linalg.mul ins(%a, %a : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %b = linalg.matmul ins(%x, %w1 : tensor<?x8xf32>, tensor<8x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %qb = linalg.mul ins(%b, %b : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %s = linalg.add ins(%qa, %qb : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  return %s : tensor<?x4096xf32>
}
