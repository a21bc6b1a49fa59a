// One recurrent layer (one direction) of an LSTM, a GRU or a tanh RNN on
// oneDNN's fused RNN primitives (`lstm`, `lbr_gru`, `vanilla_rnn` with tanh),
// forward_training and backward, as a libtorch autograd function.
//
// libtorch runs only its CPU LSTM on oneDNN (its own copy, linked statically
// with hidden symbols); rnnbench links a oneDNN of its own (the pinned PyPI
// build set up by scripts/setup-onednn) so that all three cells run on the
// same library version. Compiled with RNNBENCH_ONEDNN defined only when that
// oneDNN is present; otherwise every entry point reports it is missing.
//
// Layouts. PyTorch keeps per layer and direction `w_ih` [G*H, C], `w_hh`
// [G*H, H], `b_ih` and `b_hh` [G*H], gate blocks stacked (LSTM i f g o,
// GRU r z n). That is oneDNN's `ldgoi` ([1, 1, K, G, H], input index
// innermost), which the primitives take as user weights: the LSTM's and the
// RNN's without a copy, the GRU's with its gate blocks moved to oneDNN's
// order z r n. oneDNN wants one bias `ldgo` [1, 1, G', H]: LSTM and RNN the
// sum b_ih + b_hh (G' = G); the linear-before-reset GRU four blocks, in
// oneDNN's gate order z r n: b_iz + b_hz, b_ir + b_hr, b_in, b_hn (G' = 4).
// The summed bias's gradient is each of its two parts' gradient.
//
// How the primitives are driven (measured with ONEDNN_VERBOSE on oneDNN 3.2,
// `ref` RNN implementation, against libtorch 2.11's own oneDNN 3.10 LSTM):
// - the layer's input and output are time-major (`tnc`), as libtorch passes
//   them; rnnbench used to pass `ntc`. The Rust side keeps [N, T, *] shapes:
//   the outputs (and the input's gradient) are [N, T, *] tensors whose memory
//   is time-major, so a stacked layer takes its predecessor's output without
//   a copy; a batch-major input is copied once.
// - the weights go to oneDNN in PyTorch's own layout (`ldgoi`). The forward
//   primitive asks for its own (`ldigo` with padded strides): one oneDNN
//   reorder per weight per forward. oneDNN 3.2's backward takes `ldgoi`, so
//   the backward reorders nothing; the diff weights come back through one
//   reorder each straight into PyTorch's layout. The tensors made for oneDNN
//   in the forward pass (time-major input, weights in oneDNN's gate order,
//   summed bias) are saved and reused by the backward.
// - primitives are made once per shape and thread count (plan_for); making
//   one costs ~0.2 ms (ONEDNN_VERBOSE=2), oneDNN's own cache aside.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#ifdef RNNBENCH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

// Cell codes shared with Rust (src/model/onednn.rs).
constexpr int kLstm = 0;
constexpr int kGru = 1;
constexpr int kRnn = 2;

thread_local std::string last_error;

int64_t gate_blocks(int cell) { return cell == kLstm ? 4 : (cell == kGru ? 3 : 1); }

// PyTorch's gate order -> oneDNN's (only the GRU differs: r z n -> z r n).
at::Tensor to_onednn_gates(const at::Tensor& blocks, int cell) {
  if (cell != kGru) return blocks;
  return at::cat({blocks.select(0, 1).unsqueeze(0), blocks.select(0, 0).unsqueeze(0),
                  blocks.select(0, 2).unsqueeze(0)},
                 0);
}

// `w` [G*H, K] (PyTorch) with its gate blocks in oneDNN's order, [G*H, K]
// contiguous: oneDNN's `ldgoi` ([1, 1, K, G, H] with the input index
// innermost), which the primitives take as user weights without a copy
// (for the LSTM and the RNN `w` itself when contiguous). Its own inverse.
at::Tensor weight_to_ldgoi(const at::Tensor& w, int cell) {
  if (cell != kGru) return w.contiguous();
  const int64_t g = gate_blocks(cell), rows = w.size(0), k = w.size(1);
  return to_onednn_gates(w.reshape({g, rows / g, k}), cell).reshape({rows, k}).contiguous();
}

