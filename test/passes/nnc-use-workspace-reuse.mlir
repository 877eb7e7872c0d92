// RUN: nnc-opt %s --nnc-use-workspace --split-input-file --allow-unregistered-dialect | FileCheck %s

// The workspace is a static plan with reuse: a buffer is live from its first
// access to its last one (through every view of it), positions counted in
// the entry block, and buffers whose lifetimes are disjoint may share
// addresses. Fixed-size buffers go to a fixed arena at offset `constant`,
// batch-sized ones to a per-example arena after it, at
// `nn.workspace_fixed + offset * batch`; every size is rounded up to 64
// bytes (per example in the second arena).

// Two buffers with disjoint lifetimes share offset 0: 64 bytes instead of
// 64 + 64 without reuse.
// CHECK-LABEL: func.func @disjoint(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 64 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<16xf32>
// CHECK-NEXT:    linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<16xf32>)
// CHECK:         %[[OB:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[WS]][%[[OB]]][] : memref<?xi8> to memref<4x4xf32>
// CHECK-NEXT:    linalg.fill ins(%{{.*}} : f32) outs(%[[B]] : memref<4x4xf32>)
func.func @disjoint(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>, %out2: memref<4x4xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<16xf32>)
  memref.copy %a, %out : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<4x4xf32>)
  memref.copy %b, %out2 : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Overlapping lifetimes: the copy reads %a while %b is live. The larger
// buffer is placed first.
// CHECK-LABEL: func.func @overlapping(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 192 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         %[[OA:.*]] = arith.constant 128 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OB:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OB]]][] : memref<?xi8> to memref<32xf32>
func.func @overlapping(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<32xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<16xf32>)
  %b = memref.alloc() : memref<32xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<32xf32>)
  %head = memref.subview %b[0] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1]>>
  memref.copy %a, %head : memref<16xf32> to memref<16xf32, strided<[1]>>
  memref.copy %b, %out : memref<32xf32> to memref<32xf32>
  return
}

// -----

// Inside the loop, every access to %acc comes before the first access to
// %tmp, but %acc carries its value from one iteration to the next: an
// access in a loop counts at the loop, so both are live across all of it
// and do not share. %after, used after the loop, reuses %acc's space:
// 128 bytes instead of 192.
// CHECK-LABEL: func.func @loop(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 128 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[O1:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[ACC:.*]] = memref.view %[[WS]][%[[O1]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[O2:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[TMP:.*]] = memref.view %[[WS]][%[[O2]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         scf.for
// CHECK:           memref.load %[[ACC]]
// CHECK:           memref.store %{{.*}}, %[[ACC]]
// CHECK:           linalg.fill ins(%{{.*}} : f32) outs(%[[TMP]] : memref<16xf32>)
// CHECK:         %[[O3:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O3]]][] : memref<?xi8> to memref<16xf32>
func.func @loop(%x: memref<?x4xf32> {nn.role = "input"}, %n: index, %out: memref<16xf32>)
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %acc = memref.alloc() : memref<16xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<16xf32>)
  %tmp = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %acc[%c0] : memref<16xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %acc[%c0] : memref<16xf32>
    linalg.fill ins(%w : f32) outs(%tmp : memref<16xf32>)
    memref.copy %tmp, %out : memref<16xf32> to memref<16xf32>
  }
  %after = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%after : memref<16xf32>)
  memref.copy %after, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// %a's last direct use is the collapse_shape, but its memory is read through
// a view of that view after %b is written: %b must not take %a's space.
// CHECK-LABEL: func.func @alias(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 128 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<4x4xf32>
// CHECK:         %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OB]]][] : memref<?xi8> to memref<16xf32>
func.func @alias(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>, %out8: memref<8xf32>)
    attributes {nn.entry = "gradient"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<4x4xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<16xf32>)
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  %half = memref.subview %flat[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %half, %out8 : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
  return
}

// -----

