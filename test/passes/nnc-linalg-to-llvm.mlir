// RUN: nnc-opt %s --nnc-linalg-to-llvm --split-input-file | FileCheck %s

// The second half of the pipeline on its own: linalg on tensors (what
// nnc-lower-to-linalg produces) is bufferized, results become
// out-parameters, and everything is lowered to the LLVM dialect.

// CHECK-LABEL: llvm.func @exp_rows(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[X:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %[[N:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr, %[[OUT:[^:]*]]: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    {
// CHECK-NOT:     linalg.
// CHECK-NOT:     math.exp
// CHECK-NOT:     llvm.intr.exp
// Rows of 8 run as one masked vector of 16 lanes (nnc-vectorize-rows), exp
// as its polynomial approximation.
// CHECK:         llvm.getelementptr {{.*}}%[[X]][
// CHECK:         llvm.intr.masked.load
// CHECK:         llvm.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:         llvm.getelementptr {{.*}}%[[OUT]][
// CHECK:         llvm.intr.masked.store
// CHECK-NOT:     llvm.call
// CHECK:         llvm.return{{$}}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @exp_rows(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %init = tensor.empty(%n) : tensor<?x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x8xf32>) outs(%init : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  } -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Negative: a scalar result is no buffer, so it stays a result.
// CHECK-LABEL: llvm.func @scalar_result(
// CHECK-SAME:    %{{[^:]*}}: f32) -> f32
// CHECK:         %[[S:.*]] = llvm.fadd
// CHECK:         llvm.return %[[S]] : f32
func.func @scalar_result(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
