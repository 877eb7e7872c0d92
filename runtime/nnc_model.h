/*===- nnc_model.h - C ABI shared by generated code and runtime ---*- C -*-===*
 *
 * The data types through which a compiled model describes itself. Every
 * object file nnc writes exports one `nnc_model_desc` per model (symbol
 * `nnc_<Model>_desc`); generated headers embed this file's text verbatim, and
 * the runtime includes it, so both sides agree on one definition. Plain C99,
 * no includes beyond <stdint.h>, so any language with a C FFI can read it.
 *
 * Tensors are dense and row-major, of the model's element type (`dtype`: f32
 * unless the model was compiled with --dtype=f64). Per-example shapes exclude
 * the batch dimension, which the caller chooses at run time. Parameter
 * offsets count elements (not bytes) from the start of the model's flat
 * parameter buffer; gradients and each optimizer state slot use the same
 * layout.
 *
 * Every entry point computes with subnormal numbers flushed to zero, as
 * TensorFlow does: on x86 it sets MXCSR's FTZ and DAZ bits on entry (the
 * threads of its parallel loops inherit them) and restores the caller's
 * MXCSR on return. Results then differ from IEEE arithmetic only where a
 * value falls below the smallest normal number (about 1.2e-38 in f32), and
 * a trained model's tiny gradients and decaying optimizer state do not run
 * into the several-fold slower arithmetic on subnormal operands.
 *
 *===----------------------------------------------------------------------===*/

#ifndef NNC_MODEL_ABI_H
#define NNC_MODEL_ABI_H

#include <stdint.h>

/* Bumped whenever the layout of the structs below changes. */
#define NNC_ABI_VERSION 4

/* How the runtime fills a parameter tensor before training. */
typedef enum nnc_init_kind {
  NNC_INIT_ZEROS = 0,
  NNC_INIT_ONES = 1,
  NNC_INIT_XAVIER_UNIFORM = 2, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
  NNC_INIT_HE_UNIFORM = 3      /* U(-a, a), a = sqrt(6 / fan_in) */
} nnc_init_kind;

typedef struct nnc_param_desc {
  const char *name;     /* e.g. "h.weight" */
  int32_t rank;
  const int64_t *shape; /* rank entries */
  int64_t offset;       /* in elements, from the start of the buffer */
  int64_t size;         /* number of elements */
  int32_t init;         /* an nnc_init_kind */
  int64_t fan_in;
  int64_t fan_out;
  /* 1: trained by the optimizer. 0: model state the train step computes
   * from the forward pass (batch norm's running mean and variance); it is
   * saved and loaded with the parameters but has a zero gradient. */
  int32_t trainable;
  /* 1: stored row-major. c > 1 (a rank-2 tensor [rows, cols] whose cols
   * c divides): stored as c column blocks, one after the other, each
   * [rows, cols / c] row-major; element (r, j) is at
   * (j / w) * rows * w + r * w + j % w, w = cols / c. `--parallel` builds
   * store the first weight of a split dense layer so (docs/embedding.md);
   * the runtime converts when it initialises, saves and loads. */
  int32_t column_blocks;
} nnc_param_desc;

typedef struct nnc_tensor_desc {
  const char *name;     /* the model's argument name, or "output" */
  int32_t rank;         /* per-example rank (batch dimension excluded) */
  const int64_t *shape; /* rank entries */
  int64_t size;         /* elements per example */
} nnc_tensor_desc;

/* Element type of every tensor of a compiled model. */
typedef enum nnc_dtype { NNC_DTYPE_F32 = 0, NNC_DTYPE_F64 = 1 } nnc_dtype;

typedef enum nnc_loss_kind {
  NNC_LOSS_SOFTMAX_CROSS_ENTROPY = 0, /* labels: int32_t class per example */
  NNC_LOSS_MSE = 1 /* targets: output-shaped values per example */
} nnc_loss_kind;

typedef enum nnc_optimizer_kind {
  NNC_OPTIMIZER_SGD = 0, /* state: velocity (empty without momentum) */
  NNC_OPTIMIZER_ADAM = 1 /* state: first then second moments */
} nnc_optimizer_kind;

/* One step: forward, loss, backward and the optimizer update, in place on
 * `params` and `opt_state`; writes the gradients to `grads` and returns the
 * mean loss of the batch. `step` counts from 1 (Adam's bias correction).
 * `seed` and `step` together choose the dropout masks, so a step is a pure
 * function of its arguments. Model state (batch norm's running statistics)
 * is updated in `params` as well. `workspace` holds every intermediate: no
 * heap allocation happens inside. */
typedef float (*nnc_train_step_fn)(float *params, float *grads,
                                   float *opt_state, int64_t step,
                                   uint64_t seed, const float *x,
                                   const void *labels, int64_t batch,
                                   void *workspace);

/* Forward and loss without update: returns the mean loss and stores the
 * number of examples whose arg-max output equals the label in `correct`
 * (always 0 for mse). */
typedef float (*nnc_eval_fn)(const float *params, const float *x,
                             const void *labels, int64_t batch,
                             int64_t *correct, void *workspace);

/* Loss and gradients of one batch without any update, in training mode
 * (dropout active with masks chosen by `seed`, batch norm on batch
 * statistics): writes the gradient of the mean loss with respect to every
 * parameter to `grads` (laid out like `params`; zero for model state) and
 * returns the mean loss. */
typedef float (*nnc_gradient_fn)(const float *params, float *grads,
                                 uint64_t seed, const float *x,
                                 const void *labels, int64_t batch,
                                 void *workspace);

/* What a `train` block compiled into; NULL for models without one. */
typedef struct nnc_train_desc {
  int32_t loss;      /* an nnc_loss_kind */
  int32_t optimizer; /* an nnc_optimizer_kind */
  double lr;
  double momentum;     /* sgd */
  double weight_decay; /* sgd */
  double beta1, beta2, eps; /* adam */
  int64_t batch;  /* default batch size of the train block */
  int64_t epochs; /* default number of epochs */
  /* Default data augmentation of the train block (images [C, H, W]): a
   * random horizontal flip (0 or 1) and a random shift by up to this many
   * pixels in each direction (0: none). */
  int32_t augment_flip;
  int32_t augment_shift;
  int64_t opt_state_size; /* elements of the optimizer state buffer */
  /* Bytes of workspace for a batch of B: fixed + B * per_example (64-byte
   * aligned pieces; pass a 64-byte aligned buffer). */
  int64_t workspace_fixed;
  int64_t workspace_per_example;
  nnc_train_step_fn train_step;
  nnc_eval_fn eval;
  nnc_gradient_fn gradient;
} nnc_train_desc;

typedef struct nnc_model_desc {
  uint32_t abi_version; /* NNC_ABI_VERSION of the compiler that wrote it */
  const char *name;     /* the model's name in the .nn file */
  int64_t num_params;   /* entries in `params` */
  const nnc_param_desc *params;
  int64_t param_size;   /* total elements of the parameter buffer */
  int64_t num_inputs;
  const nnc_tensor_desc *inputs;
  const nnc_tensor_desc *output;
  int32_t dtype;                /* an nnc_dtype */
  const nnc_train_desc *train;  /* NULL unless the model has a train block */
} nnc_model_desc;

#endif /* NNC_MODEL_ABI_H */
