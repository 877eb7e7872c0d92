//===- RecurrentReferenceTest.cpp - rnn, gru, lstm vs. a naive reference -===//
//
// rnn (tanh and relu), gru and lstm are compiled in double precision through
// the JIT, run forward and through the `gradient` entry point (mse loss), and
// compared with a reference written here as plain loops over time in double
// precision straight from PyTorch's equations, with a hand-written
// backpropagation through time; it shares no code with the compiler's
// lowering, and its reverse pass is itself checked against finite differences
// of its forward. Covered: output=last and output=sequence, the reverse
// direction (bidirectional=true), two stacked layers, one recurrent layer
// feeding another, and initial states h0 / c0 computed from the input, so
// their gradients reach the parameters of the layers that computed them.
// The gradient with respect to a recurrent layer's input is observed as the
// weight gradient of `reshape(dense(flatten(x), T*F), [T, F])` in front of
// it. Sizes are deliberately awkward: 1, 3 or 7 steps, 1 or 5 features, a
// hidden size of 1, 3 or 7, batches of 1 and 3.
//
// Every comparison is also made against a deliberately wrong reference (the
// gate order swapped, b_hh left out, the reverse direction run forwards or
// its last state taken from the wrong end, the halves concatenated the wrong
// way round, GRU's reset applied before the matmul, h0 and c0 swapped, ...),
// which must disagree: that shows the harness can fail. The wrong references'
// gradients are finite differences of their forward.
//
// Five cases go through the whole default pipeline at -O2, each compiled on
// its own; the others share one source compiled at -O0 and JIT-linked
// without optimisation, since at -O2 every recurrent op costs seconds of
// LLVM time and the suite would take minutes.
//
// Parameters are random and the padding between parameter tensors is NaN, so
// a read outside a tensor poisons the result instead of passing silently;
// gradient buffers start out NaN too, so an element the model fails to write
// fails the comparison.
//
//===----------------------------------------------------------------------===//

#include "test/unit/ReferenceHarness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace nnc::test;

/// Tensors by parameter name.
using Params = std::map<std::string, Vec>;

/// Forward values agree to rounding (f64 on both sides).
constexpr double kForwardTol = 1e-9;
/// Gradients go through longer sums; still far below any real error.
constexpr double kGradTol = 1e-8;
/// weight_hh of a single step from a zero state has an exactly zero
/// gradient; allow rounding noise around it.
constexpr double kZeroFloor = 1e-14;
/// The reference's reverse pass against its own finite differences, which
/// are good to about 1e-11 absolute (Richardson-extrapolated central
/// differences): a relative tolerance and this absolute floor.
constexpr double kFiniteDiffTol = 1e-8;
constexpr double kFiniteDiffFloor = 1e-10;

//===----------------------------------------------------------------------===//
// The models under test
//===----------------------------------------------------------------------===//

enum class Cell { Rnn, Gru, Lstm };

/// One call of rnn / gru / lstm as written in the model.
struct Recurrent {
  Cell cell;
  int64_t hidden;
  int64_t layers = 1;
  bool bidirectional = false;
  bool sequence = false; // output=sequence, else output=last
  bool relu = false;     // rnn's activation=relu, else tanh

  Recurrent stacked(int64_t n) const {
    Recurrent r = *this;
    r.layers = n;
    return r;
  }
  Recurrent bidi() const {
    Recurrent r = *this;
    r.bidirectional = true;
    return r;
  }
  Recurrent seq() const {
    Recurrent r = *this;
    r.sequence = true;
    return r;
  }
  Recurrent withRelu() const {
    Recurrent r = *this;
    r.relu = true;
    return r;
  }

  int64_t gates() const {
    return cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
  }
  int64_t directions() const { return bidirectional ? 2 : 1; }
  /// Features of the result per step.
  int64_t width() const { return hidden * directions(); }
  const char *function() const {
    return cell == Cell::Lstm ? "lstm" : cell == Cell::Gru ? "gru" : "rnn";
  }
};

Recurrent rnn(int64_t hidden) { return {Cell::Rnn, hidden}; }
Recurrent gru(int64_t hidden) { return {Cell::Gru, hidden}; }
Recurrent lstm(int64_t hidden) { return {Cell::Lstm, hidden}; }

/// Initial states of the first recurrent call: `hinit = dense(flatten(x),
/// H) |> tanh` as h0, `cinit = dense(flatten(x), H)` as c0.
enum class Init { Zero, Hidden, HiddenAndCell };

