// INT8 convolution on oneDNN with edgeinfer's requantization. Steps:
//   1. Create: describe the conv as s8 (NHWC) x s8 (any: oneDNN packs for VNNI) -> s32 (NHWC), no
//      bias, no scales, no post-ops, so oneDNN only accumulates; pack the weights once.
//   2. Run: execute the conv into the s32 accumulator buffer, then RequantizeRows adds the int32
//      bias and applies the shared epilogue (multiplier, residual, activation, saturation).
// RequantizeRows is written branch-free on 64-bit lanes so the compiler vectorises it; a clone for
// x86-64-v4 (AVX-512) is picked at run time when the CPU has it.
#include "devices/cpu/fast/int8_conv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "devices/cpu/fast/dnnl_util.h"

namespace edgeinfer::devices::fast {

namespace {

// MulByQuantizedMultiplier of int8_math.h without branches (same results for every input; the
// INT32_MIN*INT32_MIN saturation case cannot occur because multipliers are >= 0).
inline int32_t MulQ(int32_t x, int32_t mult, int32_t left, int32_t right) {
  int64_t shifted = static_cast<int64_t>(x) << left;
  shifted = std::min<int64_t>(std::max<int64_t>(shifted, INT32_MIN), INT32_MAX);
  const int64_t ab = shifted * static_cast<int64_t>(mult);
  const int64_t v = ab + (ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30)));
  const int32_t q = static_cast<int32_t>(v >= 0 ? (v >> 31) : -((-v) >> 31));   // truncating / 2^31
  const int32_t mask = static_cast<int32_t>((int64_t{1} << right) - 1);
  const int32_t remainder = q & mask;
  const int32_t threshold = (mask >> 1) + (q < 0 ? 1 : 0);
  return (q >> right) + (remainder > threshold ? 1 : 0);
}

// Below this many outputs the requantization stays on one thread (about 0.1 ms of work with
// AVX-512, comparable to waking a sleeping OpenMP worker on a loaded machine).
constexpr int64_t kParallelMinElements = int64_t{1} << 18;

struct RowParams {
  const int32_t* mult;
  const int32_t* left;
  const int32_t* right;
  const int32_t* bias;   // never null here (zeros when absent)
  int32_t mr, lr, rr;    // residual multiplier
  int32_t lo, hi;        // clamp bounds in the int8 domain (kNone: -128..127)
};

// One row of `k` channels, scalar (any CPU; also the tail of the AVX-512 path).
template <bool kResidual>
void RowClampScalar(const RowParams& p, const int32_t* a, const int8_t* rr, int8_t* o, int64_t c0, int64_t k) {
  for (int64_t c = c0; c < k; ++c) {
    int64_t v = MulQ(a[c] + p.bias[c], p.mult[c], p.left[c], p.right[c]);
    if (kResidual) v += MulQ(rr[c], p.mr, p.lr, p.rr);
    v = std::min<int64_t>(std::max<int64_t>(v, INT32_MIN), INT32_MAX);
    int32_t t = static_cast<int32_t>(v);
    t = t < p.lo ? p.lo : (t > p.hi ? p.hi : t);
    o[c] = static_cast<int8_t>(t < -128 ? -128 : (t > 127 ? 127 : t));
  }
}

#define EI_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

// trunc((ab + nudge) / 2^31) per 64-bit lane (the rounding doubling high multiply's last step).
EI_AVX512 inline __m512i HighQ31(__m512i ab) {
  const __m512i zero = _mm512_setzero_si512();
  const __mmask8 n = _mm512_cmplt_epi64_mask(ab, zero);
  const __m512i nudge = _mm512_mask_blend_epi64(n, _mm512_set1_epi64(int64_t{1} << 30), _mm512_set1_epi64(1 - (int64_t{1} << 30)));
  const __m512i v = _mm512_add_epi64(ab, nudge);
  const __mmask8 vn = _mm512_cmplt_epi64_mask(v, zero);
  const __m512i adj = _mm512_mask_add_epi64(v, vn, v, _mm512_set1_epi64((int64_t{1} << 31) - 1));
  return _mm512_srai_epi64(adj, 31);
}

// MulQ on 16 lanes: saturating left shift, rounding doubling high multiply (64-bit products of
// the even and the odd lanes), rounding right shift. Same integer steps as MulQ / int8_math.h.
EI_AVX512 inline __m512i MulQ16(__m512i x, __m512i mult, __m512i left, __m512i right) {
  const __m512i sh = _mm512_sllv_epi32(x, left);
  const __mmask16 ovf = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(sh, left), x);
  const __mmask16 neg = _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512());
  const __m512i sat = _mm512_mask_blend_epi32(neg, _mm512_set1_epi32(INT32_MAX), _mm512_set1_epi32(INT32_MIN));
  const __m512i s = _mm512_mask_blend_epi32(ovf, sh, sat);
  const __m512i even = HighQ31(_mm512_mul_epi32(s, mult));
  const __m512i odd = HighQ31(_mm512_mul_epi32(_mm512_srli_epi64(s, 32), _mm512_srli_epi64(mult, 32)));
  const __m512i q = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
  const __m512i rem = _mm512_and_si512(q, mask);
  const __mmask16 qneg = _mm512_cmplt_epi32_mask(q, _mm512_setzero_si512());
  const __m512i thr = _mm512_mask_add_epi32(_mm512_srai_epi32(mask, 1), qneg, _mm512_srai_epi32(mask, 1), one);
  const __mmask16 up = _mm512_cmpgt_epi32_mask(rem, thr);
  return _mm512_mask_add_epi32(_mm512_srav_epi32(q, right), up, _mm512_srav_epi32(q, right), one);
}