// `w` [G*H, K] as oneDNN's logical ldigo tensor [K, G, H] (gate order
// converted): what the primitive reads through weight_to_ldgoi's layout.
at::Tensor weight_to_ldigo(const at::Tensor& w, int cell, int64_t hidden) {
  const int64_t g = gate_blocks(cell);
  return weight_to_ldgoi(w, cell).reshape({g, hidden, w.size(1)}).permute({2, 0, 1}).contiguous();
}

// The inverse of weight_to_ldigo: [K, G, H] -> [G*H, K].
at::Tensor weight_from_ldigo(const at::Tensor& w, int cell) {
  const int64_t g = w.size(1), hidden = w.size(2);
  return weight_to_ldgoi(w.permute({1, 2, 0}).reshape({g * hidden, w.size(0)}), cell);
}

// oneDNN's one bias [G', H] from PyTorch's two.
at::Tensor bias_to_onednn(const at::Tensor& b_ih, const at::Tensor& b_hh, int cell,
                          int64_t hidden) {
  if (cell != kGru) {
    return (b_ih + b_hh).reshape({gate_blocks(cell), hidden}).contiguous();
  }
  auto i = b_ih.reshape({3, hidden});
  auto h = b_hh.reshape({3, hidden});
  return at::stack({i[1] + h[1], i[0] + h[0], i[2], h[2]}, 0).contiguous();
}

// The gradients of PyTorch's two biases from oneDNN's bias gradient [G', H].
std::pair<at::Tensor, at::Tensor> bias_grads(const at::Tensor& d, int cell) {
  if (cell != kGru) {
    auto flat = d.reshape({-1}).contiguous();
    return {flat, flat.clone()};
  }
  auto ih = at::cat({d[1], d[0], d[2]}, 0);
  auto hh = at::cat({d[1], d[0], d[3]}, 0);
  return {ih, hh};
}

#ifdef RNNBENCH_ONEDNN
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Everything oneDNN needs for one shape: descriptors and primitives, made
// once per (cell, T, N, C, H, training, threads) and reused.
struct Plan {
  int cell;
  bool training;
  memory::desc src_layer, src_iter, src_iter_c, weights_layer_user, weights_iter_user, bias,
      dst_layer, dst_iter, dst_iter_c;
  // Forward.
  memory::desc fwd_weights_layer, fwd_weights_iter, workspace;
  dnnl::primitive fwd;
  // Backward (training only).
  memory::desc bwd_weights_layer, bwd_weights_iter, bwd_diff_weights_layer,
      bwd_diff_weights_iter;
  dnnl::primitive bwd;
};

using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t, bool, int>;

memory::desc md(memory::dims dims, tag t) { return memory::desc(dims, dt::f32, t); }