// A buffer handed to an op the pass does not know (which might keep it or
// return an alias of it) or to a call stays live to the end of the
// function: %c, used only afterwards, shares with neither.
// CHECK-LABEL: func.func @escape(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 192 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OB]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OC:.*]] = arith.constant 128 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OC]]][] : memref<?xi8> to memref<16xf32>
func.func private @sink(memref<16xf32>)
func.func @escape(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<16xf32>
  "test.keep"(%a) : (memref<16xf32>) -> ()
  %b = memref.alloc() : memref<16xf32>
  func.call @sink(%b) : (memref<16xf32>) -> ()
  %c = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<16xf32>)
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// Batch-sized buffers go to the per-example arena after the fixed one, at
// 64 + offset * batch; %p and %q have disjoint lifetimes and share offset
// 0, %r overlaps %q. The memref.dim of %p does not read its memory, so it
// does not extend its lifetime. Without reuse: 64 + 64 + 64 bytes per
// example, here 128.
// CHECK-LABEL: func.func @arenas(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 64 : i64, nn.workspace_per_example = 128 : i64
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[K1:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[S1:.*]] = arith.muli %[[K1]], %[[N]] : index
// CHECK-NEXT:    %[[F1:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[O1:.*]] = arith.addi %[[F1]], %[[S1]] : index
// CHECK-NEXT:    %[[P:.*]] = memref.view %[[WS]][%[[O1]]][%[[N]]] : memref<?xi8> to memref<?x4xf32>
// CHECK:         %[[M:.*]] = memref.dim %[[P]]
// CHECK:         %[[K2:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[S2:.*]] = arith.muli %[[K2]], %[[M]] : index
// CHECK-NEXT:    %[[F2:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[O2:.*]] = arith.addi %[[F2]], %[[S2]] : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O2]]][%[[M]]] : memref<?xi8> to memref<?x16xf32>
// CHECK:         %[[K3:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[S3:.*]] = arith.muli %[[K3]], %[[N]] : index
// CHECK-NEXT:    %[[F3:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[O3:.*]] = arith.addi %[[F3]], %[[S3]] : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O3]]][%[[N]]] : memref<?xi8> to memref<?x2xf32>
// CHECK:         %[[O4:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O4]]][] : memref<?xi8> to memref<8xf32>
func.func @arenas(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<?x4xf32>, %w: memref<8xf32>)
    attributes {nn.entry = "train_step"} {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %p = memref.alloc(%n) : memref<?x4xf32>
  linalg.fill ins(%one : f32) outs(%p : memref<?x4xf32>)
  memref.copy %p, %out : memref<?x4xf32> to memref<?x4xf32>
  %m = memref.dim %p, %c0 : memref<?x4xf32>
  %q = memref.alloc(%m) : memref<?x16xf32>
  linalg.fill ins(%one : f32) outs(%q : memref<?x16xf32>)
  %r = memref.alloc(%n) : memref<?x2xf32>
  linalg.fill ins(%one : f32) outs(%r : memref<?x2xf32>)
  %v = memref.load %q[%c0, %c0] : memref<?x16xf32>
  %s = memref.alloc() : memref<8xf32>
  linalg.fill ins(%v : f32) outs(%s : memref<8xf32>)
  memref.copy %s, %w : memref<8xf32> to memref<8xf32>
  return
}

// -----

// First fit: %c overlaps %b only, and goes below it, into %a's space.
// CHECK-LABEL: func.func @first_fit(
// CHECK-SAME:    %[[WS:[^:]*]]: memref<?xi8> {nn.role = "workspace"})
// CHECK-SAME:    nn.workspace_fixed = 192 : i64, nn.workspace_per_example = 0 : i64
// CHECK:         %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OA]]][] : memref<?xi8> to memref<32xf32>
// CHECK:         %[[OB:.*]] = arith.constant 128 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OB]]][] : memref<?xi8> to memref<16xf32>
// CHECK:         %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OC]]][] : memref<?xi8> to memref<16xf32>
func.func @first_fit(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>, %out2: memref<32xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<32xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<32xf32>)
  %b = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<16xf32>)
  memref.copy %a, %out2 : memref<32xf32> to memref<32xf32>
  %c = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<16xf32>)
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// A deallocation ends a lifetime and goes (the workspace is not freed).
// CHECK-LABEL: func.func @dealloc(
// CHECK-SAME:    nn.workspace_fixed = 64 : i64, nn.workspace_per_example = 0 : i64
// CHECK-NOT:     memref.dealloc
// CHECK:         return
func.func @dealloc(%x: memref<?x4xf32> {nn.role = "input"}, %out: memref<16xf32>)
    attributes {nn.entry = "train_step"} {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<16xf32>)
  memref.copy %a, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%b : memref<16xf32>)
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  return
}
