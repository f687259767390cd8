// agentops_torch: the C ABI over libtorch that AgentOps.Trainer binds with LibraryImport (trainer/Torch/Native.cs).
// Conventions: tensors are opaque `at::Tensor*` handles owned by the caller (free with ato_free); functions
// returning a handle return nullptr on failure, functions returning int return 0 on success and -1 on
// failure; the failure's message (libtorch's own) is kept per thread and read with ato_last_error().
// Devices: -1 = CPU, N >= 0 = CUDA device N. Dtypes: see dtype_of() below (the C# ScalarType enum mirrors it).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using at::Tensor;

namespace {
thread_local std::string g_last_error;

at::ScalarType dtype_of(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kLong;
    case 2: return at::kBool;
    case 3: return at::kInt;
    case 4: return at::kDouble;
    case 5: return at::kHalf;
    case 6: return at::kBFloat16;
    case 7: return at::kByte;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(code));
}

int code_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return 0;
    case at::kLong: return 1;
    case at::kBool: return 2;
    case at::kInt: return 3;
    case at::kDouble: return 4;
    case at::kHalf: return 5;
    case at::kBFloat16: return 6;
    case at::kByte: return 7;
    default: return -1;
  }
}

at::Device device_of(int device) {
  return device < 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device));
}

at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

Tensor* wrap(Tensor t) { return new Tensor(std::move(t)); }

void fail(const char* what) { g_last_error = what; }

// at::set_num_threads reaches OpenMP's per-thread ICV only on the calling thread; ATen re-applies the global
// setting lazily inside parallel_for, but OpenBLAS reads omp_get_max_threads() directly, so a GEMM on a fresh
// thread (a .NET thread-pool worker) ran on 1 thread. Apply it on every thread's first call into the shim.
thread_local bool t_threads_ready = false;
inline void ensure_thread_init() {
  if (!t_threads_ready) {
    t_threads_ready = true;
    at::init_num_threads();
  }
}
}  // namespace

// Catch everything libtorch throws; c10::Error carries a backtrace we leave out of the message.
#define ATO_BEGIN try { ensure_thread_init();
#define ATO_END(on_error)                 \
  }                                       \
  catch (const c10::Error& e) {           \
    fail(e.what_without_backtrace());     \
  }                                       \
  catch (const std::exception& e) {       \
    fail(e.what());                       \
  }                                       \
  catch (...) {                           \
    fail("unknown C++ exception");        \
  }                                       \
  return on_error;

// A function returning a new tensor handle (nullptr on error) / a status (0, or -1 on error).
#define ATO_T(...) ATO_BEGIN return wrap(__VA_ARGS__); ATO_END(nullptr)
#define ATO_I(...) ATO_BEGIN __VA_ARGS__; return 0; ATO_END(-1)

extern "C" {

const char* ato_last_error() { return g_last_error.c_str(); }
void ato_free(Tensor* t) { delete t; }

// ---- runtime -------------------------------------------------------------------------------------------
int ato_set_num_threads(int n) { ATO_I(at::set_num_threads(n)) }
int ato_get_num_threads() {
  ensure_thread_init();
  return at::get_num_threads();
}
int ato_manual_seed(uint64_t seed) { ATO_I(at::manual_seed(seed)) }
int ato_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
int ato_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }
int ato_cuda_synchronize(int device) {
  ATO_I(if (device >= 0 && torch::cuda::is_available()) torch::cuda::synchronize(device))
}
// Grad mode is thread local in libtorch (c10::GradMode); returns the previous setting.
int ato_set_grad_enabled(int enabled) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled != 0);
  return prev ? 1 : 0;
}
int ato_is_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
const char* ato_version() { return TORCH_VERSION; }