template <bool kResidual>
EI_AVX512 void RowClampAvx512(const RowParams& p, const int32_t* a, const int8_t* rr, int8_t* o, int64_t k) {
  const __m512i lo = _mm512_set1_epi32(p.lo), hi = _mm512_set1_epi32(p.hi);
  const __m512i mr = _mm512_set1_epi32(p.mr), lr = _mm512_set1_epi32(p.lr), rsh = _mm512_set1_epi32(p.rr);
  int64_t c = 0;
  for (; c + 16 <= k; c += 16) {
    const __m512i acc = _mm512_add_epi32(_mm512_loadu_si512(a + c), _mm512_loadu_si512(p.bias + c));
    __m512i v = MulQ16(acc, _mm512_loadu_si512(p.mult + c), _mm512_loadu_si512(p.left + c), _mm512_loadu_si512(p.right + c));
    if (kResidual) {
      const __m512i r = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rr + c)));
      const __m512i w = MulQ16(r, mr, lr, rsh);
      // v + w saturated to int32 (the reference sums in int64, then saturates).
      const __m512i sum = _mm512_add_epi32(v, w);
      const __mmask16 same = ~_mm512_cmplt_epi32_mask(_mm512_xor_si512(v, w), _mm512_setzero_si512());
      const __mmask16 flip = _mm512_cmplt_epi32_mask(_mm512_xor_si512(sum, v), _mm512_setzero_si512());
      const __mmask16 neg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
      const __m512i sat = _mm512_mask_blend_epi32(neg, _mm512_set1_epi32(INT32_MAX), _mm512_set1_epi32(INT32_MIN));
      v = _mm512_mask_blend_epi32(same & flip, sum, sat);
    }
    v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c), _mm512_cvtsepi32_epi8(v));
  }
  RowClampScalar<kResidual>(p, a, rr, o, c, k);
}

template <bool kResidual>
void RowsClamp(const RowParams p, const int32_t* acc, const int8_t* res, int8_t* y, int64_t rows, int64_t k) {
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  // Small tensors run on the calling thread: waking the pool costs more than the work saves.
  const bool parallel = rows * k >= kParallelMinElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    if (avx512) RowClampAvx512<kResidual>(p, acc + r * k, kResidual ? res + r * k : nullptr, y + r * k, k);
    else RowClampScalar<kResidual>(p, acc + r * k, kResidual ? res + r * k : nullptr, y + r * k, 0, k);
  }
}

}  // namespace

void RequantizeRows(const int8::Epilogue& e, const int32_t* acc, const int32_t* bias, const int8_t* residual,
                    int8_t* y, int64_t rows, int64_t channels) {
  const size_t k = static_cast<size_t>(channels);
  std::vector<int32_t> mult(k), left(k), right(k), b(k, 0);
  for (size_t c = 0; c < k; ++c) {
    const int8::Multiplier& m = e.m.size() == 1 ? e.m[0] : e.m[c];
    mult[c] = m.multiplier;
    left[c] = m.shift > 0 ? m.shift : 0;
    right[c] = m.shift > 0 ? 0 : -m.shift;
    if (bias) b[c] = bias[c];
  }
  if (e.mode == int8::Epilogue::Mode::kLut) {
    // Rare (sigmoid-like activations): the reference formula element by element.
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const size_t i = static_cast<size_t>(r) * k + c;
        y[i] = int8::ApplyEpilogue(e, acc[i] + b[c], c, residual ? residual[i] : 0);
      }
    }
    return;
  }
  RowParams p{mult.data(), left.data(), right.data(), b.data(), e.m_r.multiplier,
              e.m_r.shift > 0 ? e.m_r.shift : 0, e.m_r.shift > 0 ? 0 : -e.m_r.shift, -128, 127};
  if (e.mode == int8::Epilogue::Mode::kRelu) p.lo = 0;
  if (e.mode == int8::Epilogue::Mode::kClamp) { p.lo = e.lo; p.hi = e.hi; }
  if (e.has_residual && residual) RowsClamp<true>(p, acc, residual, y, rows, channels);
  else RowsClamp<false>(p, acc, nullptr, y, rows, channels);
}

