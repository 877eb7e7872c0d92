#!/usr/bin/python3
# ===- compare.py - nnc's training code against PyTorch -------------------===#
#
# The second half of the TorchReference test (dump.cpp is the first). For each
# model dumped by nnc-torch-dump, rebuild the network of models.nn from
# torch.nn modules in float64 with the dumped parameters (nnc stores a dense
# weight [in, out], nn.Linear [out, in]: transposed; a conv2d weight
# [F, C/groups, KH, KW] as nn.Conv2d does; batch norm's running statistics
# as nn.BatchNorm2d's buffers), compute the loss with F.cross_entropy /
# F.mse_loss (mean reduction) and the gradients with autograd, and run one
# step of torch.optim.SGD / Adam with the hyper-parameters of the train
# block. Recurrent layers are nn.LSTM / nn.GRU / nn.RNN (batch_first, so an
# example's [steps, features] input is torch's (N, T, F)): nnc names their
# parameters as torch does, under the statement's prefix (weight_ih_l0,
# weight_hh_l0, bias_ih_l0, bias_hh_l0, then the _reverse ones, then _l1...),
# in torch's gate order (LSTM i, f, g, o; GRU r, z, n) and stores each weight
# transposed like a dense weight: nnc's weight_ih_lK is [in, gates * hidden]
# = torch's weight_ih_lK.T, weight_hh_lK is [hidden, gates * hidden] =
# weight_hh_lK.T; biases are the same [gates * hidden]. `output=last` is the
# top layer's h_n (h_n[-1], or cat(h_n[-2], h_n[-1]) when bidirectional),
# `output=sequence` torch's `output` (N, T, hidden * directions); h0 / c0
# ([hidden] per example) are torch's (1, N, hidden). The dump gives the
# recurrent biases non-zero values (dump.cpp), so the forward checks where
# each one is added. The modules are in training mode, so batch norm
# normalizes with the batch statistics and its forward updates the running
# statistics, which train_step must reproduce (their gradient is zero). The
# architectures and hyper-parameters are written out here, not read from nnc:
# the descriptor's values (meta.json) are only checked against them.
#
# Criteria (nnc computes in float32, the reference in float64):
#   loss:        |nnc - ref| <= 1e-4 * |ref|
#   each tensor: max |nnc - ref| <= 1e-4 * max |ref| + 1e-6  (NaN fails)
#   the step:    on the update params_after - params, per tensor and element,
#                |nnc - ref| <= 1e-4 * max |ref| + 2^-22 * |param|, the second
#                term for the float32 rounding of the parameter before and
#                after; the update is small next to the parameter, so
#                comparing parameters, or adding 1e-6, would hide a learning
#                rate off by several percent.
# The reference step starts from torch's own gradients, except for Adam,
# whose first step lr * g / (|g| + eps) ~ lr * sign(g) turns float32 noise in
# a near-zero gradient element into an update error of up to 2 * lr; there it
# starts from nnc's (already checked) step gradients, which checks the
# update rule exactly. The end-to-end Adam figure is printed for information.
#
# Usage: /usr/bin/python3 compare.py <dump-dir>; exits 1 on any failure.
#
# ===----------------------------------------------------------------------===#

import json
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    sys.exit(f"compare.py: {e}: python3-torch is not installed; run scripts/setup.sh")

REL = 1e-4
ABS = 1e-6
F32_ROUNDING = 2.0**-22

torch.set_default_dtype(torch.float64)


# The models of models.nn: layer name -> (in, out) for nn.Linear or a
# function making the layer's module, the forward function over a dict of
# modules, the loss and the optimizer.
def mlp784(l, x):
    h = torch.relu(l["h"](x))
    return l["output"](h)


def softmax64(l, x):
    h = torch.relu(l["h"](x))
    h = torch.relu(l["h_2"](h))
    return l["output"](h)


def regress(l, x):
    a = torch.tanh(l["a"](x))
    b = torch.sigmoid(l["b"](x))
    g = a * b + a * a
    return l["output"](g)


def cnn(l, x):
    h = x.reshape(-1, 3, 9, 8)
    h = torch.relu(l["h_2"](l["h"](h)))
    h = F.max_pool2d(h, 2)
    return l["output"](h.flatten(1))


def lstm_class(l, x):
    _, (h, _) = l["h"](x.reshape(-1, 7, 5))
    return l["output"](h[-1])