/// The deliberately wrong references.
enum class Broken {
  None,
  /// b_hh left out of every gate.
  NoHiddenBias,
  /// Gates 0 and 1 swapped (LSTM i and f, GRU r and z).
  SwapFirstGates,
  /// The last two gates swapped (LSTM g and o, GRU z and n).
  SwapLastGates,
  /// rnn: tanh for relu and relu for tanh.
  WrongActivation,
  /// The reverse direction steps through t = 0..T-1 too.
  ReverseRunsForward,
  /// output=last takes the reverse direction's state at t = T-1 (after its
  /// first step) instead of at t = 0.
  ReverseLastAtEnd,
  /// A bidirectional layer concatenates [reverse, forward].
  SwapConcat,
  /// GRU: n = tanh(x W_in + b_in + (r * h) W_hn + b_hn), the reset applied
  /// before the matmul (the original GRU, not PyTorch's).
  GruResetBeforeMatmul,
  /// GRU: h' = z n + (1 - z) h.
  GruInterpolationSwapped,
  /// LSTM: h' = o c', without the tanh.
  LstmCellNotSquashed,
  /// h0 and c0 exchanged.
  SwapInitialStates,
  /// h0 and c0 ignored: zero initial states.
  ZeroInitialState,
};

/// A model `x: [steps, features]`, optionally the front layer `y =
/// reshape(dense(flatten(x), steps*features), [steps, features])` and the
/// initial states, then a chain of recurrent calls, each reading the
/// previous one's result (all but the last with output=sequence).
struct Case {
  const char *name;
  int64_t steps, features;
  bool front;
  Init init;
  std::vector<Recurrent> chain;
  Broken broken;
  /// Compiled alone at -O2, through the whole default pipeline (elementwise
  /// fusion, row vectorization, LLVM's -O2); otherwise with the other cases
  /// at -O0, the same conversion of the recurrent ops without those
  /// optimisations, which compiles several times faster.
  bool fullPipeline = false;

  Case withoutFront() const {
    Case c = *this;
    c.front = false;
    return c;
  }
  Case withInit(Init i) const {
    Case c = *this;
    c.init = i;
    return c;
  }
  Case optimized() const {
    Case c = *this;
    c.fullPipeline = true;
    return c;
  }

  int64_t flat() const { return steps * features; }
  /// The statement (and parameter prefix) of chain element `i`.
  std::string prefix(size_t i) const {
    return i + 1 == chain.size() ? "output" : "h" + std::to_string(i + 1);
  }
  std::vector<int64_t> outShape() const {
    const Recurrent &r = chain.back();
    if (r.sequence)
      return {steps, r.width()};
    return {r.width()};
  }
  int64_t outSize() const {
    int64_t n = 1;
    for (int64_t d : outShape())
      n *= d;
    return n;
  }

  std::string source() const {
    std::string t = std::to_string(steps), f = std::to_string(features);
    std::string h0 = std::to_string(chain[0].hidden);
    std::string body;
    if (front)
      body += "  y = reshape(dense(flatten(x), " + std::to_string(flat()) +
              "), [" + t + ", " + f + "])\n";
    if (init != Init::Zero)
      body += "  hinit = dense(flatten(x), " + h0 + ") |> tanh\n";
    if (init == Init::HiddenAndCell)
      body += "  cinit = dense(flatten(x), " + h0 + ")\n";
    std::string input = front ? "y" : "x";
    for (size_t i = 0; i < chain.size(); ++i) {
      const Recurrent &r = chain[i];
      std::string call = std::string(r.function()) + "(" + input + ", " +
                         std::to_string(r.hidden);
      if (r.layers != 1)
        call += ", layers=" + std::to_string(r.layers);
      if (r.bidirectional)
        call += ", bidirectional=true";
      if (r.sequence)
        call += ", output=sequence";
      if (r.relu)
        call += ", activation=relu";
      if (i == 0 && init != Init::Zero)
        call += ", h0=hinit";
      if (i == 0 && init == Init::HiddenAndCell)
        call += ", c0=cinit";
      call += ")";
      std::string name = prefix(i);
      // The last statement, the return, without a newline.
      body += name == "output" ? "  return " + call
                               : "  " + name + " = " + call + "\n";
      input = name;
    }
    return modelSource(name, {steps, features}, outShape(), body);
  }