// ---- creation ------------------------------------------------------------------------------------------
// Copies `data` (numel elements of dtype) into a new tensor on `device`.
Tensor* ato_from_blob(const void* data, int dtype, const int64_t* shape, int ndim, int device, int requires_grad) {
  ATO_T(({
    auto t = at::from_blob(const_cast<void*>(data), dims(shape, ndim), at::TensorOptions().dtype(dtype_of(dtype)))
                 .clone()
                 .to(device_of(device));
    t.set_requires_grad(requires_grad != 0);
    t;
  }))
}
Tensor* ato_zeros(const int64_t* shape, int ndim, int dtype, int device) {
  ATO_T(at::zeros(dims(shape, ndim), at::TensorOptions().dtype(dtype_of(dtype)).device(device_of(device))))
}
Tensor* ato_full(const int64_t* shape, int ndim, double value, int dtype, int device) {
  ATO_T(at::full(dims(shape, ndim), value, at::TensorOptions().dtype(dtype_of(dtype)).device(device_of(device))))
}
// Normal(0, 1) from a generator seeded with `seed` (CPU generator, then moved): same values on every device.
Tensor* ato_randn(const int64_t* shape, int ndim, uint64_t seed, int device) {
  ATO_T(({
    auto gen = at::detail::createCPUGenerator(seed);
    at::randn(dims(shape, ndim), gen, at::TensorOptions().dtype(at::kFloat)).to(device_of(device));
  }))
}
Tensor* ato_rand(const int64_t* shape, int ndim, uint64_t seed, int device) {
  ATO_T(({
    auto gen = at::detail::createCPUGenerator(seed);
    at::rand(dims(shape, ndim), gen, at::TensorOptions().dtype(at::kFloat)).to(device_of(device));
  }))
}
Tensor* ato_arange(double start, double end, double step, int dtype, int device) {
  ATO_T(at::arange(start, end, step, at::TensorOptions().dtype(dtype_of(dtype)).device(device_of(device))))
}

// ---- queries and copies --------------------------------------------------------------------------------
int ato_ndim(Tensor* t) { return static_cast<int>(t->dim()); }
int ato_shape(Tensor* t, int64_t* out) { ATO_I(for (int64_t i = 0; i < t->dim(); i++) out[i] = t->size(i)) }
int64_t ato_numel(Tensor* t) { return t->numel(); }
int ato_dtype(Tensor* t) { return code_of(t->scalar_type()); }
int ato_device(Tensor* t) { return t->device().is_cuda() ? t->device().index() : -1; }
int ato_requires_grad(Tensor* t) { return t->requires_grad() ? 1 : 0; }
int ato_set_requires_grad(Tensor* t, int on) { ATO_I(t->set_requires_grad(on != 0)) }
// Copies the tensor's values, converted to `dtype`, into `out` (capacity `n` elements).
int ato_copy_out(Tensor* t, void* out, int64_t n, int dtype) {
  ATO_I({
    auto c = t->detach().to(at::kCPU, dtype_of(dtype)).contiguous();
    if (c.numel() != n)
      throw std::invalid_argument("copy_out: tensor has " + std::to_string(c.numel()) + " elements, buffer " +
                                  std::to_string(n));
    std::memcpy(out, c.data_ptr(), static_cast<size_t>(n) * c.element_size());
  })
}
Tensor* ato_to(Tensor* t, int dtype, int device) { ATO_T(t->to(device_of(device), dtype_of(dtype))) }
Tensor* ato_clone(Tensor* t) { ATO_T(t->clone()) }
Tensor* ato_detach(Tensor* t) { ATO_T(t->detach()) }
Tensor* ato_contiguous(Tensor* t) { ATO_T(t->contiguous()) }
Tensor* ato_alias(Tensor* t) { ATO_T(Tensor(*t)) }
// In-place dst.copy_(src) (no autograd record when called under no-grad).
int ato_copy_(Tensor* dst, Tensor* src) { ATO_I(dst->copy_(*src)) }
int ato_fill_(Tensor* t, double v) { ATO_I(t->fill_(v)) }