def gru_seq(l, x):
    h, _ = l["h"](x.reshape(-1, 5, 3))
    return l["output"](h.flatten(1))


def rnn_relu(l, x):
    s = torch.tanh(l["s"](x))
    h, _ = l["h"](x.reshape(-1, 9, 4), s.unsqueeze(0))
    return l["output"](h.flatten(1))


def rnn_tanh(l, x):
    _, h = l["h"](x.reshape(-1, 6, 3))
    return l["output"](torch.cat([h[-2], h[-1]], 1))


def lstm_init(l, x):
    s = torch.tanh(l["s"](x))
    c = torch.tanh(l["c"](x))
    _, (h, _) = l["h"](x.reshape(-1, 5, 3), (s.unsqueeze(0), c.unsqueeze(0)))
    t = torch.tanh(l["t"](x))
    _, g = l["g"](x.reshape(-1, 5, 3), t.unsqueeze(0))
    return l["output"](torch.cat([h[-1], g[-1]], 1))


MODELS = {
    "MLP784": dict(
        layers={"h": (784, 64), "output": (64, 10)},
        forward=mlp784,
        loss="softmax_cross_entropy",
        optimizer=("sgd", dict(lr=0.01, momentum=0.0, weight_decay=0.0)),
    ),
    "Softmax64": dict(
        layers={"h": (784, 64), "h_2": (64, 64), "output": (64, 10)},
        forward=softmax64,
        loss="softmax_cross_entropy",
        optimizer=("adam", dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)),
    ),
    "Regress": dict(
        layers={"a": (32, 24), "b": (32, 24), "output": (24, 4)},
        forward=regress,
        loss="mse",
        optimizer=("sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.001)),
    ),
    "CNN": dict(
        layers={
            "h": lambda: torch.nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False),
            "h_2": lambda: torch.nn.BatchNorm2d(6, eps=1e-5, momentum=0.1),
            "output": (24, 10),
        },
        forward=cnn,
        loss="softmax_cross_entropy",
        optimizer=("sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.0)),
    ),
    "LSTMClass": dict(
        layers={
            "h": lambda: torch.nn.LSTM(5, 6, batch_first=True),
            "output": (6, 4),
        },
        forward=lstm_class,
        loss="softmax_cross_entropy",
        optimizer=("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.0)),
    ),
    "GRUSeq": dict(
        layers={
            "h": lambda: torch.nn.GRU(3, 7, num_layers=2, bidirectional=True,
                                      batch_first=True),
            "output": (5 * 14, 3),
        },
        forward=gru_seq,
        loss="mse",
        optimizer=("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)),
    ),
    "RNNRelu": dict(
        layers={
            "s": (36, 3),
            "h": lambda: torch.nn.RNN(4, 3, nonlinearity="relu", batch_first=True),
            "output": (9 * 3, 5),
        },
        forward=rnn_relu,
        loss="mse",
        optimizer=("sgd", dict(lr=0.05, momentum=0.0, weight_decay=0.01)),
    ),
    "RNNTanh": dict(
        layers={
            "h": lambda: torch.nn.RNN(3, 5, num_layers=2, bidirectional=True,
                                      batch_first=True),
            "output": (10, 10),
        },
        forward=rnn_tanh,
        loss="softmax_cross_entropy",
        optimizer=("sgd", dict(lr=0.1, momentum=0.0, weight_decay=0.0)),
    ),
    "LSTMInit": dict(
        layers={
            "s": (15, 9),
            "c": (15, 9),
            "h": lambda: torch.nn.LSTM(3, 9, batch_first=True),
            "t": (15, 5),
            "g": lambda: torch.nn.GRU(3, 5, batch_first=True),
            "output": (14, 7),
        },
        forward=lstm_init,
        loss="softmax_cross_entropy",
        optimizer=("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)),
    ),
}


def make_layer(spec):
    if callable(spec):
        return spec()
    fin, fout = spec
    return torch.nn.Linear(fin, fout)


def nnc_tensors(module):
    """(nnc name suffix, torch tensor, transposed?, trainable?) for each
    tensor nnc stores for the layer: its parameters, then batch norm's
    running statistics (model state). Dense and recurrent weights are
    transposed."""
    def transposed(name):
        if isinstance(module, torch.nn.Linear):
            return name == "weight"
        return isinstance(module, torch.nn.RNNBase) and name.startswith("weight_")
    out = [(name, p, transposed(name), True) for name, p in module.named_parameters()]
    for name in ("running_mean", "running_var"):
        if getattr(module, name, None) is not None:
            out.append((name, getattr(module, name), False, False))
    return out


def to_nnc(t, transposed):
    a = t.detach().numpy()
    return (a.T if transposed else a).copy()


class Report:
    def __init__(self):
        self.failures = []
        self.worst = {}  # model -> (err/tol, what)

    def row(self, model, what, err, tol, scale):
        ok = bool(err <= tol)  # NaN compares false
        status = "ok" if ok else "FAIL"
        print(f"  {what:<34} max|err| {err:10.3e}  tol {tol:10.3e}  "
              f"(ref scale {scale:9.3e}, err/tol {err / tol if tol else math.inf:6.3f})  {status}")
        if not ok:
            self.failures.append(f"{model}: {what}")
        ratio = err / tol if tol and not math.isnan(err / tol) else math.inf
        if ratio >= self.worst.get(model, (-1.0, ""))[0]:
            self.worst[model] = (ratio, what)
        return ok

    def fail(self, model, message):
        print(f"  FAIL: {message}")
        self.failures.append(f"{model}: {message}")


def tensors_of(meta, flat):
    """Per-parameter float64 arrays of a flat float32 buffer."""
    out = {}
    for p in meta["params"]:
        n = int(np.prod(p["shape"], dtype=np.int64))
        out[p["name"]] = flat[p["offset"]:p["offset"] + n].reshape(p["shape"]).astype(np.float64)
    return out


def compare_tensor(report, model, what, nnc, ref, rounding=None):
    """Without `rounding`: max|nnc - ref| <= REL * max|ref| + ABS. With it
    (per element): |nnc - ref| <= REL * max|ref| + rounding."""
    err_arr = np.abs(nnc - ref)
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    tol = REL * scale + (ABS if rounding is None else 0.0)
    if rounding is not None:
        # Report the element closest to its tolerance.
        tol_arr = tol + rounding
        ratio = np.where(np.isnan(err_arr), np.inf, err_arr / tol_arr)
        i = int(np.argmax(ratio))
        return report.row(model, what, float(err_arr.flat[i]), float(tol_arr.flat[i]), scale)
    err = float(np.max(err_arr)) if not np.isnan(err_arr).any() else math.nan
    return report.row(model, what, err, tol, scale)


def compare_loss(report, model, what, nnc, ref):
    return report.row(model, what, abs(nnc - ref), REL * abs(ref), abs(ref))


def check_meta(report, name, spec, meta):
    expected = {}
    for layer, layer_spec in spec["layers"].items():
        for suffix, t, transposed, _ in nnc_tensors(make_layer(layer_spec)):
            expected[f"{layer}.{suffix}"] = list(to_nnc(t, transposed).shape)
    got = {p["name"]: p["shape"] for p in meta["params"]}
    if got != expected:
        report.fail(name, f"parameters {got} differ from the reference's {expected}")
        return False
    if meta["loss"] != spec["loss"]:
        report.fail(name, f"descriptor loss {meta['loss']} != {spec['loss']}")
        return False
    kind, hyper = spec["optimizer"]
    if meta["optimizer"] != kind:
        report.fail(name, f"descriptor optimizer {meta['optimizer']} != {kind}")
        return False
    for k, v in hyper.items():
        if meta[k] != v:
            report.fail(name, f"descriptor {k} = {meta[k]} != {v}")
            return False
    return True


def build(spec, params):
    layers = {}
    for layer, layer_spec in spec["layers"].items():
        module = make_layer(layer_spec)
        with torch.no_grad():
            for suffix, t, transposed, _ in nnc_tensors(module):
                p = params[f"{layer}.{suffix}"]
                t.copy_(torch.from_numpy((p.T if transposed else p).copy()))
        layers[layer] = module
    return layers


def loss_of(spec, layers, x, labels):
    out = spec["forward"](layers, x)
    if spec["loss"] == "mse":
        return F.mse_loss(out, labels)
    return F.cross_entropy(out, labels)


def grads_of(layers):
    """nnc-layout float64 gradients of the layers (dense weights transposed
    back); zero for model state, as nnc writes it."""
    g = {}
    for layer, module in layers.items():
        for suffix, t, transposed, trainable in nnc_tensors(module):
            g[f"{layer}.{suffix}"] = (to_nnc(t.grad, transposed) if trainable
                                      else np.zeros(tuple(t.shape)))
    return g


def params_of(layers, state_only=False):
    p = {}
    for layer, module in layers.items():
        for suffix, t, transposed, trainable in nnc_tensors(module):
            if not (state_only and trainable):
                p[f"{layer}.{suffix}"] = to_nnc(t, transposed)
    return p


def optimizer_for(spec, layers):
    kind, h = spec["optimizer"]
    ps = [p for module in layers.values() for p in module.parameters()]
    if kind == "sgd":
        return torch.optim.SGD(ps, lr=h["lr"], momentum=h["momentum"],
                               weight_decay=h["weight_decay"])
    return torch.optim.Adam(ps, lr=h["lr"], betas=(h["beta1"], h["beta2"]),
                            eps=h["eps"])


def reference_step(spec, params, grads):
    """Parameters after one torch.optim step from `params` with `grads`."""
    layers = build(spec, params)
    for layer, module in layers.items():
        for suffix, t, transposed, trainable in nnc_tensors(module):
            if trainable:
                g = grads[f"{layer}.{suffix}"]
                t.grad = torch.from_numpy((g.T if transposed else g).copy())
    optimizer_for(spec, layers).step()
    return params_of(layers)


def check_model(report, name, spec, d):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    print(f"{name}: loss {spec['loss']}, optimizer {spec['optimizer'][0]}, batch {meta['batch']}")
    if not check_meta(report, name, spec, meta):
        return
    load = lambda f: np.load(os.path.join(d, f + ".npy"))
    x = torch.from_numpy(load("x").astype(np.float64))
    labels = load("labels")
    labels = (torch.from_numpy(labels.astype(np.float64)) if spec["loss"] == "mse"
              else torch.from_numpy(labels.astype(np.int64)))
    params = tensors_of(meta, load("params"))
    for k, v in params.items():
        if not np.isfinite(v).all():
            report.fail(name, f"dumped parameter {k} is not finite")
            return

    layers = build(spec, params)
    loss = loss_of(spec, layers, x, labels)
    loss.backward()
    ref_loss = loss.item()
    ref_grads = grads_of(layers)
    # The training-mode forward updated batch norm's running statistics.
    ref_state = params_of(layers, state_only=True)

    compare_loss(report, name, "loss (gradient)", float(load("loss")[0]), ref_loss)
    nnc_grads = tensors_of(meta, load("grads"))
    for k in ref_grads:
        compare_tensor(report, name, f"grad {k}", nnc_grads[k], ref_grads[k])

    compare_loss(report, name, "loss (train_step)", float(load("step_loss")[0]), ref_loss)
    step_grads = tensors_of(meta, load("step_grads"))
    for k in ref_grads:
        compare_tensor(report, name, f"step grad {k}", step_grads[k], ref_grads[k])

    after = tensors_of(meta, load("params_after"))
    end_to_end = reference_step(spec, params, ref_grads)
    adam = spec["optimizer"][0] == "adam"
    ref_after = reference_step(spec, params, step_grads) if adam else end_to_end
    end_to_end.update(ref_state)
    ref_after.update(ref_state)
    for k in ref_after:
        delta_ref = ref_after[k] - params[k]
        compare_tensor(report, name, f"update {k}", after[k] - params[k], delta_ref,
                       rounding=F32_ROUNDING * np.abs(params[k]))
    if adam:
        worst = max(float(np.max(np.abs(after[k] - end_to_end[k]))) for k in after)
        print(f"  (information: Adam from torch's gradients, max |update err| {worst:.3e}, "
              f"lr {spec['optimizer'][1]['lr']})")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: compare.py <dump-dir>")
    root = sys.argv[1]
    print(f"torch {torch.__version__}, numpy {np.__version__}; "
          f"criterion: max|nnc - torch| <= {REL:g} * max|torch| + {ABS:g}")
    report = Report()
    for name, spec in MODELS.items():
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            report.fail(name, f"no dump in {d}")
            continue
        check_model(report, name, spec, d)
    print("\nworst check per model (err/tol):")
    for model, (ratio, what) in report.worst.items():
        print(f"  {model:<10} {ratio:6.3f}  {what}")
    if report.failures:
        print(f"\nFAILED: {len(report.failures)} check(s):")
        for f in report.failures:
            print(f"  {f}")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