Result<std::unique_ptr<Int8Conv>> Int8Conv::Create(const int8::Conv2DGeometry& g, const int8_t* w_kcrs,
                                                   const int32_t* bias, int8::Epilogue epilogue,
                                                   const dnnl::engine& eng, bool src_nonnegative) {
  if (g.group <= 0 || g.c % g.group || g.k % g.group) return Status::Error("INT8 conv: group does not divide channels");
  std::unique_ptr<Int8Conv> cv(new Int8Conv());
  cv->g_ = g;
  cv->epilogue_ = std::move(epilogue);
  cv->eng_ = eng;
  if (bias) cv->bias_.assign(bias, bias + g.k);
  const std::vector<int64_t> xd = {g.n, g.c, g.h, g.w}, yd = {g.n, g.k, g.oh, g.ow};
  cv->src_md_ = ChannelsLastMd(xd, src_nonnegative ? dnnl_dt::u8 : dnnl_dt::s8);
  cv->dst_md_ = ChannelsLastMd(yd, dnnl_dt::s8);
  cv->acc_md_ = ChannelsLastMd(yd, dnnl_dt::s32);
  dnnl::memory::dims wd, wplain_strides;
  dnnl::memory::desc w_plain;
  if (g.group == 1) {
    w_plain = PlainMd({g.k, g.c, g.r, g.s}, dnnl_dt::s8);
    wd = {g.k, g.c, g.r, g.s};
  } else {
    w_plain = PlainMd({g.group, g.k / g.group, g.c / g.group, g.r, g.s}, dnnl_dt::s8);
    wd = {g.group, g.k / g.group, g.c / g.group, g.r, g.s};
  }
  dnnl::memory::desc w_any(wd, dnnl_dt::s8, dnnl_tag::any);
  try {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      cv->src_md_, w_any, cv->acc_md_, {g.stride_h, g.stride_w},
                                      {g.dil_h - 1, g.dil_w - 1}, {g.pad_t, g.pad_l}, {g.pad_b, g.pad_r});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    cv->pd_ = dnnl::convolution_forward::primitive_desc(d, attr, eng);
    if (!src_nonnegative && cv->pd_.impl_info_str() && std::string(cv->pd_.impl_info_str()).find("brg") == std::string::npos) {
      // Signed input without oneDNN's fast kernel (the 3-channel first layer): read x + 128 as
      // uint8 with a source zero point of 128. sum((x+128-128)*w) is the same int32 sum, exactly,
      // and padding takes the zero point (real 0), as in the reference.
      try {
        dnnl::memory::desc u8_src = ChannelsLastMd(xd, dnnl_dt::u8);
        dnnl::convolution_forward::desc du(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, u8_src,
                                           w_any, cv->acc_md_, {g.stride_h, g.stride_w}, {g.dil_h - 1, g.dil_w - 1},
                                           {g.pad_t, g.pad_l}, {g.pad_b, g.pad_r});
        dnnl::primitive_attr za;
        za.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        za.set_zero_points(DNNL_ARG_SRC, 0, {128});
        cv->pd_ = dnnl::convolution_forward::primitive_desc(du, za, eng);
        cv->src_md_ = u8_src;
        cv->shift_src_ = true;
      } catch (const dnnl::error&) {
        // keep the s8 primitive
      }
    }
    cv->prim_ = dnnl::convolution_forward(cv->pd_);
    cv->weights_ = dnnl::memory(cv->pd_.weights_desc(), eng);
    if (cv->shift_src_) cv->shifted_.resize(static_cast<size_t>(g.n * g.c * g.h * g.w));
    dnnl::memory src_w(w_plain, eng, const_cast<int8_t*>(w_kcrs));
    dnnl::stream s(eng);
    dnnl::reorder(src_w, cv->weights_).execute(s, src_w, cv->weights_);
    s.wait();
  } catch (const dnnl::error& e) {
    return Status::Error(std::string("INT8 conv: oneDNN refused the convolution: ") + e.what());
  }
  return cv;
}

std::string Int8Conv::impl() const { return ImplName(pd_); }

void Int8Conv::Run(dnnl::stream& s, const int8_t* x, const int8_t* residual, int8_t* y, int32_t* acc,
                   void* scratch) const {
  if (shift_src_) {
    // x + 128 as uint8 (flip the sign bit) into the shifted copy.
    const int64_t n = g_.n * g_.c * g_.h * g_.w;
    uint8_t* u = shifted_.data();
#pragma omp parallel for simd schedule(static) if (n >= (int64_t{1} << 18))
    for (int64_t i = 0; i < n; ++i) u[i] = static_cast<uint8_t>(x[i]) ^ 0x80u;
    x = reinterpret_cast<const int8_t*>(u);
  }
  dnnl::memory src(src_md_, eng_, const_cast<int8_t*>(x));
  dnnl::memory dst(acc_md_, eng_, acc);
  dnnl::memory sp(pd_.scratchpad_desc(), eng_, scratch);
  prim_.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, sp}});
  s.wait();
  RequantizeRows(epilogue_, acc, bias_.empty() ? nullptr : bias_.data(), residual, y, g_.n * g_.oh * g_.ow, g_.k);
}

}  // namespace edgeinfer::devices::fast
