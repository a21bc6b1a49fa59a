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
// GRU r z n). oneDNN wants `ldigo` weights ([1, 1, C, G, H]: each gate
// block transposed) and one bias `ldgo` [1, 1, G', H]: LSTM and RNN the sum
// b_ih + b_hh (G' = G); the linear-before-reset GRU four blocks, in oneDNN's
// gate order z r n: b_iz + b_hz, b_ir + b_hr, b_in, b_hn (G' = 4). The summed
// bias's gradient is each of its two parts' gradient.
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

// `w` [G*H, K] (PyTorch) -> [K, G, H] contiguous (oneDNN's ldigo without l, d).
at::Tensor weight_to_ldigo(const at::Tensor& w, int cell, int64_t hidden) {
  const int64_t g = gate_blocks(cell);
  auto blocks = w.reshape({g, hidden, w.size(1)});
  return to_onednn_gates(blocks, cell).permute({2, 0, 1}).contiguous();
}

// The inverse of weight_to_ldigo for a gradient: [K, G, H] -> [G*H, K].
at::Tensor weight_from_ldigo(const at::Tensor& w, int cell) {
  const int64_t g = w.size(1), hidden = w.size(2);
  auto blocks = to_onednn_gates(w.permute({1, 2, 0}), cell);  // the swap is its own inverse
  return blocks.reshape({g * hidden, w.size(0)}).contiguous();
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
  p->src_layer = md({T, N, C}, tag::ntc);
  p->dst_layer = md({T, N, H}, tag::ntc);
  p->src_iter = md({1, 1, N, H}, tag::ldnc);
  p->dst_iter = md({1, 1, N, H}, tag::ldnc);
  p->src_iter_c = md({1, 1, N, H}, tag::ldnc);
  p->dst_iter_c = md({1, 1, N, H}, tag::ldnc);
  p->weights_layer_user = md({1, 1, C, g, H}, tag::ldigo);
  p->weights_iter_user = md({1, 1, H, g, H}, tag::ldigo);
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

// Runs the forward pass; returns {out [N,T,H], h_n [N,H], c_n [N,H] or
// undefined, workspace or undefined}.
std::vector<at::Tensor> forward_impl(int cell, const at::Tensor& x, const at::Tensor& h0,
                                     const at::Tensor& c0, const at::Tensor& w_ih,
                                     const at::Tensor& w_hh, const at::Tensor& b_ih,
                                     const at::Tensor& b_hh, bool training) {
#ifdef RNNBENCH_ONEDNN
  const int64_t N = x.size(0), T = x.size(1), C = x.size(2), H = w_hh.size(1);
  auto plan = plan_for(cell, T, N, C, H, training);
  dnnl::stream s(cpu_engine());
  auto xc = x.contiguous();
  auto h0c = h0.contiguous();
  auto wl = reordered(weight_to_ldigo(w_ih, cell, H), plan->weights_layer_user,
                      plan->fwd_weights_layer, s);
  auto wi = reordered(weight_to_ldigo(w_hh, cell, H), plan->weights_iter_user,
                      plan->fwd_weights_iter, s);
  auto bias = bias_to_onednn(b_ih, b_hh, cell, H);
  auto opts = x.options();
  auto out = at::empty({N, T, H}, opts);
  auto hn = at::empty({N, H}, opts);
  at::Tensor c0c, cn, ws;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, wrap(plan->src_layer, xc)},
      {DNNL_ARG_SRC_ITER, wrap(plan->src_iter, h0c)},
      {DNNL_ARG_WEIGHTS_LAYER, wrap(plan->fwd_weights_layer, wl)},
      {DNNL_ARG_WEIGHTS_ITER, wrap(plan->fwd_weights_iter, wi)},
      {DNNL_ARG_BIAS, wrap(plan->bias, bias)},
      {DNNL_ARG_DST_LAYER, wrap(plan->dst_layer, out)},
      {DNNL_ARG_DST_ITER, wrap(plan->dst_iter, hn)}};
  if (cell == kLstm) {
    c0c = c0.contiguous();
    cn = at::empty({N, H}, opts);
    args.emplace(DNNL_ARG_SRC_ITER_C, wrap(plan->src_iter_c, c0c));
    args.emplace(DNNL_ARG_DST_ITER_C, wrap(plan->dst_iter_c, cn));
  }
  if (training) {
    ws = buffer(plan->workspace, false);
    args.emplace(DNNL_ARG_WORKSPACE, wrap(plan->workspace, ws));
  }
  plan->fwd.execute(s, args);
  s.wait();
  return {out, hn, cn, ws};
#else
  (void)cell; (void)x; (void)h0; (void)c0; (void)w_ih; (void)w_hh; (void)b_ih; (void)b_hh;
  (void)training;
  throw std::runtime_error("rnnbench was built without oneDNN (run scripts/setup-onednn, then rebuild)");
#endif
}