// ---- elementwise ---------------------------------------------------------------------------------------
// op: 0 add 1 sub 2 mul 3 div 4 pow 5 minimum 6 maximum 7 eq 8 ne 9 lt 10 le 11 gt 12 ge 13 logical_and 14 logical_or
Tensor* ato_binary(Tensor* a, Tensor* b, int op) {
  ATO_T(([&]() -> Tensor {
    switch (op) {
      case 0: return *a + *b;
      case 1: return *a - *b;
      case 2: return *a * *b;
      case 3: return *a / *b;
      case 4: return at::pow(*a, *b);
      case 5: return at::minimum(*a, *b);
      case 6: return at::maximum(*a, *b);
      case 7: return at::eq(*a, *b);
      case 8: return at::ne(*a, *b);
      case 9: return at::lt(*a, *b);
      case 10: return at::le(*a, *b);
      case 11: return at::gt(*a, *b);
      case 12: return at::ge(*a, *b);
      case 13: return at::logical_and(*a, *b);
      case 14: return at::logical_or(*a, *b);
    }
    throw std::invalid_argument("unknown binary op " + std::to_string(op));
  })())
}
// op: 0 a+s 1 a-s 2 a*s 3 a/s 4 a^s 5 s-a 6 s/a 7 eq 8 ne 9 lt 10 le 11 gt 12 ge
Tensor* ato_binary_scalar(Tensor* a, double s, int op) {
  ATO_T(([&]() -> Tensor {
    switch (op) {
      case 0: return *a + s;
      case 1: return *a - s;
      case 2: return *a * s;
      case 3: return *a / s;
      case 4: return at::pow(*a, s);
      case 5: return s - *a;
      case 6: return s / *a;
      case 7: return at::eq(*a, s);
      case 8: return at::ne(*a, s);
      case 9: return at::lt(*a, s);
      case 10: return at::le(*a, s);
      case 11: return at::gt(*a, s);
      case 12: return at::ge(*a, s);
    }
    throw std::invalid_argument("unknown scalar op " + std::to_string(op));
  })())
}
// op: 0 neg 1 exp 2 log 3 sqrt 4 rsqrt 5 abs 6 silu 7 gelu 8 relu 9 tanh 10 sigmoid 11 sin 12 cos 13 square
//     14 logical_not 15 sign 16 log1p 17 softplus
Tensor* ato_unary(Tensor* a, int op) {
  ATO_T(([&]() -> Tensor {
    switch (op) {
      case 0: return at::neg(*a);
      case 1: return at::exp(*a);
      case 2: return at::log(*a);
      case 3: return at::sqrt(*a);
      case 4: return at::rsqrt(*a);
      case 5: return at::abs(*a);
      case 6: return at::silu(*a);
      case 7: return at::gelu(*a);
      case 8: return at::relu(*a);
      case 9: return at::tanh(*a);
      case 10: return at::sigmoid(*a);
      case 11: return at::sin(*a);
      case 12: return at::cos(*a);
      case 13: return at::square(*a);
      case 14: return at::logical_not(*a);
      case 15: return at::sign(*a);
      case 16: return at::log1p(*a);
      case 17: return at::softplus(*a);
    }
    throw std::invalid_argument("unknown unary op " + std::to_string(op));
  })())
}
// NaN bounds mean "no bound".
Tensor* ato_clamp(Tensor* a, double lo, double hi) {
  ATO_T(at::clamp(*a, std::isnan(lo) ? c10::optional<at::Scalar>() : c10::optional<at::Scalar>(lo),
                  std::isnan(hi) ? c10::optional<at::Scalar>() : c10::optional<at::Scalar>(hi)))
}
Tensor* ato_where(Tensor* cond, Tensor* a, Tensor* b) { ATO_T(at::where(*cond, *a, *b)) }
Tensor* ato_masked_fill(Tensor* a, Tensor* mask, double v) { ATO_T(a->masked_fill(*mask, v)) }