  /// Every parameter, in descriptor order, with its shape.
  std::vector<std::pair<std::string, std::vector<int64_t>>> params() const {
    std::vector<std::pair<std::string, std::vector<int64_t>>> list;
    if (front) {
      list.push_back({"y.weight", {flat(), flat()}});
      list.push_back({"y.bias", {flat()}});
    }
    int64_t h0 = chain[0].hidden;
    if (init != Init::Zero) {
      list.push_back({"hinit.weight", {flat(), h0}});
      list.push_back({"hinit.bias", {h0}});
    }
    if (init == Init::HiddenAndCell) {
      list.push_back({"cinit.weight", {flat(), h0}});
      list.push_back({"cinit.bias", {h0}});
    }
    int64_t in = features;
    for (size_t i = 0; i < chain.size(); ++i) {
      const Recurrent &r = chain[i];
      int64_t gh = r.gates() * r.hidden;
      for (int64_t l = 0; l < r.layers; ++l)
        for (int64_t d = 0; d < r.directions(); ++d) {
          std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
          std::string p = prefix(i);
          list.push_back({p + ".weight_ih" + suffix, {l ? r.width() : in, gh}});
          list.push_back({p + ".weight_hh" + suffix, {r.hidden, gh}});
          list.push_back({p + ".bias_ih" + suffix, {gh}});
          list.push_back({p + ".bias_hh" + suffix, {gh}});
        }
      in = r.width();
    }
    return list;
  }
};

//===----------------------------------------------------------------------===//
// Reference: one direction of one layer
//===----------------------------------------------------------------------===//

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

/// The weights of one direction of one layer: [in, G*H], [H, G*H], [G*H],
/// [G*H], gate blocks of H columns each.
struct Weights {
  const Vec *wih, *whh, *bih, *bhh;
};

/// One time step of one direction: the state before and after, and what
/// the reverse pass needs.
struct Step {
  int64_t t; // position in the sequence
  Vec hPrev, cPrev;
  /// Gate values after their nonlinearity, [G*H]: rnn h'; gru r, z, n;
  /// lstm i, f, g, o.
  Vec gate;
  /// gru: h W_hn + b_hn, the hidden part of n before the reset gate.
  Vec hiddenN;
  Vec h, c;
};

/// One step of `r` (broken as `broken`) from the state in `s` on input `x`
/// [in]; fills the rest of `s`.
void cellForward(const Recurrent &r, Broken broken, const Weights &w,
                 const double *x, int64_t in, Step &s) {
  int64_t hd = r.hidden, gh = r.gates() * hd;
  Vec a(*w.bih), b(gh, 0.0);
  if (broken != Broken::NoHiddenBias)
    b = *w.bhh;
  for (int64_t k = 0; k < in; ++k)
    for (int64_t j = 0; j < gh; ++j)
      a[j] += x[k] * (*w.wih)[k * gh + j];
  for (int64_t k = 0; k < hd; ++k)
    for (int64_t j = 0; j < gh; ++j)
      b[j] += s.hPrev[k] * (*w.whh)[k * gh + j];
  // The column block of logical gate `g`.
  auto block = [&](int64_t g) {
    int64_t last = r.gates() - 1;
    if (last == 0)
      return g;
    if (broken == Broken::SwapFirstGates && g <= 1)
      return 1 - g;
    if (broken == Broken::SwapLastGates && g >= last - 1)
      return 2 * last - 1 - g;
    return g;
  };
  auto pre = [&](int64_t g, int64_t i) {
    return a[block(g) * hd + i] + b[block(g) * hd + i];
  };
  s.gate.assign(gh, 0.0);
  s.h.assign(hd, 0.0);
  s.c.assign(hd, 0.0);
  switch (r.cell) {
  case Cell::Rnn: {
    bool relu = r.relu != (broken == Broken::WrongActivation);
    for (int64_t i = 0; i < hd; ++i) {
      double z = pre(0, i);
      s.h[i] = s.gate[i] = relu ? std::max(0.0, z) : std::tanh(z);
    }
    break;
  }
  case Cell::Lstm:
    for (int64_t i = 0; i < hd; ++i) {
      double ig = sigmoid(pre(0, i)), fg = sigmoid(pre(1, i));
      double gg = std::tanh(pre(2, i)), og = sigmoid(pre(3, i));
      s.gate[i] = ig;
      s.gate[hd + i] = fg;
      s.gate[2 * hd + i] = gg;
      s.gate[3 * hd + i] = og;
      s.c[i] = fg * s.cPrev[i] + ig * gg;
      s.h[i] = og * (broken == Broken::LstmCellNotSquashed ? s.c[i]
                                                           : std::tanh(s.c[i]));
    }
    break;
  case Cell::Gru: {
    Vec rg(hd), zg(hd);
    for (int64_t i = 0; i < hd; ++i) {
      rg[i] = sigmoid(pre(0, i));
      zg[i] = sigmoid(pre(1, i));
    }
    s.hiddenN.assign(hd, 0.0);
    for (int64_t i = 0; i < hd; ++i)
      s.hiddenN[i] = b[block(2) * hd + i];
    if (broken == Broken::GruResetBeforeMatmul) {
      for (int64_t i = 0; i < hd; ++i) {
        double acc = (*w.bhh)[block(2) * hd + i];
        for (int64_t k = 0; k < hd; ++k)
          acc += rg[k] * s.hPrev[k] * (*w.whh)[k * gh + block(2) * hd + i];
        s.hiddenN[i] = acc;
      }
    }
    for (int64_t i = 0; i < hd; ++i) {
      double n = broken == Broken::GruResetBeforeMatmul
                     ? std::tanh(a[block(2) * hd + i] + s.hiddenN[i])
                     : std::tanh(a[block(2) * hd + i] + rg[i] * s.hiddenN[i]);
      s.gate[i] = rg[i];
      s.gate[hd + i] = zg[i];
      s.gate[2 * hd + i] = n;
      s.h[i] = broken == Broken::GruInterpolationSwapped
                   ? zg[i] * n + (1 - zg[i]) * s.hPrev[i]
                   : (1 - zg[i]) * n + zg[i] * s.hPrev[i];
    }
    break;
  }
  }
}