// Gradients {x, h0, c0, w_ih, w_hh, b_ih, b_hh} from the saved forward.
std::vector<at::Tensor> backward_impl(int cell, const at::Tensor& x, const at::Tensor& h0,
                                      const at::Tensor& c0, const at::Tensor& w_ih,
                                      const at::Tensor& w_hh, const at::Tensor& b_ih,
                                      const at::Tensor& b_hh, const at::Tensor& out,
                                      const at::Tensor& hn, const at::Tensor& cn,
                                      const at::Tensor& ws, at::Tensor d_out, at::Tensor d_hn,
                                      at::Tensor d_cn) {
#ifdef RNNBENCH_ONEDNN
  const int64_t N = x.size(0), T = x.size(1), C = x.size(2), H = w_hh.size(1);
  auto plan = plan_for(cell, T, N, C, H, true);
  dnnl::stream s(cpu_engine());
  auto opts = x.options();
  d_out = d_out.defined() ? d_out.contiguous() : at::zeros({N, T, H}, opts);
  d_hn = d_hn.defined() ? d_hn.contiguous() : at::zeros({N, H}, opts);
  auto wl = reordered(weight_to_ldigo(w_ih, cell, H), plan->weights_layer_user,
                      plan->bwd_weights_layer, s);
  auto wi = reordered(weight_to_ldigo(w_hh, cell, H), plan->weights_iter_user,
                      plan->bwd_weights_iter, s);
  auto bias = bias_to_onednn(b_ih, b_hh, cell, H);
  auto dx = at::empty({N, T, C}, opts);
  auto dh0 = at::empty({N, H}, opts);
  // Weight and bias gradients accumulate in oneDNN: start from zero.
  auto dwl = buffer(plan->bwd_diff_weights_layer, true);
  auto dwi = buffer(plan->bwd_diff_weights_iter, true);
  auto db = at::zeros({plan->bias.get_dims()[2], H}, opts);
  auto xc = x.contiguous();
  auto h0c = h0.contiguous();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, wrap(plan->src_layer, xc)},
      {DNNL_ARG_SRC_ITER, wrap(plan->src_iter, h0c)},
      {DNNL_ARG_WEIGHTS_LAYER, wrap(plan->bwd_weights_layer, wl)},
      {DNNL_ARG_WEIGHTS_ITER, wrap(plan->bwd_weights_iter, wi)},
      {DNNL_ARG_BIAS, wrap(plan->bias, bias)},
      {DNNL_ARG_DST_LAYER, wrap(plan->dst_layer, out)},
      {DNNL_ARG_DST_ITER, wrap(plan->dst_iter, hn)},
      {DNNL_ARG_WORKSPACE, wrap(plan->workspace, ws)},
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
    args.emplace(DNNL_ARG_DST_ITER_C, wrap(plan->dst_iter_c, cn));
    args.emplace(DNNL_ARG_DIFF_SRC_ITER_C, wrap(plan->src_iter_c, dc0));
    args.emplace(DNNL_ARG_DIFF_DST_ITER_C, wrap(plan->dst_iter_c, d_cn));
  }
  plan->bwd.execute(s, args);
  const int64_t g = gate_blocks(cell);
  auto dwl_user = at::empty({C, g, H}, opts);
  auto dwi_user = at::empty({H, g, H}, opts);
  {
    auto src = wrap(plan->bwd_diff_weights_layer, dwl);
    auto dst = wrap(plan->weights_layer_user, dwl_user);
    dnnl::reorder(src, dst).execute(s, src, dst);
    auto src2 = wrap(plan->bwd_diff_weights_iter, dwi);
    auto dst2 = wrap(plan->weights_iter_user, dwi_user);
    dnnl::reorder(src2, dst2).execute(s, src2, dst2);
  }
  s.wait();
  auto [db_ih, db_hh] = bias_grads(db, cell);
  return {dx, dh0, dc0, weight_from_ldigo(dwl_user, cell), weight_from_ldigo(dwi_user, cell),
          db_ih, db_hh};
#else
  (void)cell; (void)x; (void)h0; (void)c0; (void)w_ih; (void)w_hh; (void)b_ih; (void)b_hh;
  (void)out; (void)hn; (void)cn; (void)ws; (void)d_out; (void)d_hn; (void)d_cn;
  throw std::runtime_error("rnnbench was built without oneDNN");
#endif
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct OnednnLayer : public torch::autograd::Function<OnednnLayer> {
  static variable_list forward(AutogradContext* ctx, int64_t cell, const at::Tensor& x,
                               const at::Tensor& h0, const at::Tensor& c0,
                               const at::Tensor& w_ih, const at::Tensor& w_hh,
                               const at::Tensor& b_ih, const at::Tensor& b_hh) {
    auto r = forward_impl(static_cast<int>(cell), x, h0, c0, w_ih, w_hh, b_ih, b_hh, true);
    ctx->saved_data["cell"] = cell;
    ctx->saved_data["ws"] = r[3];
    ctx->saved_data["has_c"] = cell == kLstm;
    if (cell == kLstm) {
      ctx->save_for_backward({x, h0, c0, w_ih, w_hh, b_ih, b_hh, r[0], r[1], r[2]});
      return {r[0], r[1], r[2]};
    }
    ctx->save_for_backward({x, h0, w_ih, w_hh, b_ih, b_hh, r[0], r[1]});
    return {r[0], r[1]};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const int cell = static_cast<int>(ctx->saved_data["cell"].toInt());
    auto ws = ctx->saved_data["ws"].toTensor();
    auto s = ctx->get_saved_variables();
    if (cell == kLstm) {
      auto g = backward_impl(cell, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], ws,
                             grads[0], grads[1], grads[2]);
      return {at::Tensor(), g[0], g[1], g[2], g[3], g[4], g[5], g[6]};
    }
    auto g = backward_impl(cell, s[0], s[1], at::Tensor(), s[2], s[3], s[4], s[5], s[6], s[7],
                           at::Tensor(), ws, grads[0], grads[1], at::Tensor());
    return {at::Tensor(), g[0], g[1], at::Tensor(), g[3], g[4], g[5], g[6]};
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
      r = {f[0], f[1]};
      if (cell == kLstm) r.push_back(f[2]);
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