// ---- reductions ----------------------------------------------------------------------------------------
// op: 0 sum 1 mean 2 amax 3 amin; ndim == 0 reduces every element.
Tensor* ato_reduce(Tensor* a, int op, const int64_t* dim, int ndim, int keepdim) {
  ATO_T(([&]() -> Tensor {
    if (ndim == 0) {
      switch (op) {
        case 0: return a->sum();
        case 1: return a->mean();
        case 2: return a->max();
        case 3: return a->min();
      }
    }
    auto d = dims(dim, ndim);
    switch (op) {
      case 0: return a->sum(d, keepdim != 0);
      case 1: return a->mean(d, keepdim != 0);
      case 2: return at::amax(*a, d, keepdim != 0);
      case 3: return at::amin(*a, d, keepdim != 0);
    }
    throw std::invalid_argument("unknown reduction " + std::to_string(op));
  })())
}
Tensor* ato_argmax(Tensor* a, int64_t dim, int keepdim) { ATO_T(at::argmax(*a, dim, keepdim != 0)) }
Tensor* ato_softmax(Tensor* a, int64_t dim) { ATO_T(at::softmax(*a, dim)) }
Tensor* ato_log_softmax(Tensor* a, int64_t dim) { ATO_T(at::log_softmax(*a, dim)) }
Tensor* ato_logsumexp(Tensor* a, int64_t dim, int keepdim) { ATO_T(at::logsumexp(*a, dim, keepdim != 0)) }
Tensor* ato_cumsum(Tensor* a, int64_t dim) { ATO_T(at::cumsum(*a, dim)) }

// ---- linear algebra and indexing -----------------------------------------------------------------------
Tensor* ato_matmul(Tensor* a, Tensor* b) { ATO_T(at::matmul(*a, *b)) }
// y = x W^T + b (bias may be null), W is [out, in] as in torch.nn.Linear.
Tensor* ato_linear(Tensor* x, Tensor* w, Tensor* b) {
  ATO_T(b ? at::linear(*x, *w, *b) : at::linear(*x, *w))
}
Tensor* ato_embedding(Tensor* weight, Tensor* ids) { ATO_T(at::embedding(*weight, *ids)) }
Tensor* ato_gather(Tensor* a, int64_t dim, Tensor* index) { ATO_T(at::gather(*a, dim, *index)) }
Tensor* ato_index_select(Tensor* a, int64_t dim, Tensor* index) { ATO_T(at::index_select(*a, dim, *index)) }
Tensor* ato_reshape(Tensor* a, const int64_t* shape, int ndim) { ATO_T(a->reshape(dims(shape, ndim))) }
Tensor* ato_view(Tensor* a, const int64_t* shape, int ndim) { ATO_T(a->view(dims(shape, ndim))) }
Tensor* ato_transpose(Tensor* a, int64_t d0, int64_t d1) { ATO_T(a->transpose(d0, d1)) }
Tensor* ato_permute(Tensor* a, const int64_t* order, int ndim) { ATO_T(a->permute(dims(order, ndim))) }
Tensor* ato_unsqueeze(Tensor* a, int64_t dim) { ATO_T(a->unsqueeze(dim)) }
Tensor* ato_squeeze(Tensor* a, int64_t dim) { ATO_T(a->squeeze(dim)) }
Tensor* ato_expand(Tensor* a, const int64_t* shape, int ndim) { ATO_T(a->expand(dims(shape, ndim))) }
Tensor* ato_slice(Tensor* a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  ATO_T(a->slice(dim, start, end, step))
}
Tensor* ato_cat(Tensor** ts, int n, int64_t dim) {
  ATO_T(([&]() {
    std::vector<Tensor> v;
    v.reserve(n);
    for (int i = 0; i < n; i++) v.push_back(*ts[i]);
    return at::cat(v, dim);
  })())
}
Tensor* ato_stack(Tensor** ts, int n, int64_t dim) {
  ATO_T(([&]() {
    std::vector<Tensor> v;
    v.reserve(n);
    for (int i = 0; i < n; i++) v.push_back(*ts[i]);
    return at::stack(v, dim);
  })())
}
Tensor* ato_select(Tensor* a, int64_t dim, int64_t index) { ATO_T(a->select(dim, index)) }
Tensor* ato_tril(Tensor* a, int64_t diagonal) { ATO_T(at::tril(*a, diagonal)) }