/// The reverse pass of one step of the correct cell: from dL/dh' and dL/dc'
/// to dL/d(x W_ih + b_ih) (`da`), dL/d(h W_hh + b_hh) (`db`), and the direct
/// parts of dL/dh and dL/dc (the path through W_hh is the caller's).
void cellBackward(const Recurrent &r, const Step &s, const Vec &dh,
                  const Vec &dc, Vec &da, Vec &db, Vec &dhPrev, Vec &dcPrev) {
  int64_t hd = r.hidden, gh = r.gates() * hd;
  da.assign(gh, 0.0);
  db.assign(gh, 0.0);
  dhPrev.assign(hd, 0.0);
  dcPrev.assign(hd, 0.0);
  switch (r.cell) {
  case Cell::Rnn:
    for (int64_t i = 0; i < hd; ++i) {
      double h = s.gate[i];
      double dz = dh[i] * (r.relu ? (h > 0 ? 1.0 : 0.0) : 1 - h * h);
      da[i] = db[i] = dz;
    }
    break;
  case Cell::Lstm:
    for (int64_t i = 0; i < hd; ++i) {
      double ig = s.gate[i], fg = s.gate[hd + i];
      double gg = s.gate[2 * hd + i], og = s.gate[3 * hd + i];
      double tc = std::tanh(s.c[i]);
      double dcTotal = dc[i] + dh[i] * og * (1 - tc * tc);
      double dz[4] = {dcTotal * gg * ig * (1 - ig),
                      dcTotal * s.cPrev[i] * fg * (1 - fg),
                      dcTotal * ig * (1 - gg * gg), dh[i] * tc * og * (1 - og)};
      for (int64_t g = 0; g < 4; ++g)
        da[g * hd + i] = db[g * hd + i] = dz[g];
      dcPrev[i] = dcTotal * fg;
    }
    break;
  case Cell::Gru:
    for (int64_t i = 0; i < hd; ++i) {
      double rg = s.gate[i], zg = s.gate[hd + i], n = s.gate[2 * hd + i];
      double dn = dh[i] * (1 - zg) * (1 - n * n);
      double dz = dh[i] * (s.hPrev[i] - n) * zg * (1 - zg);
      double dr = dn * s.hiddenN[i] * rg * (1 - rg);
      da[i] = db[i] = dr;
      da[hd + i] = db[hd + i] = dz;
      da[2 * hd + i] = dn;
      db[2 * hd + i] = dn * rg;
      dhPrev[i] = dh[i] * zg;
    }
    break;
  }
}

//===----------------------------------------------------------------------===//
// Reference: a recurrent call, the model
//===----------------------------------------------------------------------===//

/// What one recurrent call on one example leaves for its reverse pass.
struct CallTrace {
  std::vector<Vec> inputs; // each layer's input [T, in]
  std::vector<std::vector<std::vector<Step>>> steps; // [layer][direction]
};

/// What one example leaves for its reverse pass.
struct ExampleTrace {
  Vec x, in; // the input [T * F] and the first call's input [T, F]
  Vec h0, c0;
  std::vector<CallTrace> calls;
};

std::string suffixOf(int64_t layer, int64_t direction) {
  return "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
}

Weights weightsOf(const Params &p, const std::string &prefix, int64_t layer,
                  int64_t direction) {
  std::string s = suffixOf(layer, direction);
  return {&p.at(prefix + ".weight_ih" + s), &p.at(prefix + ".weight_hh" + s),
          &p.at(prefix + ".bias_ih" + s), &p.at(prefix + ".bias_hh" + s)};
}

