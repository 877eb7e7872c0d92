// RUN: nnc-opt %s --nnc-use-workspace=threads=true --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-use-workspace --split-input-file | FileCheck %s --check-prefix=FIRSTFIT

// For code that splits the batch between threads, the per-example arena is
// planned in concentric rings: buffers whose lifetimes are disjoint share a
// ring, centred in it, so that the first half of the batch of each keeps to
// the first half of the ring's memory. First-fit would put %small at offset
// 0, under the first half of %big's examples only.

// %big (256 bytes per example) and %small (128) have disjoint lifetimes:
// %small sits in %big's ring at (256 - 128) / 2 = 64 per example.
// CHECK-LABEL: func.func @centred(
// CHECK-SAME:    nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 256 : i64
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[KA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    arith.muli %[[KA]], %[[N]] : index
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view {{.*}} to memref<?x64xf32>
// CHECK:         %[[KB:.*]] = arith.constant 64 : index
// CHECK-NEXT:    arith.muli %[[KB]], %[[N]] : index
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view {{.*}} to memref<?x32xf32>
// FIRSTFIT-LABEL: func.func @centred(
// FIRSTFIT-SAME:    nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 256 : i64
// FIRSTFIT:         %[[N:.*]] = memref.dim
// FIRSTFIT:         %[[KA:.*]] = arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.muli %[[KA]], %[[N]] : index
// FIRSTFIT-NEXT:    arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.addi
// FIRSTFIT-NEXT:    memref.view {{.*}} to memref<?x64xf32>
// FIRSTFIT:         %[[KB:.*]] = arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.muli %[[KB]], %[[N]] : index
// FIRSTFIT-NEXT:    arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.addi
// FIRSTFIT-NEXT:    memref.view {{.*}} to memref<?x32xf32>
func.func @centred(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<?x64xf32>, %out2: memref<?x32xf32>)
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %big = memref.alloc(%n) : memref<?x64xf32>
  linalg.fill ins(%one : f32) outs(%big : memref<?x64xf32>)
  memref.copy %big, %out : memref<?x64xf32> to memref<?x64xf32>
  %small = memref.alloc(%n) : memref<?x32xf32>
  linalg.fill ins(%one : f32) outs(%small : memref<?x32xf32>)
  memref.copy %small, %out2 : memref<?x32xf32> to memref<?x32xf32>
  return
}

// -----

// Overlapping lifetimes need two rings, one after the other: 256 + 128
// bytes per example. A third buffer, live after both, goes to the first
// ring that is free at the time, centred: (256 - 64) / 2 = 96, rounded down
// to the 64-byte alignment. First-fit packs %a and %b the same way (the
// rings then cost nothing) but puts %c at offset 0.
// CHECK-LABEL: func.func @rings(
// CHECK-SAME:    nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 384 : i64
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[KA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    arith.muli %[[KA]], %[[N]] : index
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view {{.*}} to memref<?x64xf32>
// CHECK:         %[[KB:.*]] = arith.constant 256 : index
// CHECK-NEXT:    arith.muli %[[KB]], %[[N]] : index
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view {{.*}} to memref<?x32xf32>
// CHECK:         %[[KC:.*]] = arith.constant 64 : index
// CHECK-NEXT:    arith.muli %[[KC]], %[[N]] : index
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    arith.addi
// CHECK-NEXT:    memref.view {{.*}} to memref<?x16xf32>
// FIRSTFIT-LABEL: func.func @rings(
// FIRSTFIT-SAME:    nn.workspace_fixed = 0 : i64, nn.workspace_per_example = 384 : i64
// FIRSTFIT:         %[[N:.*]] = memref.dim
// FIRSTFIT:         %[[KA:.*]] = arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.muli %[[KA]], %[[N]] : index
// FIRSTFIT-NEXT:    arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.addi
// FIRSTFIT-NEXT:    memref.view {{.*}} to memref<?x64xf32>
// FIRSTFIT:         %[[KB:.*]] = arith.constant 256 : index
// FIRSTFIT-NEXT:    arith.muli %[[KB]], %[[N]] : index
// FIRSTFIT-NEXT:    arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.addi
// FIRSTFIT-NEXT:    memref.view {{.*}} to memref<?x32xf32>
// FIRSTFIT:         %[[KC:.*]] = arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.muli %[[KC]], %[[N]] : index
// FIRSTFIT-NEXT:    arith.constant 0 : index
// FIRSTFIT-NEXT:    arith.addi
// FIRSTFIT-NEXT:    memref.view {{.*}} to memref<?x16xf32>
func.func @rings(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<?x16xf32>)
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x64xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<?x64xf32>)
  %b = memref.alloc(%n) : memref<?x32xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<?x32xf32>)
  %va = memref.load %a[%c0, %c0] : memref<?x64xf32>
  %vb = memref.load %b[%c0, %c0] : memref<?x32xf32>
  %sum = arith.addf %va, %vb : f32
  %c = memref.alloc(%n) : memref<?x16xf32>
  linalg.fill ins(%sum : f32) outs(%c : memref<?x16xf32>)
  memref.copy %c, %out : memref<?x16xf32> to memref<?x16xf32>
  return
}