// ---- fused model pieces (composites of libtorch ops: autograd flows through them) ----------------------
// RMSNorm (Zhang & Sennrich 2019): x * rsqrt(mean(x^2, -1) + eps) * weight.
Tensor* ato_rms_norm(Tensor* x, Tensor* weight, double eps) {
  ATO_T(*x * at::rsqrt(x->pow(2).mean(-1, true) + eps) * *weight)
}
// Rotary position embedding (RoFormer), "rotate half" layout as in GPT-NeoX/LLaMA:
// x [B, H, T, D]; cos, sin [B, 1, T, D] (or broadcastable), D even.
Tensor* ato_rotary(Tensor* x, Tensor* cos, Tensor* sin) {
  ATO_T(([&]() {
    // chunk (not narrow): its backward is one cat instead of a zero-filled full-size gradient per piece.
    auto halves = x->chunk(2, -1);
    auto rot = at::cat({-halves[1], halves[0]}, -1);
    return *x * *cos + rot * *sin;
  })())
}
// SwiGLU activation (Shazeer 2020) of a fused [.., 2H] gate|up projection: silu(gate) * up -> [.., H].
Tensor* ato_swiglu(Tensor* gate_up) {
  ATO_T(([&]() {
    auto parts = gate_up->chunk(2, -1);
    return at::silu(parts[0]) * parts[1];
  })())
}
// Splits a fused [B, T, 3*H*D] projection into q, k, v of [B, H, T, D] and applies rotary positions to q and k
// (unbind's backward is one stack, where three selects would each zero-fill a full-size gradient).
int ato_qkv_rotary(Tensor* qkv, int64_t heads, Tensor* cos, Tensor* sin, Tensor** out) {
  ATO_I({
    auto b = qkv->size(0), t = qkv->size(1), hd = qkv->size(2) / (3 * heads);
    auto parts = qkv->view({b, t, 3, heads, hd}).permute({2, 0, 3, 1, 4}).unbind(0);
    auto rope = [&](const Tensor& x) {
      auto halves = x.chunk(2, -1);
      return x * *cos + at::cat({-halves[1], halves[0]}, -1) * *sin;
    };
    out[0] = wrap(rope(parts[0]));
    out[1] = wrap(rope(parts[1]));
    out[2] = wrap(parts[2]);
  })
}
// Scaled dot-product attention: q [B,H,Tq,D], k/v [B,H,Tk,D]. `causal`: query i sees keys j <= i + (Tk - Tq).
// key_valid [B,Tk] bool (may be null): false keys are never attended. Masked scores get -1e30 (not -inf) so a
// row with every key masked (left padding) yields finite values instead of NaN.
Tensor* ato_attention(Tensor* q, Tensor* k, Tensor* v, int causal, Tensor* key_valid) {
  ATO_T(([&]() {
    auto d = q->size(-1);
    auto tq = q->size(-2), tk = k->size(-2);
    // Scale q (T x D) rather than the scores (T x T): one pass over the smaller tensor, forward and backward.
    auto qs = *q * (1.0 / std::sqrt(static_cast<double>(d)));
    // One query per row (a decode step): a batched matmul here is B*H separate 1 x D x Tk GEMM calls (1,024 per
    // step for 32 rows at 4 heads and 2 matmuls per layer), each paying BLAS call and packing overhead; one
    // broadcast multiply and a reduction read each key once instead.
    auto decode = tq == 1;
    auto scores = decode ? (*k * qs).sum(-1, true).transpose(-2, -1) : at::matmul(qs, k->transpose(-2, -1));
    Tensor blocked;
    if (causal) {
      auto qi = at::arange(tq, at::TensorOptions().dtype(at::kLong).device(q->device())).unsqueeze(1) + (tk - tq);
      auto kj = at::arange(tk, at::TensorOptions().dtype(at::kLong).device(q->device())).unsqueeze(0);
      blocked = at::gt(kj, qi);  // [Tq, Tk]
    }
    if (key_valid) {
      auto pad = at::logical_not(*key_valid).unsqueeze(1).unsqueeze(1);  // [B,1,1,Tk]
      blocked = blocked.defined() ? at::logical_or(blocked, pad) : pad;
    }
    if (blocked.defined()) scores = scores.masked_fill(blocked, -1e30);
    auto weights = at::softmax(scores, -1);
    if (decode) return (weights.transpose(-2, -1) * *v).sum(-2, true);  // [B,H,Tk,1] x [B,H,Tk,D] -> [B,H,1,D]
    return at::matmul(weights, *v);
  })())
}
// Mean cross-entropy-style helper: log p(target) per position. logits [..., V], targets [...] (int64).
Tensor* ato_token_logprobs(Tensor* logits, Tensor* targets) {
  ATO_T(at::log_softmax(*logits, -1).gather(-1, targets->unsqueeze(-1)).squeeze(-1))
}