/// Call `r` on `in` [T, F]; h0 / c0 empty for zero states.
Vec callForward(const Recurrent &r, Broken broken, const Params &p,
                const std::string &prefix, const Vec &in, int64_t steps,
                int64_t features, const Vec &h0, const Vec &c0,
                CallTrace &trace) {
  int64_t hd = r.hidden, dirs = r.directions(), width = r.width();
  Vec seq = in;
  int64_t feat = features;
  trace.inputs.clear();
  trace.steps.assign(r.layers, {});
  // The column of direction d in the concatenated features.
  auto column = [&](int64_t d) {
    return (broken == Broken::SwapConcat ? dirs - 1 - d : d) * hd;
  };
  for (int64_t l = 0; l < r.layers; ++l) {
    trace.inputs.push_back(seq);
    Vec next(steps * width, kNaN);
    for (int64_t d = 0; d < dirs; ++d) {
      Weights w = weightsOf(p, prefix, l, d);
      bool backwards = d == 1 && broken != Broken::ReverseRunsForward;
      std::vector<Step> &out = trace.steps[l].emplace_back();
      Vec h = h0.empty() ? Vec(hd, 0.0) : h0;
      Vec c = c0.empty() ? Vec(hd, 0.0) : c0;
      for (int64_t i = 0; i < steps; ++i) {
        Step s;
        s.t = backwards ? steps - 1 - i : i;
        s.hPrev = h;
        s.cPrev = c;
        cellForward(r, broken, w, &seq[s.t * feat], feat, s);
        h = s.h;
        c = s.c;
        for (int64_t j = 0; j < hd; ++j)
          next[s.t * width + column(d) + j] = s.h[j];
        out.push_back(std::move(s));
      }
    }
    seq = std::move(next);
    feat = width;
  }
  if (r.sequence)
    return seq;
  // The state after each direction's last step: t = T-1 forwards, t = 0
  // backwards.
  Vec last(width);
  for (int64_t d = 0; d < dirs; ++d) {
    const std::vector<Step> &s = trace.steps[r.layers - 1][d];
    const Step &final =
        d == 1 && broken == Broken::ReverseLastAtEnd ? s.front() : s.back();
    for (int64_t j = 0; j < hd; ++j)
      last[column(d) + j] = final.h[j];
  }
  return last;
}

/// The reverse pass of a correct call: accumulates parameter gradients into
/// `grads`, returns dL/d(input) [T, F] and sets dL/dh0, dL/dc0.
Vec callBackward(const Recurrent &r, const Params &p, const std::string &prefix,
                 const CallTrace &trace, const Vec &dOut, int64_t steps,
                 int64_t features, Params &grads, Vec &dh0, Vec &dc0) {
  int64_t hd = r.hidden, dirs = r.directions(), width = r.width();
  int64_t gh = r.gates() * hd;
  Vec dseq(steps * width, 0.0);
  if (r.sequence) {
    dseq = dOut;
  } else {
    for (int64_t d = 0; d < dirs; ++d) {
      int64_t t = trace.steps[r.layers - 1][d].back().t;
      for (int64_t j = 0; j < hd; ++j)
        dseq[t * width + d * hd + j] += dOut[d * hd + j];
    }
  }
  for (int64_t l = r.layers - 1; l >= 0; --l) {
    int64_t feat = l == 0 ? features : width;
    const Vec &in = trace.inputs[l];
    Vec din(steps * feat, 0.0);
    for (int64_t d = 0; d < dirs; ++d) {
      Weights w = weightsOf(p, prefix, l, d);
      std::string s = suffixOf(l, d);
      Vec &gwih = grads.at(prefix + ".weight_ih" + s);
      Vec &gwhh = grads.at(prefix + ".weight_hh" + s);
      Vec &gbih = grads.at(prefix + ".bias_ih" + s);
      Vec &gbhh = grads.at(prefix + ".bias_hh" + s);
      const std::vector<Step> &stepList = trace.steps[l][d];
      Vec dhNext(hd, 0.0), dcNext(hd, 0.0), dh(hd), da, db, dhPrev, dcPrev;
      for (auto it = stepList.rbegin(); it != stepList.rend(); ++it) {
        const Step &st = *it;
        for (int64_t j = 0; j < hd; ++j)
          dh[j] = dseq[st.t * width + d * hd + j] + dhNext[j];
        cellBackward(r, st, dh, dcNext, da, db, dhPrev, dcPrev);
        for (int64_t k = 0; k < feat; ++k)
          for (int64_t j = 0; j < gh; ++j) {
            gwih[k * gh + j] += in[st.t * feat + k] * da[j];
            din[st.t * feat + k] += (*w.wih)[k * gh + j] * da[j];
          }
        for (int64_t k = 0; k < hd; ++k)
          for (int64_t j = 0; j < gh; ++j) {
            gwhh[k * gh + j] += st.hPrev[k] * db[j];
            dhPrev[k] += (*w.whh)[k * gh + j] * db[j];
          }
        for (int64_t j = 0; j < gh; ++j) {
          gbih[j] += da[j];
          gbhh[j] += db[j];
        }
        dhNext = dhPrev;
        dcNext = dcPrev;
      }
      if (l == 0 && d == 0) {
        dh0 = dhNext;
        dc0 = dcNext;
      }
    }
    dseq = std::move(din);
  }
  return dseq;
}