std::shared_ptr<Plan> make_plan(int cell, int64_t T, int64_t N, int64_t C, int64_t H,
                                bool training) {
  auto& eng = cpu_engine();
  auto p = std::make_shared<Plan>();
  p->cell = cell;
  p->training = training;
  const int64_t g = gate_blocks(cell);
  const int64_t gb = cell == kGru ? 4 : g;
  // Time-major, as libtorch passes its own oneDNN LSTM: the layer's
  // activations then lie as oneDNN's workspace keeps them (see forward_impl).
  p->src_layer = md({T, N, C}, tag::tnc);
  p->dst_layer = md({T, N, H}, tag::tnc);
  p->src_iter = md({1, 1, N, H}, tag::ldnc);
  p->dst_iter = md({1, 1, N, H}, tag::ldnc);
  p->src_iter_c = md({1, 1, N, H}, tag::ldnc);
  p->dst_iter_c = md({1, 1, N, H}, tag::ldnc);
  // PyTorch's own [G*H, K] layout (weight_to_ldgoi).
  p->weights_layer_user = md({1, 1, C, g, H}, tag::ldgoi);
  p->weights_iter_user = md({1, 1, H, g, H}, tag::ldgoi);
  p->bias = md({1, 1, gb, H}, tag::ldgo);
  auto wl_any = md({1, 1, C, g, H}, tag::any);
  auto wi_any = md({1, 1, H, g, H}, tag::any);
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const auto dir = dnnl::rnn_direction::unidirectional_left2right;
  if (cell == kLstm) {
    dnnl::lstm_forward::primitive_desc fpd(eng, prop, dir, p->src_layer, p->src_iter,
                                           p->src_iter_c, wl_any, wi_any, p->bias, p->dst_layer,
                                           p->dst_iter, p->dst_iter_c);
    p->fwd_weights_layer = fpd.weights_layer_desc();
    p->fwd_weights_iter = fpd.weights_iter_desc();
    p->workspace = fpd.workspace_desc();
    p->fwd = dnnl::lstm_forward(fpd);
    if (training) {
      dnnl::lstm_backward::primitive_desc bpd(
          eng, dnnl::prop_kind::backward, dir, p->src_layer, p->src_iter, p->src_iter_c, wl_any,
          wi_any, p->bias, p->dst_layer, p->dst_iter, p->dst_iter_c, p->src_layer, p->src_iter,
          p->src_iter_c, wl_any, wi_any, p->bias, p->dst_layer, p->dst_iter, p->dst_iter_c, fpd);
      p->bwd_weights_layer = bpd.weights_layer_desc();
      p->bwd_weights_iter = bpd.weights_iter_desc();
      p->bwd_diff_weights_layer = bpd.diff_weights_layer_desc();
      p->bwd_diff_weights_iter = bpd.diff_weights_iter_desc();
      p->bwd = dnnl::lstm_backward(bpd);
    }
  } else if (cell == kGru) {
    dnnl::lbr_gru_forward::primitive_desc fpd(eng, prop, dir, p->src_layer, p->src_iter, wl_any,
                                              wi_any, p->bias, p->dst_layer, p->dst_iter);
    p->fwd_weights_layer = fpd.weights_layer_desc();
    p->fwd_weights_iter = fpd.weights_iter_desc();
    p->workspace = fpd.workspace_desc();
    p->fwd = dnnl::lbr_gru_forward(fpd);
    if (training) {
      dnnl::lbr_gru_backward::primitive_desc bpd(
          eng, dnnl::prop_kind::backward, dir, p->src_layer, p->src_iter, wl_any, wi_any,
          p->bias, p->dst_layer, p->dst_iter, p->src_layer, p->src_iter, wl_any, wi_any, p->bias,
          p->dst_layer, p->dst_iter, fpd);
      p->bwd_weights_layer = bpd.weights_layer_desc();
      p->bwd_weights_iter = bpd.weights_iter_desc();
      p->bwd_diff_weights_layer = bpd.diff_weights_layer_desc();
      p->bwd_diff_weights_iter = bpd.diff_weights_iter_desc();
      p->bwd = dnnl::lbr_gru_backward(bpd);
    }
  } else {
    const auto tanh = dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::primitive_desc fpd(eng, prop, tanh, dir, p->src_layer,
                                                  p->src_iter, wl_any, wi_any, p->bias,
                                                  p->dst_layer, p->dst_iter);
    p->fwd_weights_layer = fpd.weights_layer_desc();
    p->fwd_weights_iter = fpd.weights_iter_desc();
    p->workspace = fpd.workspace_desc();
    p->fwd = dnnl::vanilla_rnn_forward(fpd);
    if (training) {
      dnnl::vanilla_rnn_backward::primitive_desc bpd(
          eng, dnnl::prop_kind::backward, tanh, dir, p->src_layer, p->src_iter, wl_any, wi_any,
          p->bias, p->dst_layer, p->dst_iter, p->src_layer, p->src_iter, wl_any, wi_any, p->bias,
          p->dst_layer, p->dst_iter, fpd);
      p->bwd_weights_layer = bpd.weights_layer_desc();
      p->bwd_weights_iter = bpd.weights_iter_desc();
      p->bwd_diff_weights_layer = bpd.diff_weights_layer_desc();
      p->bwd_diff_weights_iter = bpd.diff_weights_iter_desc();
      p->bwd = dnnl::vanilla_rnn_backward(bpd);
    }
  }
  return p;
}

std::shared_ptr<Plan> plan_for(int cell, int64_t T, int64_t N, int64_t C, int64_t H,
                               bool training) {
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<Plan>> plans;
  const Key key{cell, T, N, C, H, training, at::get_num_threads()};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  auto plan = make_plan(cell, T, N, C, H, training);
  plans.emplace(key, plan);
  return plan;
}

memory wrap(const memory::desc& d, const at::Tensor& t) {
  return memory(d, cpu_engine(), t.data_ptr());
}

