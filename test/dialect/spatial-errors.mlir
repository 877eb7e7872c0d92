// RUN: nnc-opt %s --split-input-file --verify-diagnostics

// The verifier messages of the convolution, pooling, normalization, dropout
// and concatenation ops (type inference in dialect/NNSpatialOps.cpp).

func.func @conv_rank(%x: tensor<?x784xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x4x1x1xf32> {
  // expected-error @+2 {{'nn.conv2d' op expected input of shape [batch, channels, height, width] with static channels and size, got 'tensor<?x784xf32>'}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x784xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x1x1xf32>
  return %0 : tensor<?x4x1x1xf32>
}

// -----

func.func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+2 {{'nn.conv2d' op filter expects 2 input channels per group, but the input has 3 channels in 1 group}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

func.func @conv_groups(%x: tensor<?x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+2 {{'nn.conv2d' op input channels (3) are not divisible by groups (2)}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (tensor<?x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

func.func @conv_window(%x: tensor<?x1x3x3xf32>, %w: tensor<4x1x5x5xf32>) -> tensor<?x4x1x1xf32> {
  // expected-error @+2 {{'nn.conv2d' op window of 5 exceeds the height of the padded input (3)}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x1x3x3xf32>, tensor<4x1x5x5xf32>) -> tensor<?x4x1x1xf32>
  return %0 : tensor<?x4x1x1xf32>
}

// -----

func.func @conv_attrs(%x: tensor<?x1x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+2 {{'nn.conv2d' op expected 'padding' to be four non-negative integers [top, left, bottom, right]}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<?x1x8x8xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<5xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+2 {{'nn.conv2d' op expected bias of type 'tensor<4xf32>', got 'tensor<5xf32>'}}
  // expected-error @+1 {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<5xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

func.func @input_grad(%dy: tensor<?x4x5x5xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x1x8x8xf32> {
  // expected-error @+2 {{'nn.conv2d_input_grad' op an input of 8x8 gives an output of 6x6, not 5x5}}
  // expected-error @+1 {{'nn.conv2d_input_grad' op failed to infer returned types}}
  %0 = nn.conv2d_input_grad %dy, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64, input_size = array<i64: 8, 8>} : (tensor<?x4x5x5xf32>, tensor<4x1x3x3xf32>) -> tensor<?x1x8x8xf32>
  return %0 : tensor<?x1x8x8xf32>
}

// -----

func.func @pool_padding(%x: tensor<?x1x8x8xf32>) -> tensor<?x1x5x5xf32> {
  // expected-error @+2 {{'nn.maxpool2d' op padding must be at most half the window (2x2)}}
  // expected-error @+1 {{'nn.maxpool2d' op failed to infer returned types}}
  %0 = nn.maxpool2d %x {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>} : tensor<?x1x8x8xf32> -> tensor<?x1x5x5xf32>
  return %0 : tensor<?x1x5x5xf32>
}

// -----

func.func @avgpool_grad(%dy: tensor<?x1x3x3xf32>) -> tensor<?x1x8x8xf32> {
  // expected-error @+2 {{'nn.avgpool2d_grad' op an input of 8x8 gives an output of 4x4, not 3x3}}
  // expected-error @+1 {{'nn.avgpool2d_grad' op failed to infer returned types}}
  %0 = nn.avgpool2d_grad %dy {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, input_size = array<i64: 8, 8>} : (tensor<?x1x3x3xf32>) -> tensor<?x1x8x8xf32>
  return %0 : tensor<?x1x8x8xf32>
}

// -----

func.func @batchnorm_stats(%x: tensor<?x4x2x2xf32>, %g: tensor<4xf32>, %m: tensor<3xf32>) -> tensor<?x4x2x2xf32> {
  // expected-error @+2 {{'nn.batchnorm' op expected running mean of type 'tensor<4xf32>', got 'tensor<3xf32>'}}
  // expected-error @+1 {{'nn.batchnorm' op failed to infer returned types}}
  %0 = nn.batchnorm %x, %g, %g, %m, %g {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<?x4x2x2xf32>
  return %0 : tensor<?x4x2x2xf32>
}

// -----

func.func @batchnorm_momentum(%x: tensor<?x4xf32>, %g: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+2 {{'nn.batchnorm' op expected a momentum in [0, 1], got 2.000000e+00}}
  // expected-error @+1 {{'nn.batchnorm' op failed to infer returned types}}
  %0 = nn.batchnorm %x, %g, %g, %g, %g {epsilon = 1.0e-5 : f64, momentum = 2.0 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @dropout_rate(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'nn.dropout' op expected a rate in [0, 1), got 1.000000e+00}}
  %0 = nn.dropout %x {rate = 1.0 : f64} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @concat_shapes(%a: tensor<?x2x3xf32>, %b: tensor<?x2x4xf32>) -> tensor<?x4x3xf32> {
  // expected-error @+2 {{'nn.concat' op cannot concatenate 'tensor<?x2x3xf32>' and 'tensor<?x2x4xf32>' along axis 1}}
  // expected-error @+1 {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b {axis = 1 : i64} : (tensor<?x2x3xf32>, tensor<?x2x4xf32>) -> tensor<?x4x3xf32>
  return %0 : tensor<?x4x3xf32>
}

// -----

func.func @concat_axis(%a: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+2 {{'nn.concat' op axis 0 is not a per-example dimension of 'tensor<?x2xf32>'}}
  // expected-error @+1 {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a {axis = 0 : i64} : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @slice_range(%a: tensor<?x4xf32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{'nn.slice' op range [2, 5) is outside dimension 1 of 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'nn.slice' op failed to infer returned types}}
  %0 = nn.slice %a {axis = 1 : i64, offset = 2 : i64, size = 3 : i64} : tensor<?x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