/// x [in] times w [in, out] plus b.
Vec dense(const Vec &x, const Vec &w, const Vec &b) {
  int64_t out = b.size();
  Vec y = b;
  for (size_t k = 0; k < x.size(); ++k)
    for (int64_t j = 0; j < out; ++j)
      y[j] += x[k] * w[k * out + j];
  return y;
}

/// Accumulates dL/dw and dL/db of dense(x, w, b) from dL/dy.
void denseBackward(const Vec &x, const Vec &dy, Vec &dw, Vec &db) {
  int64_t out = dy.size();
  for (size_t k = 0; k < x.size(); ++k)
    for (int64_t j = 0; j < out; ++j)
      dw[k * out + j] += x[k] * dy[j];
  for (int64_t j = 0; j < out; ++j)
    db[j] += dy[j];
}

/// The model on one example [T * F].
Vec exampleForward(const Case &c, Broken broken, const Params &p,
                   const double *x, ExampleTrace &trace) {
  trace.x.assign(x, x + c.flat());
  trace.in =
      c.front ? dense(trace.x, p.at("y.weight"), p.at("y.bias")) : trace.x;
  trace.h0.clear();
  trace.c0.clear();
  if (c.init != Init::Zero) {
    trace.h0 = dense(trace.x, p.at("hinit.weight"), p.at("hinit.bias"));
    for (double &v : trace.h0)
      v = std::tanh(v);
  }
  if (c.init == Init::HiddenAndCell)
    trace.c0 = dense(trace.x, p.at("cinit.weight"), p.at("cinit.bias"));
  Vec h0 = trace.h0, c0 = trace.c0;
  if (broken == Broken::SwapInitialStates)
    std::swap(h0, c0);
  if (broken == Broken::ZeroInitialState)
    h0.clear(), c0.clear();
  trace.calls.assign(c.chain.size(), {});
  Vec seq = trace.in;
  int64_t feat = c.features;
  for (size_t i = 0; i < c.chain.size(); ++i) {
    seq = callForward(c.chain[i], broken, p, c.prefix(i), seq, c.steps, feat,
                      i == 0 ? h0 : Vec(), i == 0 ? c0 : Vec(), trace.calls[i]);
    feat = c.chain[i].width();
  }
  return seq;
}

/// The reverse pass of one example of the correct model.
void exampleBackward(const Case &c, const Params &p, const ExampleTrace &trace,
                     const Vec &dOut, Params &grads) {
  Vec dseq = dOut, dh0, dc0;
  for (size_t i = c.chain.size(); i-- > 0;) {
    int64_t feat = i == 0 ? c.features : c.chain[i - 1].width();
    dseq = callBackward(c.chain[i], p, c.prefix(i), trace.calls[i], dseq,
                        c.steps, feat, grads, dh0, dc0);
  }
  if (c.front)
    denseBackward(trace.x, dseq, grads.at("y.weight"), grads.at("y.bias"));
  if (c.init != Init::Zero) {
    for (size_t j = 0; j < dh0.size(); ++j)
      dh0[j] *= 1 - trace.h0[j] * trace.h0[j];
    denseBackward(trace.x, dh0, grads.at("hinit.weight"),
                  grads.at("hinit.bias"));
  }
  if (c.init == Init::HiddenAndCell)
    denseBackward(trace.x, dc0, grads.at("cinit.weight"),
                  grads.at("cinit.bias"));
}

/// What the reference computes for one batch.
struct Reference {
  Vec y;
  double loss;
  Params grads; // only for the correct reference
};

Reference reference(const Case &c, Broken broken, const Params &p, const Vec &x,
                    const Vec &targets, int64_t batch, bool withGrads) {
  Reference r;
  std::vector<ExampleTrace> traces(batch);
  for (int64_t n = 0; n < batch; ++n) {
    Vec out = exampleForward(c, broken, p, &x[n * c.flat()], traces[n]);
    r.y.insert(r.y.end(), out.begin(), out.end());
  }
  Vec dy;
  r.loss = mseLoss(r.y, targets, dy);
  if (!withGrads)
    return r;
  for (auto &[name, value] : p)
    r.grads[name].assign(value.size(), 0.0);
  int64_t out = c.outSize();
  for (int64_t n = 0; n < batch; ++n)
    exampleBackward(c, p, traces[n],
                    Vec(dy.begin() + n * out, dy.begin() + (n + 1) * out),
                    r.grads);
  return r;
}