// A buffer for a memory of descriptor `d`, as a float tensor (zeroed when asked).
at::Tensor buffer(const memory::desc& d, bool zero) {
  const int64_t floats = static_cast<int64_t>((d.get_size() + 3) / 4);
  auto opts = at::TensorOptions().dtype(at::kFloat);
  return zero ? at::zeros({floats}, opts) : at::empty({floats}, opts);
}

// `user` (in `from`) reordered into a new buffer of `to`; `user` itself when
// the two agree.
at::Tensor reordered(const at::Tensor& user, const memory::desc& from, const memory::desc& to,
                     dnnl::stream& s) {
  if (from == to) return user;
  auto out = buffer(to, false);
  auto src = wrap(from, user);
  auto dst = wrap(to, out);
  dnnl::reorder(src, dst).execute(s, src, dst);
  return out;
}
#endif

// What a forward pass returns and leaves for its backward pass.
struct Forward {
  at::Tensor out;             // [N, T, H], time-major in memory (time_major_empty)
  at::Tensor hn, cn;          // [N, H]; cn only for the LSTM
  at::Tensor ws;              // oneDNN's workspace (training only)
  at::Tensor x;               // the input as [T, N, C] contiguous
  at::Tensor w_layer, w_iter;  // weight_to_ldgoi of w_ih and w_hh
  at::Tensor bias;            // bias_to_onednn
};

// An uninitialised [N, T, K] tensor whose memory is time-major ([T, N, K]
// contiguous, oneDNN's `tnc`): the layer writes its outputs and the input's
// gradient there, and the next stacked layer takes them without a copy.
at::Tensor time_major_empty(int64_t N, int64_t T, int64_t K, const at::TensorOptions& opts) {
  return at::empty_strided({N, T, K}, {K, N * K, 1}, opts);
}

// `x` [N, T, K] as a contiguous [T, N, K]: a copy, unless `x` is already
// time-major in memory (an earlier layer's output).
at::Tensor time_major(const at::Tensor& x) { return x.transpose(0, 1).contiguous(); }

#ifdef RNNBENCH_ONEDNN
// The weights in the layout `to` (the forward or backward primitive's
// choice) from their `ldgoi` tensors: no copy when the primitive takes
// `ldgoi` (oneDNN 3.2's backward does), else one oneDNN reorder.
std::pair<at::Tensor, at::Tensor> weights_for(const Forward& f, const Plan& plan,
                                              const memory::desc& layer,
                                              const memory::desc& iter, dnnl::stream& s) {
  return {reordered(f.w_layer, plan.weights_layer_user, layer, s),
          reordered(f.w_iter, plan.weights_iter_user, iter, s)};
}
#endif

// Runs the forward pass of one layer (`x` [N, T, C], the state [N, H]).
Forward forward_impl(int cell, const at::Tensor& x, const at::Tensor& h0, const at::Tensor& c0,
                     const at::Tensor& w_ih, const at::Tensor& w_hh, const at::Tensor& b_ih,
                     const at::Tensor& b_hh, bool training) {
#ifdef RNNBENCH_ONEDNN
  const int64_t N = x.size(0), T = x.size(1), C = x.size(2), H = w_hh.size(1);
  auto plan = plan_for(cell, T, N, C, H, training);
  dnnl::stream s(cpu_engine());
  Forward f;
  f.x = time_major(x);
  f.w_layer = weight_to_ldgoi(w_ih, cell);
  f.w_iter = weight_to_ldgoi(w_hh, cell);
  f.bias = bias_to_onednn(b_ih, b_hh, cell, H);
  auto [wl, wi] = weights_for(f, *plan, plan->fwd_weights_layer, plan->fwd_weights_iter, s);
  auto opts = x.options();
  f.out = time_major_empty(N, T, H, opts);
  f.hn = at::empty({N, H}, opts);
  auto h0c = h0.contiguous();
  at::Tensor c0c;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, wrap(plan->src_layer, f.x)},
      {DNNL_ARG_SRC_ITER, wrap(plan->src_iter, h0c)},
      {DNNL_ARG_WEIGHTS_LAYER, wrap(plan->fwd_weights_layer, wl)},
      {DNNL_ARG_WEIGHTS_ITER, wrap(plan->fwd_weights_iter, wi)},
      {DNNL_ARG_BIAS, wrap(plan->bias, f.bias)},
      {DNNL_ARG_DST_LAYER, wrap(plan->dst_layer, f.out)},
      {DNNL_ARG_DST_ITER, wrap(plan->dst_iter, f.hn)}};
  if (cell == kLstm) {
    c0c = c0.contiguous();
    f.cn = at::empty({N, H}, opts);
    args.emplace(DNNL_ARG_SRC_ITER_C, wrap(plan->src_iter_c, c0c));
    args.emplace(DNNL_ARG_DST_ITER_C, wrap(plan->dst_iter_c, f.cn));
  }
  if (training) {
    f.ws = buffer(plan->workspace, false);
    args.emplace(DNNL_ARG_WORKSPACE, wrap(plan->workspace, f.ws));
  }
  plan->fwd.execute(s, args);
  s.wait();
  return f;