// ---- autograd ------------------------------------------------------------------------------------------
// grad may be null for a scalar output.
int ato_backward(Tensor* t, Tensor* grad) {
  ATO_I(if (grad) t->backward(*grad); else t->backward())
}
// Returns the .grad of a leaf, or nullptr with an empty error when it has none yet.
Tensor* ato_grad(Tensor* t) {
  g_last_error.clear();
  ATO_BEGIN
    auto g = t->grad();
    if (!g.defined()) return static_cast<Tensor*>(nullptr);
    return wrap(g);
  ATO_END(nullptr)
}
int ato_zero_grad(Tensor** ts, int n) {
  ATO_I(for (int i = 0; i < n; i++) ts[i]->mutable_grad().reset())
}

// ---- optimisation (in place, no autograd) --------------------------------------------------------------
// Global L2 norm of every defined grad; if above max_norm (> 0), grads are scaled by max_norm / (norm + 1e-6)
// (torch.nn.utils.clip_grad_norm_). Writes the norm before clipping to *out_norm.
int ato_clip_grad_norm(Tensor** params, int n, double max_norm, double* out_norm) {
  ATO_I({
    at::NoGradGuard ng;
    std::vector<Tensor> norms;
    for (int i = 0; i < n; i++) {
      auto& g = params[i]->grad();
      if (g.defined()) norms.push_back(g.norm(2).to(at::kFloat));
    }
    double total = norms.empty() ? 0.0 : at::stack(norms).norm(2).item<double>();
    *out_norm = total;
    if (max_norm > 0 && total > max_norm) {
      double scale = max_norm / (total + 1e-6);
      for (int i = 0; i < n; i++) {
        auto& g = params[i]->mutable_grad();
        if (g.defined()) g.mul_(scale);
      }
    }
  })
}
// AdamW (Loshchilov & Hutter, decoupled weight decay; torch.optim.AdamW semantics): for each param with a grad,
// p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v/(1-b2^t)) + eps).
// `step` is the 1-based step count after this update; wd[i] per parameter (0 for norms/biases).
int ato_adamw_step(Tensor** params, Tensor** m, Tensor** v, const double* wd, int n, double lr, double beta1,
                   double beta2, double eps, int64_t step) {
  ATO_I({
    at::NoGradGuard ng;
    double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    for (int i = 0; i < n; i++) {
      auto& g = params[i]->grad();
      if (!g.defined()) continue;
      auto& p = *params[i];
      if (wd[i] != 0) p.mul_(1.0 - lr * wd[i]);
      m[i]->mul_(beta1).add_(g, 1.0 - beta1);
      v[i]->mul_(beta2).addcmul_(g, g, 1.0 - beta2);
      auto denom = (v[i]->sqrt() / std::sqrt(bc2)).add_(eps);
      p.addcdiv_(*m[i], denom, -lr / bc1);
    }
  })
}

}  // extern "C"
