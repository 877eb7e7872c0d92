// RUN: nnc-opt %s --nnc-use-workspace | FileCheck %s

// Regression test: index buffers (8 bytes an element, as memref lowering
// stores them on 64-bit targets) used to crash nnc-use-workspace, which
// asked `index` for a bit width.

// CHECK-LABEL: func.func @index_buffer
// CHECK-SAME:    nn.workspace_fixed = 64 : i64
// CHECK:         memref.view %{{.*}}[%{{.*}}][] : memref<?xi8> to memref<4xindex>
func.func @index_buffer(%x: memref<?x4xf32> {nn.role = "input"}) -> memref<4xindex> attributes {nn.entry = "eval"} {
  %a = memref.alloc() : memref<4xindex>
  return %a : memref<4xindex>
}
