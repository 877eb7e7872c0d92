// RUN: nnc-opt %s --nnc-approximate-math --split-input-file | FileCheck %s

// f32 transcendental math ops become polynomial approximations in arith
// (plus the cheap math.fma / math.absf / math.floor that lower to LLVM
// intrinsics, not libm calls). What the upstream approximations do not
// cover is left alone.

// CHECK-LABEL: func.func @tanh_f32
// CHECK-SAME:    (%[[X:.*]]: f32) -> f32
// CHECK-NOT:     math.tanh
// Clamped to [-7.99881172, 7.99881172], then a rational polynomial.
// CHECK-DAG:     %[[HI:.*]] = arith.constant 7.99881172 : f32
// CHECK-DAG:     %[[LO:.*]] = arith.constant -7.99881172 : f32
// CHECK:         %[[LT:.*]] = arith.cmpf ult, %[[X]], %[[HI]] : f32
// CHECK:         %[[C0:.*]] = arith.select %[[LT]], %[[X]], %[[HI]] : f32
// CHECK:         %[[GT:.*]] = arith.cmpf ugt, %[[C0]], %[[LO]] : f32
// CHECK:         %[[C:.*]] = arith.select %[[GT]], %[[C0]], %[[LO]] : f32
// CHECK:         math.fma
// CHECK:         %[[Q:.*]] = arith.divf
// CHECK:         %[[R:.*]] = arith.select %{{.*}}, %[[C]], %[[Q]] : f32
// CHECK-NOT:     math.tanh
// CHECK:         return %[[R]] : f32
func.func @tanh_f32(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// -----

// exp: range reduction to 2^k * exp(r), with 2^k built from the bits.
// CHECK-LABEL: func.func @exp_vector
// CHECK-SAME:    (%[[X:.*]]: vector<8xf32>) -> vector<8xf32>
// CHECK-NOT:     math.exp
// CHECK:         math.floor %{{.*}} : vector<8xf32>
// CHECK:         arith.fptosi %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK:         %[[POW:.*]] = arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK:         %[[R:.*]] = arith.mulf %{{.*}}, %[[POW]] : vector<8xf32>
// CHECK-NOT:     math.exp
// CHECK:         return %[[R]] : vector<8xf32>
func.func @exp_vector(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.exp %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// Inside linalg bodies, which is where the nn lowering puts them: the
// sigmoid's exp and the tanh are both expanded in place.
// CHECK-LABEL: func.func @in_generic
// CHECK:         linalg.generic
// CHECK-NOT:       math.exp
// CHECK-NOT:       math.tanh
// CHECK:           arith.bitcast
// CHECK:           arith.divf
// CHECK-NOT:       math.exp
// CHECK-NOT:       math.tanh
// CHECK:           linalg.yield
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @in_generic(%x: tensor<?x8xf32>, %init: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x8xf32>) outs(%init : tensor<?x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %neg = arith.negf %in : f32
    %e = math.exp %neg : f32
    %den = arith.addf %one, %e : f32
    %s = arith.divf %one, %den : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Negative: the approximations are f32-only; f64 keeps math.tanh / math.exp
// (they become llvm.intr.tanh / llvm.intr.exp, i.e. libm calls).
// CHECK-LABEL: func.func @f64_untouched
// CHECK-SAME:    (%[[X:.*]]: f64)
// CHECK-NEXT:    %[[T:.*]] = math.tanh %[[X]] : f64
// CHECK-NEXT:    %[[E:.*]] = math.exp %[[T]] : f64
// CHECK-NEXT:    return %[[E]]
func.func @f64_untouched(%x: f64) -> f64 {
  %0 = math.tanh %x : f64
  %1 = math.exp %0 : f64
  return %1 : f64
}

// -----

// Negative: math ops without an approximation stay.
// CHECK-LABEL: func.func @sqrt_untouched
// CHECK-SAME:    (%[[X:.*]]: f32)
// CHECK-NEXT:    %[[S:.*]] = math.sqrt %[[X]] : f32
// CHECK-NEXT:    return %[[S]]
func.func @sqrt_untouched(%x: f32) -> f32 {
  %0 = math.sqrt %x : f32
  return %0 : f32
}

// -----

// Negative: plain arithmetic is left as it is.
// CHECK-LABEL: func.func @arith_only
// CHECK-SAME:    (%[[A:.*]]: f32, %[[B:.*]]: f32)
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:    %[[P:.*]] = arith.mulf %[[S]], %[[S]] : f32
// CHECK-NEXT:    return %[[P]]
func.func @arith_only(%a: f32, %b: f32) -> f32 {
  %0 = arith.addf %a, %b : f32
  %1 = arith.mulf %0, %0 : f32
  return %1 : f32
}