#else
  (void)cell; (void)x; (void)h0; (void)c0; (void)w_ih; (void)w_hh; (void)b_ih; (void)b_hh;
  (void)training;
  throw std::runtime_error("rnnbench was built without oneDNN (run scripts/setup-onednn, then rebuild)");
#endif
}

#ifdef RNNBENCH_ONEDNN
// The weight gradients from oneDNN's layout `from` to PyTorch's [G*H, K]
// (through `ldgoi`, gate order converted back).
at::Tensor weight_grad(const at::Tensor& d, const memory::desc& from,
                       const memory::desc& user, int cell, int64_t rows, int64_t k,
                       dnnl::stream& s) {
  auto out = at::empty({rows, k}, at::TensorOptions().dtype(at::kFloat));
  auto src = wrap(from, d);
  auto dst = wrap(user, out);
  dnnl::reorder(src, dst).execute(s, src, dst);
  s.wait();
  return weight_to_ldgoi(out, cell);
}
#endif

// Gradients {x, h0, c0, w_ih, w_hh, b_ih, b_hh} of the forward pass `f`
// from `h0`, `c0` and the upstream gradients (each may be undefined: zero).
std::vector<at::Tensor> backward_impl(int cell, const Forward& f, const at::Tensor& h0,
                                      const at::Tensor& c0, at::Tensor d_out, at::Tensor d_hn,
                                      at::Tensor d_cn) {
#ifdef RNNBENCH_ONEDNN
  const int64_t T = f.x.size(0), N = f.x.size(1), C = f.x.size(2), H = f.hn.size(1);
  auto plan = plan_for(cell, T, N, C, H, true);
  dnnl::stream s(cpu_engine());
  auto opts = f.x.options();
  d_out = d_out.defined() ? time_major(d_out) : at::zeros({T, N, H}, opts);
  d_hn = d_hn.defined() ? d_hn.contiguous() : at::zeros({N, H}, opts);
  auto [wl, wi] = weights_for(f, *plan, plan->bwd_weights_layer, plan->bwd_weights_iter, s);
  auto dx = time_major_empty(N, T, C, opts);
  auto dh0 = at::empty({N, H}, opts);
  // Weight and bias gradients accumulate in oneDNN: start from zero.
  auto dwl = buffer(plan->bwd_diff_weights_layer, true);
  auto dwi = buffer(plan->bwd_diff_weights_iter, true);
  auto db = at::zeros({plan->bias.get_dims()[2], H}, opts);
  auto h0c = h0.contiguous();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, wrap(plan->src_layer, f.x)},
      {DNNL_ARG_SRC_ITER, wrap(plan->src_iter, h0c)},
      {DNNL_ARG_WEIGHTS_LAYER, wrap(plan->bwd_weights_layer, wl)},
      {DNNL_ARG_WEIGHTS_ITER, wrap(plan->bwd_weights_iter, wi)},
      {DNNL_ARG_BIAS, wrap(plan->bias, f.bias)},
      {DNNL_ARG_DST_LAYER, wrap(plan->dst_layer, f.out)},
      {DNNL_ARG_DST_ITER, wrap(plan->dst_iter, f.hn)},
      {DNNL_ARG_WORKSPACE, wrap(plan->workspace, f.ws)},
      {DNNL_ARG_DIFF_SRC_LAYER, wrap(plan->src_layer, dx)},
      {DNNL_ARG_DIFF_SRC_ITER, wrap(plan->src_iter, dh0)},
      {DNNL_ARG_DIFF_WEIGHTS_LAYER, wrap(plan->bwd_diff_weights_layer, dwl)},
      {DNNL_ARG_DIFF_WEIGHTS_ITER, wrap(plan->bwd_diff_weights_iter, dwi)},
      {DNNL_ARG_DIFF_BIAS, wrap(plan->bias, db)},
      {DNNL_ARG_DIFF_DST_LAYER, wrap(plan->dst_layer, d_out)},
      {DNNL_ARG_DIFF_DST_ITER, wrap(plan->dst_iter, d_hn)}};
  at::Tensor c0c, dc0;
  if (cell == kLstm) {
    d_cn = d_cn.defined() ? d_cn.contiguous() : at::zeros({N, H}, opts);
    c0c = c0.contiguous();
    dc0 = at::empty({N, H}, opts);
    args.emplace(DNNL_ARG_SRC_ITER_C, wrap(plan->src_iter_c, c0c));
    args.emplace(DNNL_ARG_DST_ITER_C, wrap(plan->dst_iter_c, f.cn));
    args.emplace(DNNL_ARG_DIFF_SRC_ITER_C, wrap(plan->src_iter_c, dc0));
    args.emplace(DNNL_ARG_DIFF_DST_ITER_C, wrap(plan->dst_iter_c, d_cn));
  }
  plan->bwd.execute(s, args);
  const int64_t rows = gate_blocks(cell) * H;
  auto dw_ih = weight_grad(dwl, plan->bwd_diff_weights_layer, plan->weights_layer_user, cell,
                           rows, C, s);
  auto dw_hh = weight_grad(dwi, plan->bwd_diff_weights_iter, plan->weights_iter_user, cell,
                           rows, H, s);
  auto [db_ih, db_hh] = bias_grads(db, cell);
  return {dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh};