/// dL/dp of (possibly broken) reference by central differences at steps h
/// and h/2, Richardson-extrapolated: error O(h^4) plus rounding, about 1e-11
/// here.
Params finiteDifferences(const Case &c, Broken broken, const Params &p,
                         const Vec &x, const Vec &targets, int64_t batch) {
  constexpr double h = 1e-4;
  Params q = p, grads;
  auto loss = [&] {
    return reference(c, broken, q, x, targets, batch, false).loss;
  };
  for (const auto &entry : p) {
    const Vec &value = entry.second;
    Vec &g = grads[entry.first], &v = q.at(entry.first);
    g.resize(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      auto central = [&](double step) {
        v[i] = value[i] + step;
        double up = loss();
        v[i] = value[i] - step;
        double down = loss();
        v[i] = value[i];
        return (up - down) / (2 * step);
      };
      g[i] = (4 * central(h / 2) - central(h)) / 3;
    }
  }
  return grads;
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

/// `name`: `chain` on [steps, features] behind the front layer, zero
/// initial states, in the shared -O0 source.
Case makeCase(const char *name, int64_t steps, int64_t features,
              std::vector<Recurrent> chain, Broken broken) {
  return {name, steps, features, true, Init::Zero, std::move(chain), broken};
}

const Case kCases[] = {
    // rnn
    makeCase("RnnTanhLast", 7, 5, {rnn(3)}, Broken::NoHiddenBias).optimized(),
    makeCase("RnnReluSequence", 3, 1, {rnn(7).withRelu().seq()},
             Broken::WrongActivation),
    makeCase("RnnTanhBidirectional", 7, 5, {rnn(3).bidi()},
             Broken::ReverseLastAtEnd)
        .withoutFront(),
    makeCase("RnnReluStackedBidirectional", 3, 5,
             {rnn(3).withRelu().stacked(2).bidi().seq()}, Broken::SwapConcat)
        .optimized(),
    // A single step from h0: weight_hh still gets a gradient.
    makeCase("RnnInitialState", 1, 5, {rnn(3).withRelu().seq()},
             Broken::ZeroInitialState)
        .withInit(Init::Hidden),
    // gru
    makeCase("GruLast", 7, 5, {gru(7)}, Broken::GruResetBeforeMatmul),
    makeCase("GruSequence", 7, 1, {gru(3).seq()},
             Broken::GruInterpolationSwapped),
    makeCase("GruSequenceBidirectional", 3, 5, {gru(7).bidi().seq()},
             Broken::ReverseRunsForward)
        .optimized(),
    makeCase("GruStacked", 7, 1, {gru(3).stacked(2)}, Broken::SwapFirstGates),
    makeCase("GruInitialState", 3, 5, {gru(7)}, Broken::ZeroInitialState)
        .withInit(Init::Hidden),
    // lstm
    makeCase("LstmLast", 7, 5, {lstm(7)}, Broken::LstmCellNotSquashed),
    makeCase("LstmSequence", 3, 1, {lstm(3).seq()}, Broken::SwapLastGates),
    makeCase("LstmSequenceBidirectional", 7, 5, {lstm(3).bidi().seq()},
             Broken::ReverseRunsForward)
        .optimized(),
    makeCase("LstmLastBidirectional", 3, 1, {lstm(7).bidi()},
             Broken::ReverseLastAtEnd),
    makeCase("LstmStackedBidirectional", 7, 5, {lstm(3).stacked(2).bidi()},
             Broken::SwapFirstGates),
    makeCase("LstmInitialState", 7, 5, {lstm(3).seq()},
             Broken::SwapInitialStates)
        .withInit(Init::HiddenAndCell)
        .optimized(),
    // One step, one unit, straight from the input.
    makeCase("LstmSingleStep", 1, 1, {lstm(1).bidi()}, Broken::NoHiddenBias)
        .withoutFront(),
    // The input gradient of the lstm reaches the front through the gru.
    makeCase("GruIntoLstm", 7, 1, {gru(5).seq(), lstm(3).bidi()},
             Broken::SwapConcat),
};

/// The source `c` is compiled from: alone at -O2, or with every other
/// unoptimized case at -O0 (one compilation for all of them).
std::string sourceOf(const Case &c) {
  if (c.fullPipeline)
    return c.source();
  std::string s;
  for (const Case &other : kCases)
    if (!other.fullPipeline)
      s += other.source() + "\n";
  return s;
}

const Case &caseNamed(const std::string &name) {
  for (const Case &c : kCases)
    if (name == c.name)
      return c;
  ADD_FAILURE() << "no case " << name;
  return kCases[0];
}

/// Random parameters for the reference alone, by name.
Params randomParams(const Case &c, std::mt19937 &rng) {
  Params p;
  for (auto &[name, shape] : c.params()) {
    int64_t size = 1;
    for (int64_t d : shape)
      size *= d;
    p[name] = randomVec(size, rng, -0.5, 0.5);
  }
  return p;
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

/// Forward, loss and every parameter gradient of `c` at batch 1 and 3, and
/// the same against its broken reference, which must disagree.
void checkCase(const Case &c) {
  for (int64_t batch : {1, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    auto model = Model::get(sourceOf(c), c.name, c.fullPipeline ? 2 : 0);
    ASSERT_TRUE(model);

    // The descriptor: PyTorch's names, in order, weights as [in, out].
    auto expected = c.params();
    const auto &got = model->info().params;
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(got[i].name, expected[i].first);
      EXPECT_EQ(std::vector<int64_t>(got[i].shape.begin(), got[i].shape.end()),
                expected[i].second)
          << expected[i].first;
    }
    ASSERT_EQ(std::vector<int64_t>(model->info().output.shape.begin(),
                                   model->info().output.shape.end()),
              c.outShape());

    std::mt19937 rng(seedOf(c.name, batch));
    Vec buffer = model->randomParams(rng);
    Params p;
    for (auto &[name, shape] : expected)
      p[name] = model->read(buffer, name);
    Vec x = randomVec(batch * c.flat(), rng);
    Vec targets = randomVec(batch * c.outSize(), rng);

    Vec out = model->forward(buffer, x, batch);
    Vec grads;
    double loss = model->gradient(buffer, grads, /*seed=*/1, x, targets, batch);

    Reference ref = reference(c, Broken::None, p, x, targets, batch, true);
    EXPECT_TRUE(matches(out, ref.y, kForwardTol)) << "forward";
    EXPECT_TRUE(matches({loss}, {ref.loss}, kForwardTol)) << "loss";
    for (auto &[name, shape] : expected)
      EXPECT_TRUE(matches(model->read(grads, name), ref.grads.at(name),
                          kGradTol, kZeroFloor))
          << "gradient of " << name;

    Reference bad = reference(c, c.broken, p, x, targets, batch, false);
    EXPECT_FALSE(matches(out, bad.y, kForwardTol))
        << "forward agrees with a broken reference";
    Params badGrads = finiteDifferences(c, c.broken, p, x, targets, batch);
    bool all = true;
    for (auto &[name, shape] : expected)
      all &= bool(matches(model->read(grads, name), badGrads.at(name), kGradTol,
                          kZeroFloor));
    EXPECT_FALSE(all) << "gradients agree with a broken reference";
  }
}

// One test per case, named after it.
#define RECURRENT_CASE(Name)                                                   \
  TEST(RecurrentReferenceTest, Name) { checkCase(caseNamed(#Name)); }
RECURRENT_CASE(RnnTanhLast)
RECURRENT_CASE(RnnReluSequence)
RECURRENT_CASE(RnnTanhBidirectional)
RECURRENT_CASE(RnnReluStackedBidirectional)
RECURRENT_CASE(RnnInitialState)
RECURRENT_CASE(GruLast)
RECURRENT_CASE(GruSequence)
RECURRENT_CASE(GruSequenceBidirectional)
RECURRENT_CASE(GruStacked)
RECURRENT_CASE(GruInitialState)
RECURRENT_CASE(LstmLast)
RECURRENT_CASE(LstmSequence)
RECURRENT_CASE(LstmSequenceBidirectional)
RECURRENT_CASE(LstmLastBidirectional)
RECURRENT_CASE(LstmStackedBidirectional)
RECURRENT_CASE(LstmInitialState)
RECURRENT_CASE(LstmSingleStep)
RECURRENT_CASE(GruIntoLstm)
#undef RECURRENT_CASE

/// The hand-written reverse pass agrees with finite differences of the
/// reference's own forward, for every case: the reference is self-consistent
/// before it judges the compiler.
TEST(RecurrentReferenceTest, ReferenceBackwardMatchesFiniteDifferences) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(c.name);
    std::mt19937 rng(seedOf(c.name, 0));
    Params p = randomParams(c, rng);
    int64_t batch = 2;
    Vec x = randomVec(batch * c.flat(), rng);
    Vec targets = randomVec(batch * c.outSize(), rng);
    Reference ref = reference(c, Broken::None, p, x, targets, batch, true);
    Params fd = finiteDifferences(c, Broken::None, p, x, targets, batch);
    for (auto &[name, g] : fd)
      EXPECT_TRUE(
          matches(ref.grads.at(name), g, kFiniteDiffTol, kFiniteDiffFloor))
          << "gradient of " << name;
  }
}

} // namespace
