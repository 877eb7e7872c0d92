// RUN: nnc-opt %s --nnc-use-workspace --split-input-file | FileCheck %s

// Buffers of different branches never share memory, even when their
// lifetimes are disjoint: a loop over branches (nnc.branches, made by
// nnc-fork-branches) runs case i on thread i, and the code outside such
// loops on the first thread, so memory that one thread's branch writes and
// another's then rewrites would move between their cores every step.
// Here %a (branch 1 of the first loop) and %b (branch 0 of the second)
// would share offset 0 by lifetimes alone; they get 0 and 64. %c is live
// with %b (both in the second loop): 128. %d, used after both loops outside
// any (on the first thread, like branch 0), shares offset 64 with %b.
// CHECK-LABEL: func.func @branches(
// CHECK-SAME:    nn.workspace_fixed = 192 : i64
// CHECK:         arith.constant 2 : index
// CHECK-NEXT:    %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %{{.*}}[%[[OA]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %{{.*}}[%[[OB]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OC:.*]] = arith.constant 128 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %{{.*}}[%[[OC]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OD:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[D:.*]] = memref.view %{{.*}}[%[[OD]]][] : memref<?xi8> to memref<16xf32>
func.func @branches(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %a = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c2 step %c1 {
    scf.index_switch %i
    case 0 {
      scf.yield
    }
    case 1 {
      linalg.fill ins(%one : f32) outs(%a : memref<16xf32>)
      scf.yield
    }
    default {
    }
  } {nnc.branches, nnc.parallel}
  %b = memref.alloc() : memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c2 step %c1 {
    scf.index_switch %i
    case 0 {
      linalg.fill ins(%one : f32) outs(%b : memref<16xf32>)
      linalg.fill ins(%one : f32) outs(%c : memref<16xf32>)
      scf.yield
    }
    default {
    }
  } {nnc.branches, nnc.parallel}
  %d = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%d : memref<16xf32>)
  memref.copy %d, %out : memref<16xf32> to memref<16xf32>
  return
}