#else
  (void)cell; (void)f; (void)h0; (void)c0; (void)d_out; (void)d_hn; (void)d_cn;
  throw std::runtime_error("rnnbench was built without oneDNN");
#endif
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layer as an autograd function. Saved for backward: the outputs and
// the initial state (save_for_backward), and the tensors made for oneDNN
// in the forward pass, reused as they are (saved_data): the time-major
// input, the weights in oneDNN's gate order, the summed bias, the workspace.
struct OnednnLayer : public torch::autograd::Function<OnednnLayer> {
  static variable_list forward(AutogradContext* ctx, int64_t cell, const at::Tensor& x,
                               const at::Tensor& h0, const at::Tensor& c0,
                               const at::Tensor& w_ih, const at::Tensor& w_hh,
                               const at::Tensor& b_ih, const at::Tensor& b_hh) {
    auto f = forward_impl(static_cast<int>(cell), x, h0, c0, w_ih, w_hh, b_ih, b_hh, true);
    ctx->saved_data["cell"] = cell;
    ctx->saved_data["ws"] = f.ws;
    ctx->saved_data["x"] = f.x;
    ctx->saved_data["w_layer"] = f.w_layer;
    ctx->saved_data["w_iter"] = f.w_iter;
    ctx->saved_data["bias"] = f.bias;
    if (cell == kLstm) {
      ctx->save_for_backward({h0, c0, f.out, f.hn, f.cn});
      return {f.out, f.hn, f.cn};
    }
    ctx->save_for_backward({h0, f.out, f.hn});
    return {f.out, f.hn};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const int cell = static_cast<int>(ctx->saved_data["cell"].toInt());
    auto s = ctx->get_saved_variables();
    const bool lstm = cell == kLstm;
    Forward f;
    f.ws = ctx->saved_data["ws"].toTensor();
    f.x = ctx->saved_data["x"].toTensor();
    f.w_layer = ctx->saved_data["w_layer"].toTensor();
    f.w_iter = ctx->saved_data["w_iter"].toTensor();
    f.bias = ctx->saved_data["bias"].toTensor();
    f.out = s[lstm ? 2 : 1];
    f.hn = s[lstm ? 3 : 2];
    if (lstm) f.cn = s[4];
    auto g = backward_impl(cell, f, s[0], lstm ? s[1] : at::Tensor(), grads[0], grads[1],
                           lstm ? grads[2] : at::Tensor());
    return {at::Tensor(), g[0], g[1], lstm ? g[2] : at::Tensor(), g[3], g[4], g[5], g[6]};
  }
};

