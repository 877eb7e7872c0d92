// RUN: nnc-opt %s --nnc-outline-branches --split-input-file | FileCheck %s

// Two branches, each owned by a weight of 128 KiB (a.weight, b.weight):
// the products are section 0, the join (the add) follows, then the two
// products that read the join and one branch each are section 1. Each
// branch is a private function computing into a buffer of the caller's
// (a copy of the empty tensor its destinations start from, passed last),
// with the fill it starts from recomputed inside rather than shared.
// CHECK-LABEL: func.func @Two(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x8xf32>, %[[WA:[^:]*]]: tensor<8x4096xf32> {nn.param = "a.weight"}, %[[WB:[^:]*]]: tensor<8x4096xf32> {nn.param = "b.weight"})
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x4096xf32>
// CHECK:         %[[DA:.*]] = tensor.empty
// CHECK:         %[[A:.*]] = call @Two.section0.branch0(%[[X]], %[[WA]], %[[DA]])
// CHECK:         %[[DB:.*]] = tensor.empty
// CHECK:         %[[B:.*]] = call @Two.section0.branch1(%[[X]], %[[WB]], %[[DB]])
// CHECK:         %[[S:.*]] = linalg.add ins(%[[A]], %[[B]] : {{.*}}) outs(%[[E]] :
// CHECK:         %[[UA:.*]] = call @Two.section1.branch0(%[[S]], %[[A]], %[[X]], %{{.*}})
// CHECK:         %[[UB:.*]] = call @Two.section1.branch1(%[[S]], %[[B]], %[[X]], %{{.*}})
// CHECK:         return %[[UA]], %[[UB]]
// CHECK:       func.func private @Two.section1.branch1({{.*}}) -> tensor<?x4096xf32> attributes {nnc.branch = 1 : i64, nnc.section = 1 : i64}
// CHECK:         linalg.mul
// CHECK:       func.func private @Two.section1.branch0(
// CHECK:       func.func private @Two.section0.branch1(
// CHECK:       func.func private @Two.section0.branch0(
// CHECK-SAME:    %{{[^:]*}}: tensor<?x8xf32>, %[[W:[^:]*]]: tensor<8x4096xf32>, %[[D:[^:]*]]: tensor<?x4096xf32>) -> tensor<?x4096xf32> attributes {nnc.branch = 0 : i64, nnc.section = 0 : i64}
// CHECK:         %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[D]] :
// CHECK:         %[[P:.*]] = linalg.matmul ins(%{{.*}}, %[[W]] : {{.*}}) outs(%[[F]] :
// CHECK:         return %[[P]]
func.func @Two(%x: tensor<?x8xf32>, %w0: tensor<8x4096xf32> {nn.param = "a.weight"},
               %w1: tensor<8x4096xf32> {nn.param = "b.weight"}) -> (tensor<?x4096xf32>, tensor<?x4096xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x4096xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %a = linalg.matmul ins(%x, %w0 : tensor<?x8xf32>, tensor<8x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %b = linalg.matmul ins(%x, %w1 : tensor<?x8xf32>, tensor<8x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %s = linalg.add ins(%a, %b : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %u0 = linalg.mul ins(%s, %a : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %u1 = linalg.mul ins(%s, %b : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  return %u0, %u1 : tensor<?x4096xf32>, tensor<?x4096xf32>
}

// -----

// A chain is not two branches: the second product reads the first's result
// and its own weight, so b.weight is read by a join and owns nothing;
// a.weight alone is one branch, not a section. Nothing is outlined.
// CHECK-LABEL: func.func @Chain(
// CHECK-NOT:     call
// CHECK-NOT:     func.func private
func.func @Chain(%x: tensor<?x8xf32>, %w0: tensor<8x4096xf32> {nn.param = "a.weight"},
                 %w1: tensor<4096x4096xf32> {nn.param = "b.weight"}) -> tensor<?x4096xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x4096xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %a = linalg.matmul ins(%x, %w0 : tensor<?x8xf32>, tensor<8x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %b = linalg.matmul ins(%a, %w1 : tensor<?x4096xf32>, tensor<4096x4096xf32>) outs(%f : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  %u = linalg.mul ins(%a, %b : tensor<?x4096xf32>, tensor<?x4096xf32>) outs(%e : tensor<?x4096xf32>) -> tensor<?x4096xf32>
  return %u : tensor<?x4096xf32>
}

// -----

// Weights under min-weight-bytes (65,536 bytes by default; these are
// 8 x 1024 floats, 32 KiB) own no branch.
// CHECK-LABEL: func.func @Small(
// CHECK-NOT:     call
func.func @Small(%x: tensor<?x8xf32>, %w0: tensor<8x1024xf32> {nn.param = "a.weight"},
                 %w1: tensor<8x1024xf32> {nn.param = "b.weight"}) -> tensor<?x1024xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x1024xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %a = linalg.matmul ins(%x, %w0 : tensor<?x8xf32>, tensor<8x1024xf32>) outs(%f : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %b = linalg.matmul ins(%x, %w1 : tensor<?x8xf32>, tensor<8x1024xf32>) outs(%f : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %s = linalg.add ins(%a, %b : tensor<?x1024xf32>, tensor<?x1024xf32>) outs(%e : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  return %s : tensor<?x1024xf32>
}

// -----

// An scf.if whose then-block updates both branches' weights (the
// optimizer step of a train step; its else-block yields the weights as
// they were) becomes one scf.if per branch, each part of its branch, so
// that a thread updates its weights right after their gradient; what is
// left of the original yields the else-block's values on both sides.
// CHECK-LABEL: func.func @Update(
// CHECK:         %[[A:.*]] = call @Update.section0.branch0(
// CHECK:         %[[B:.*]] = call @Update.section0.branch1(
// CHECK:         return %[[A]], %[[B]]
// CHECK:       func.func private @Update.section0.branch1(
// CHECK:         scf.if
// CHECK:           linalg.sub
// CHECK:       func.func private @Update.section0.branch0(
// CHECK-SAME:    %[[C:[^:]*]]: i1
// CHECK-SAME:    %[[W:[^:]*]]: tensor<8x4096xf32>
// CHECK:         %[[R:.*]] = scf.if %[[C]]
// CHECK:           %[[U:.*]] = linalg.sub ins(%[[W]], %{{.*}}) outs(%[[W]] :
// CHECK:           scf.yield %[[U]]
// CHECK:         } else {
// CHECK:           scf.yield %[[W]]
// CHECK:         return %[[R]]
func.func @Update(%c: i1, %w0: tensor<8x4096xf32> {nn.param = "a.weight"},
                  %w1: tensor<8x4096xf32> {nn.param = "b.weight"},
                  %g0: tensor<8x4096xf32>, %g1: tensor<8x4096xf32>) -> (tensor<8x4096xf32>, tensor<8x4096xf32>) {
  %r:2 = scf.if %c -> (tensor<8x4096xf32>, tensor<8x4096xf32>) {
    %u0 = linalg.sub ins(%w0, %g0 : tensor<8x4096xf32>, tensor<8x4096xf32>) outs(%w0 : tensor<8x4096xf32>) -> tensor<8x4096xf32>
    %u1 = linalg.sub ins(%w1, %g1 : tensor<8x4096xf32>, tensor<8x4096xf32>) outs(%w1 : tensor<8x4096xf32>) -> tensor<8x4096xf32>
    scf.yield %u0, %u1 : tensor<8x4096xf32>, tensor<8x4096xf32>
  } else {
    scf.yield %w0, %w1 : tensor<8x4096xf32>, tensor<8x4096xf32>
  }
  return %r#0, %r#1 : tensor<8x4096xf32>, tensor<8x4096xf32>
}