bool any_requires_grad(std::initializer_list<const at::Tensor*> ts) {
  for (auto* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

}  // namespace

extern "C" {

// 1 when this build has oneDNN.
int rnnbench_onednn_available() {
#ifdef RNNBENCH_ONEDNN
  return 1;
#else
  return 0;
#endif
}

// oneDNN's version as major*10000 + minor*100 + patch; 0 without oneDNN.
int rnnbench_onednn_version() {
#ifdef RNNBENCH_ONEDNN
  const auto* v = dnnl::version();
  return static_cast<int>(v->major * 10000 + v->minor * 100 + v->patch);
#else
  return 0;
#endif
}

// The message of the last failed call on this thread.
const char* rnnbench_onednn_last_error() { return last_error.c_str(); }

// One layer, one direction: `x` [N, T, C], `h0` (and for the LSTM `c0`)
// [N, H], PyTorch's weights. Writes new tensors to out[0] ([N, T, H]),
// out[1] (h_n [N, H]) and for the LSTM out[2] (c_n). Differentiable when
// grad mode is on and an input requires grad (forward_training, backward);
// otherwise forward_inference. Returns 0, or -1 with the message in
// rnnbench_onednn_last_error.
int rnnbench_onednn_layer(int cell, at::Tensor* x, at::Tensor* h0, at::Tensor* c0,
                          at::Tensor* w_ih, at::Tensor* w_hh, at::Tensor* b_ih,
                          at::Tensor* b_hh, at::Tensor** out) {
  try {
    if (cell != kLstm && cell != kGru && cell != kRnn) throw std::runtime_error("unknown cell");
    // Not an LSTM: an empty stand-in (autograd describes every input, and an
    // undefined one has no device to describe).
    const at::Tensor c0v = cell != kLstm ? at::empty({0}, x->options())
                           : (c0 != nullptr ? *c0 : at::Tensor());
    if (cell == kLstm && !c0v.defined()) throw std::runtime_error("an LSTM needs c0");
    for (const at::Tensor* t : {x, h0, w_ih, w_hh, b_ih, b_hh}) {
      if (!t->device().is_cpu() || t->scalar_type() != at::kFloat)
        throw std::runtime_error("the oneDNN kernel takes float32 CPU tensors");
    }
    if (x->dim() != 3 || x->size(1) < 1) throw std::runtime_error("x must be [batch, seq >= 1, in]");
    const bool grad = at::GradMode::is_enabled() &&
                      any_requires_grad({x, h0, &c0v, w_ih, w_hh, b_ih, b_hh});
    std::vector<at::Tensor> r;
    if (grad) {
      r = OnednnLayer::apply(static_cast<int64_t>(cell), *x, *h0, c0v, *w_ih, *w_hh, *b_ih,
                             *b_hh);
    } else {
      at::NoGradGuard no_grad;
      auto f = forward_impl(cell, *x, *h0, c0v, *w_ih, *w_hh, *b_ih, *b_hh, false);
      r = {f.out, f.hn};
      if (cell == kLstm) r.push_back(f.cn);
    }
    for (size_t i = 0; i < r.size(); ++i) out[i] = new at::Tensor(r[i]);
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
    return -1;
  } catch (...) {
    last_error = "unknown error in the oneDNN kernel";
    return -1;
  }
}

// The gate and bias conversions on their own, for tests: writes
// weight_to_ldigo(w), weight_from_ldigo(weight_to_ldigo(w)),
// bias_to_onednn(b_ih, b_hh) and the two bias gradients of a bias gradient
// equal to bias_to_onednn's result.
int rnnbench_onednn_layouts(int cell, at::Tensor* w, at::Tensor* b_ih, at::Tensor* b_hh,
                            int64_t hidden, at::Tensor** out) {
  try {
    auto ldigo = weight_to_ldigo(*w, cell, hidden);
    auto back = weight_from_ldigo(ldigo, cell);
    auto bias = bias_to_onednn(*b_ih, *b_hh, cell, hidden);
    auto [gi, gh] = bias_grads(bias, cell);
    out[0] = new at::Tensor(ldigo);
    out[1] = new at::Tensor(back);
    out[2] = new at::Tensor(bias);
    out[3] = new at::Tensor(gi);
    out[4] = new at::Tensor(gh);
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
    return -1;
  }
}

}  // extern "C"
