// CUDA executor, per batch size: cuDNN and cuBLASLt descriptors for every convolution and GEMM
// step and the choice among their algorithms and our kernels, by timing (kept in the timing cache).
#include "devices/cuda/executor.h"

namespace edgeinfer::devices {

float CudaDevice::Impl::TimeStep(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1) {
  for (int w = 0; w < 2; ++w) if (!RunStep(p, i).ok()) return 1e30f;
  cudaEventRecord(e0, stream);
  for (int r = 0; r < 5; ++r) if (!RunStep(p, i).ok()) return 1e30f;
  cudaEventRecord(e1, stream);
  if (cudaEventSynchronize(e1) != cudaSuccess || cudaGetLastError() != cudaSuccess) return 1e30f;
  float ms = 0.f;
  cudaEventElapsedTime(&ms, e0, e1);
  return ms / 5;
}

int CudaDevice::Impl::LtHeuristics(cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c,
                                   const BatchPlan& p, size_t* ws_limit, cublasLtMatmulHeuristicResult_t* res, int max_results) {
  *ws_limit = std::min<size_t>(p.ws_bytes, 64u << 20);
  cublasLtMatmulPreference_t pref = nullptr;
  if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) return 0;
  int got = 0;
  cublasStatus_t hs = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, ws_limit, sizeof(*ws_limit));
  if (hs == CUBLAS_STATUS_SUCCESS) hs = cublasLtMatmulAlgoGetHeuristic(lt, op, a, b, c, c, pref, max_results, res, &got);
  cublasLtMatmulPreferenceDestroy(pref);
  return hs == CUBLAS_STATUS_SUCCESS ? got : 0;
}

Status CudaDevice::Impl::SetupLt8(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1, size_t* need_ws) {
  const Step& st = steps[i];
  LtRun& L = p.lt[i];
  if (opt.int8_exact_epilogue || st.kind != SK::kConvInt8 || !Int8LtPlain(st) || st.pool.on || !st.fmult_dev || !st.fbias_dev) return Status::Ok();
  const bool relu = st.iact.lo == 0;
  if (st.iact.lut || st.iact.hi < 127 || (!relu && st.iact.lo > -128) || st.k % 4 != 0) return Status::Ok();   // identity or ReLU only
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  const ConvOut o = ConvOutDims(st, x);
  const int64_t n64 = x[0] * o.oh * o.ow;
  if (n64 <= 0 || n64 > INT32_MAX) return Status::Ok();
  const int m = st.k, n = static_cast<int>(n64);
  std::ostringstream key;
  key << "lt int8out m" << m << " n" << n << " k" << st.c << " ldw" << st.ldw << (st.residual ? " res" : "") << (relu ? " relu" : "");
  auto hit = cache.find(key.str());
  if (hit == cache.end() && !opt.autotune) return Status::Ok();
  if (hit != cache.end() && std::atoi(hit->second.c_str()) < 0) return Status::Ok();
  BLAS_CHECK(cublasLtMatmulDescCreate(&L.op8, CUBLAS_COMPUTE_32I, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  const cublasLtPointerMode_t pm = CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_POINTER_MODE, &pm, sizeof(pm)));
  const cublasLtEpilogue_t epi = relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &st.fbias_dev, sizeof(st.fbias_dev)));
  const cudaDataType_t bias_type = CUDA_R_32F;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a8, CUDA_R_8I, st.c, m, st.ldw));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b8, CUDA_R_8I, st.c, n, st.c));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.c8, CUDA_R_8I, m, n, m));
  size_t lt_ws = 0;
  cublasLtMatmulHeuristicResult_t res[8];
  const int got = LtHeuristics(L.op8, L.a8, L.b8, L.c8, p, &lt_ws, res, 8);
  if (got == 0) {
    if (hit == cache.end()) {
      cache[key.str()] = "-1";
      cache_dirty = true;
    }
    return Status::Ok();
  }
  int best_j = -1;
  std::string timing;
  if (hit != cache.end()) {
    best_j = std::min(std::atoi(hit->second.c_str()), got - 1);
  } else {
    L.use_lt8 = false;
    const float t_cur = TimeStep(p, i, e0, e1);
    float best = t_cur;
    for (int j = 0; j < got; ++j) {
      if (res[j].workspaceSize > lt_ws) continue;
      L.algo8 = res[j].algo;
      L.ws8 = res[j].workspaceSize;
      L.use_lt8 = true;
      const float t = TimeStep(p, i, e0, e1);
      if (t < best) { best = t; best_j = j; }
    }
    L.use_lt8 = false;
    cudaGetLastError();
    timing = " " + std::to_string(best) + " ms vs " + std::to_string(t_cur) + " ms";
    cache[key.str()] = std::to_string(best_j);
    cache_dirty = true;
  }
  if (best_j < 0) return Status::Ok();
  L.algo8 = res[best_j].algo;
  L.ws8 = res[best_j].workspaceSize;
  L.use_lt8 = true;
  L.direct = true;
  L.how = "cuBLASLt int8 out (float scaling, bias and ReLU epilogue)" + timing;
  *need_ws = std::max(*need_ws, L.ws8);
  return Status::Ok();
}

Status CudaDevice::Impl::SetupLtConv(BatchPlan& p, size_t i, int choice, const std::string& key, cudaEvent_t e0, cudaEvent_t e1) {
  const Step& st = steps[i];
  ConvRun& cr = p.conv[i];
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  ConvOut o = ConvOutDims(st, x);
  const int m = static_cast<int>(x[0] * o.oh * o.ow);
  cr.lt_im2col = LtNeedsIm2col(st);
  const int ldb = cr.lt_im2col ? st.ldg : st.c;
  BLAS_CHECK(cublasLtMatmulDescCreate(&cr.lop, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  cublasLtEpilogue_t epi = st.act.kind == KAct::kRelu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &st.bias_cd, sizeof(st.bias_cd)));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.la, CUDA_R_16F, st.ldg, st.k, st.ldg));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.lb, CUDA_R_16F, st.ldg, m, ldb));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.lc, CUDA_R_16F, st.k, m, st.k));
  size_t lt_ws = 0;
  cublasLtMatmulHeuristicResult_t res[6];
  const int got = LtHeuristics(cr.lop, cr.la, cr.lb, cr.lc, p, &lt_ws, res, 6);
  if (got == 0) return Status::Ok();   // cuDNN only
  if (choice == -1) return Status::Ok();
  if (choice >= 0) {
    choice = std::min(choice, got - 1);
    cr.use_lt = true;
    cr.lalgo = res[choice].algo;
    cr.lws = res[choice].workspaceSize;
    cr.how = "cached: cuBLASLt";
    return Status::Ok();
  }
  // Time cuDNN's choice (as it will run) against each cuBLASLt candidate, im2col included.
  const bool saved_ran = p.ran_once;
  p.ran_once = false;   // lets the fused cuDNN call fall back instead of failing
  cr.use_lt = false;
  float best = TimeStep(p, i, e0, e1);
  int best_j = -1;
  for (int j = 0; j < got; ++j) {
    if (res[j].workspaceSize > lt_ws) continue;
    cr.lalgo = res[j].algo;
    cr.lws = res[j].workspaceSize;
    cr.use_lt = true;
    float t = TimeStep(p, i, e0, e1);
    if (t < best) { best = t; best_j = j; }
  }
  p.ran_once = saved_ran;
  cudaGetLastError();
  cr.use_lt = best_j >= 0;
  if (cr.use_lt) {
    cr.lalgo = res[best_j].algo;
    cr.lws = res[best_j].workspaceSize;
    std::ostringstream how;
    how << "cuBLASLt" << (cr.lt_im2col ? " (im2col)" : "") << " tuned " << best << " ms, beat cuDNN";
    cr.how = how.str();
  } else {
    cr.how += ", beat cuBLASLt";
  }
  cache[key] += " " + std::to_string(best_j);
  cache_dirty = true;
  return Status::Ok();
}

Status CudaDevice::Impl::SetupLibraries(BatchPlan& p) {
  p.conv.assign(steps.size(), ConvRun{});
  p.lt.assign(steps.size(), LtRun{});
  // The arena first holds a generous tuning workspace; it is re-allocated at the chosen size after.
  size_t free_b = 0, total_b = 0;
  CU_CHECK(cudaMemGetInfo(&free_b, &total_b));
  size_t budget = free_b * 8 / 10;
  if (p.ws_off + (64u << 20) > budget) return Status::Error("cuda: batch " + std::to_string(p.n) + " needs " + std::to_string((p.ws_off >> 20) + 64) + " MiB of arena, " + std::to_string(budget >> 20) + " MiB free");
  size_t tune_ws = std::min(opt.max_workspace_bytes, budget - p.ws_off);
  CU_CHECK(cudaMalloc(reinterpret_cast<void**>(&p.arena), p.ws_off + tune_ws));
  CU_CHECK(cudaMemset(p.arena, 0, p.ws_off + tune_ws));
  p.ws_bytes = tune_ws;
  size_t need_ws = 32u << 20;   // floor: cuBLAS's own workspace during graph capture
  const cudnnMathType_t math = fk == KType::kF32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
  const float one = 1.f, zero = 0.f;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  CU_CHECK(cudaEventCreate(&e0));
  CU_CHECK(cudaEventCreate(&e1));
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = steps[i];
    if (st.kind == SK::kConv) {
      ConvRun& cr = p.conv[i];
      const auto& x = p.dims[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      if (o.pb != o.pe || o.qb != o.qe) return Status::Error(st.label + ": asymmetric padding is not supported by cuDNN's convolution");
      cudnnDataType_t dt = ToDnn(fk);
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.x));
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.y));
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.b));
      DNN_CHECK(cudnnCreateFilterDescriptor(&cr.w));
      DNN_CHECK(cudnnCreateConvolutionDescriptor(&cr.conv));
      DNN_CHECK(cudnnCreateActivationDescriptor(&cr.act));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.x, CUDNN_TENSOR_NHWC, dt, static_cast<int>(x[0]), static_cast<int>(x[1]), static_cast<int>(x[2]), static_cast<int>(x[3])));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.y, CUDNN_TENSOR_NHWC, dt, static_cast<int>(x[0]), st.k, static_cast<int>(o.oh), static_cast<int>(o.ow)));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.b, CUDNN_TENSOR_NHWC, dt, 1, st.k, 1, 1));
      DNN_CHECK(cudnnSetFilter4dDescriptor(cr.w, dt, CUDNN_TENSOR_NHWC, st.k, st.c / st.group, st.r, st.s));
      DNN_CHECK(cudnnSetConvolution2dDescriptor(cr.conv, o.pb, o.qb, st.strides[0], st.strides[1], st.dil[0], st.dil[1], CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
      DNN_CHECK(cudnnSetConvolutionGroupCount(cr.conv, st.group));
      DNN_CHECK(cudnnSetConvolutionMathType(cr.conv, math));
      DNN_CHECK(cudnnSetActivationDescriptor(cr.act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
      // cuDNN's fused call: bias + optional residual (z) + ReLU. Other activations and the pool
      // fusion run the plain convolution and then our epilogue kernel.
      cr.fused = st.act.kind == KAct::kRelu && !st.pool.on;
      std::ostringstream key;
      key << "cudnn" << cudnnGetVersion() << (fk == KType::kF32 ? " fp32 " : " fp16 ") << DimsStr(x) << " k" << st.k << " " << st.r << "x" << st.s
          << " p" << o.pb << "," << o.qb << " s" << st.strides[0] << "," << st.strides[1] << " d" << st.dil[0] << "," << st.dil[1] << " g" << st.group;
      auto hit = cache.find(key.str());
      int mt = static_cast<int>(math);
      if (hit != cache.end()) {
        int a = 0;
        std::istringstream(hit->second) >> a >> cr.ws >> mt;
        cr.algo = static_cast<cudnnConvolutionFwdAlgo_t>(a);
        cr.how = "cached";
      } else if (opt.autotune) {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int got = 0;
        void* y = st.pool.on ? static_cast<void*>(p.arena + p.scratch_off) : Ptr(p, st.out);
        DNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(dnn, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.y, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                         &got, perf, p.arena + p.ws_off, p.ws_bytes));
        bool found = false;
        for (int j = 0; j < got && !found; ++j) {
          if (perf[j].status != CUDNN_STATUS_SUCCESS || perf[j].memory > p.ws_bytes) continue;
          if (fk == KType::kF32 && perf[j].mathType != CUDNN_FMA_MATH && perf[j].mathType != CUDNN_DEFAULT_MATH) continue;   // no TF32
          cr.algo = perf[j].algo;
          cr.ws = perf[j].memory;
          mt = static_cast<int>(perf[j].mathType);
          found = true;
          std::ostringstream how;
          how << "tuned " << perf[j].time << " ms";
          cr.how = how.str();
        }
        if (!found) return Status::Error(st.label + ": cuDNN found no algorithm for " + key.str());
        cache[key.str()] = std::to_string(static_cast<int>(cr.algo)) + " " + std::to_string(cr.ws) + " " + std::to_string(mt);
        cache_dirty = true;
      } else {
        DNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(dnn, cr.x, cr.w, cr.conv, cr.y, cr.algo, &cr.ws));
        cr.how = "default";
      }
      if (fk == KType::kF32 && mt != CUDNN_FMA_MATH && mt != CUDNN_DEFAULT_MATH) mt = CUDNN_FMA_MATH;
      DNN_CHECK(cudnnSetConvolutionMathType(cr.conv, static_cast<cudnnMathType_t>(mt)));
      need_ws = std::max(need_ws, cr.ws);
      int lt_choice = -1;
      if (hit != cache.end()) {
        std::istringstream is(hit->second);
        int a0 = 0, m0 = 0;
        size_t w0 = 0;
        is >> a0 >> w0 >> m0;
        if (!(is >> lt_choice)) lt_choice = -1;
      }
      if (st.w_dw && !st.pool.on) {
        // Our depthwise kernel against cuDNN's grouped convolution: keep the faster (cached as -3).
        if (hit != cache.end()) {
          cr.use_dw = lt_choice == -3;
        } else if (opt.autotune) {
          const bool saved_ran = p.ran_once;
          p.ran_once = false;
          auto t_of = [&](bool dw) {
            cr.use_dw = dw;
            return TimeStep(p, i, e0, e1);
          };
          float t_dnn = t_of(false), t_dw = t_of(true);
          p.ran_once = saved_ran;
          cudaGetLastError();
          cr.use_dw = t_dw < t_dnn;
          std::ostringstream how;
          how << (cr.use_dw ? "our depthwise kernel " : "") << (cr.use_dw ? t_dw : t_dnn) << " ms vs " << (cr.use_dw ? "cuDNN " : "our depthwise ")
              << (cr.use_dw ? t_dnn : t_dw) << " ms";
          cr.how = how.str();
          cache[key.str()] += cr.use_dw ? " -3" : " -1";
          cache_dirty = true;
        }
      }
      if (LtCandidate(st, x) && (opt.autotune || lt_choice >= 0)) {
        EI_RETURN_IF_ERROR(SetupLtConv(p, i, hit != cache.end() ? lt_choice : -2, key.str(), e0, e1));
        if (cr.use_lt) need_ws = std::max(need_ws, cr.lws);
      }
      // The cuDNN graph API: conv + bias + residual + activation as one fused operation graph, built
      // when the chain fits and timed against the path chosen above (CudaOptions::cudnn_graph).
      if (fk == KType::kF16 && opt.cudnn_graph > 0 && st.group == 1 && !st.pool.on && !cr.use_dw) {
        cuda::ConvGraphDesc gd;
        gd.io_type = CUDNN_DATA_HALF;
        gd.n = x[0];
        gd.c = x[1];
        gd.h = x[2];
        gd.w = x[3];
        gd.k = st.k;
        gd.r = st.r;
        gd.s = st.s;
        gd.oh = o.oh;
        gd.ow = o.ow;
        gd.pre_pad[0] = o.pb;
        gd.pre_pad[1] = o.qb;
        gd.post_pad[0] = o.pe;
        gd.post_pad[1] = o.qe;
        gd.stride[0] = st.strides[0];
        gd.stride[1] = st.strides[1];
        gd.dilation[0] = st.dil[0];
        gd.dilation[1] = st.dil[1];
        gd.bias = st.bias_cd != nullptr;
        gd.residual = st.residual;
        gd.act = st.act;
        const std::string gkey = "cudnn graph " + key.str() + " act" + std::to_string(static_cast<int>(st.act.kind)) + (st.residual ? " res" : "") +
                                 (gd.bias ? " bias" : "");
        auto gh = cache.find(gkey);
        const bool forced = opt.cudnn_graph == 2;
        if (cuda::ConvGraphSupported(gd, nullptr) && (forced || (gh == cache.end() ? opt.autotune : gh->second == "1"))) {
          auto built = cuda::CudnnConvGraph::Build(dnn, gd, static_cast<int64_t>(p.ws_bytes));
          if (built.ok()) {
            cr.graph = *built;
            bool use = forced || gh != cache.end();
            std::string timing;
            if (!forced && gh == cache.end()) {
              auto t_of = [&](bool g) {
                cr.use_graph = g;
                return TimeStep(p, i, e0, e1);
              };
              const float t_cur = t_of(false), t_graph = t_of(true);
              cudaGetLastError();
              use = t_graph < t_cur;
              timing = " " + std::to_string(t_graph) + " ms vs " + std::to_string(t_cur) + " ms";
              cache[gkey] = use ? "1" : "0";
              cache_dirty = true;
            }
            cr.use_graph = use;
            if (use) {
              need_ws = std::max(need_ws, static_cast<size_t>(cr.graph->workspace_bytes()));
              cr.how = cr.graph->engine() + timing;
            } else {
              cr.graph.reset();
            }
          } else if (forced) {
            cr.how += " (" + built.status().message() + ")";
          } else if (gh == cache.end()) {
            cache[gkey] = "0";
            cache_dirty = true;
          }
        }
      }
    } else if (st.kind == SK::kConvInt8 || st.kind == SK::kGemmInt8) {
      LtRun& L = p.lt[i];
      const auto& x = p.dims[static_cast<size_t>(st.in[0])];
      int lda = st.ldw;
      if (st.kind == SK::kConvInt8 || st.c % 16 == 0) {
        // Our fused kernels (implicit GEMM on tensor cores, or direct for grouped layers).
        L.direct = true;
        L.im2col = st.kind == SK::kConvInt8 && st.group == 1 && st.c % 16 != 0;
        L.how = st.w_dw ? "depthwise int8 kernel, fused requant" : st.group != 1 ? "direct grouped int8 kernel, fused requant" : (L.im2col ? "im2col + implicit-GEMM int8 mma.sync, fused requant" : "implicit-GEMM int8 mma.sync, fused requant");
        // Few input channels: the implicit GEMM can gather the input byte by byte itself (no column
        // matrix) when the reduction is short; timed against im2col + implicit GEMM.
        if (L.im2col && st.r * st.s * st.c <= 1024 && st.r * st.dil[0] < 1024 && st.s * st.dil[1] < 1024) {
          ConvOut o = ConvOutDims(st, x);
          std::ostringstream gk;
          gk << "int8 gather n" << x[0] * o.oh * o.ow << " c" << st.c << " k" << st.k << " r" << st.r << "x" << st.s << " s" << st.strides[0]
             << (opt.int8_exact_epilogue ? "" : " float-epilogue");
          auto gh = cache.find(gk.str());
          if (gh != cache.end()) {
            L.im2col = gh->second == "im2col";
          } else if (opt.autotune) {
            L.im2col = true;
            const float t_col = TimeStep(p, i, e0, e1);
            L.im2col = false;
            const float t_gather = TimeStep(p, i, e0, e1);
            L.im2col = t_col <= t_gather;
            cache[gk.str()] = L.im2col ? "im2col" : "gather";
            cache_dirty = true;
            L.how = (L.im2col ? "im2col + implicit-GEMM int8 mma.sync, fused requant " : "implicit-GEMM int8 mma.sync gathering bytes, fused requant ") +
                    std::to_string(std::min(t_col, t_gather)) + " ms vs " + std::to_string(std::max(t_col, t_gather)) + " ms";
          }
          if (!L.im2col && gh != cache.end()) L.how = "implicit-GEMM int8 mma.sync gathering bytes, fused requant";
        }
        if (st.kind != SK::kConvInt8 || Int8LtScratch(st, static_cast<int64_t>(Prod(p.dims[static_cast<size_t>(st.out)])) / st.k) == 0 || st.pool.on) {
          // No cuBLASLt alternative: still time the implicit GEMM's N tile (128 against 64).
          if (st.kind == SK::kConvInt8 && st.group == 1 && !st.w_dw && st.k > 64) {
            ConvOut o = ConvOutDims(st, x);
            std::ostringstream tk;
            tk << "int8 tile n" << x[0] * o.oh * o.ow << " c" << st.c << " k" << st.k << " r" << st.r << "x" << st.s << " s" << st.strides[0]
               << (st.residual ? " res" : "") << (opt.int8_exact_epilogue ? "" : " float-epilogue");
            auto th = cache.find(tk.str());
            if (th != cache.end()) {
              L.tile_n = std::atoi(th->second.c_str());
            } else if (opt.autotune) {
              auto t_of = [&](int tile) {
                L.tile_n = tile;
                return TimeStep(p, i, e0, e1);
              };
              const float t128 = t_of(128), t64 = t_of(64);
              L.tile_n = t64 < t128 ? 64 : 128;
              L.how += " (N tile " + std::to_string(L.tile_n) + ": " + std::to_string(std::min(t64, t128)) + " ms vs " + std::to_string(std::max(t64, t128)) + " ms)";
              cache[tk.str()] = std::to_string(L.tile_n);
              cache_dirty = true;
            }
          }
          EI_RETURN_IF_ERROR(SetupLt8(p, i, e0, e1, &need_ws));
          continue;
        }
      }
      const std::string direct_how = L.how;   // our kernel's description; L.how becomes cuBLASLt's below
      if (st.kind == SK::kConvInt8) {
        ConvOut o = ConvOutDims(st, x);
        L.m = st.k;
        L.n = static_cast<int>(x[0] * o.oh * o.ow);
        bool plain = Int8LtPlain(st);
        L.lt_im2col = !plain;
        L.kd = plain ? st.c : st.ldw;
        L.ldb = L.kd;
      } else {
        L.m = st.k;
        L.n = static_cast<int>(Prod(x) / st.c);
        L.kd = st.c;
        L.ldb = st.c;
      }
      cublasLtMatmulDescCreate(&L.op, CUBLAS_COMPUTE_32I, CUDA_R_32I);
      cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
      BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
      BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a, CUDA_R_8I, L.kd, L.m, lda));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b, CUDA_R_8I, L.kd, L.n, L.ldb));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.c, CUDA_R_32I, L.m, L.n, L.m));
      size_t lt_ws = 0;
      cublasLtMatmulHeuristicResult_t res[8];
      const int got = LtHeuristics(L.op, L.a, L.b, L.c, p, &lt_ws, res, 8);
      if (got == 0) return Status::Error(st.label + ": cuBLASLt has no INT8 algorithm for m=" + std::to_string(L.m) + " n=" + std::to_string(L.n) + " k=" + std::to_string(L.kd));
      std::ostringstream key;
      key << "lt int8 m" << L.m << " n" << L.n << " k" << L.kd << " lda" << lda << " ldb" << L.ldb;
      int best = 0;
      auto hit = cache.find(key.str());
      if (hit != cache.end()) {
        best = std::min(std::atoi(hit->second.c_str()), got - 1);
        L.how = "cached";
      } else if (opt.autotune && got > 1) {
        const int32_t ione = 1, izero = 0;
        float best_ms = 1e30f;
        // The same buffers RunStep uses: acc at the scratch start, the im2col matrix after it.
        int32_t* cptr = reinterpret_cast<int32_t*>(p.arena + p.scratch_off);
        const int8_t* bptr = static_cast<const int8_t*>(Ptr(p, st.in[0]));
        if (L.lt_im2col) {   // the real im2col matrix, so the timing sees real data
          ConvOut o = ConvOutDims(st, x);
          (void)cuda::Im2ColInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), reinterpret_cast<int8_t*>(p.arena + p.scratch_off + AlignUp(static_cast<size_t>(L.n) * st.k * 4, 256)),
                                 Geom(st, x, o.oh, o.ow, o.pb, o.qb), st.ldw, stream);
          bptr = reinterpret_cast<const int8_t*>(p.arena + p.scratch_off + AlignUp(static_cast<size_t>(L.n) * st.k * 4, 256));
        }
        for (int j = 0; j < got; ++j) {
          if (res[j].workspaceSize > lt_ws) continue;
          cudaEventRecord(e0, stream);
          bool ok = true;
          for (int rep = 0; rep < 3 && ok; ++rep)
            ok = cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, bptr, L.b, &izero, cptr, L.c, cptr, L.c, &res[j].algo, p.arena + p.ws_off, lt_ws, stream) == CUBLAS_STATUS_SUCCESS;
          cudaEventRecord(e1, stream);
          CU_CHECK(cudaEventSynchronize(e1));
          float ms = 0.f;
          cudaEventElapsedTime(&ms, e0, e1);
          if (ok && ms < best_ms) { best_ms = ms; best = j; }
        }
        cudaGetLastError();
        std::ostringstream how;
        how << "tuned " << best_ms / 3 << " ms (of " << got << ")";
        L.how = how.str();
        cache[key.str()] = std::to_string(best);
        cache_dirty = true;
      } else {
        L.how = "heuristic";
      }
      L.algo = res[best].algo;
      L.has_algo = true;
      L.ws = res[best].workspaceSize;
      need_ws = std::max(need_ws, L.ws);
      L.lt_ok = true;
      if (L.direct) {
        // Our fused kernel against im2col + cuBLASLt + our requantization, as each will run.
        const std::string pkey = "int8 path " + key.str() + " k" + std::to_string(st.r) + "x" + std::to_string(st.s) + " s" + std::to_string(st.strides[0]) +
                                 (opt.int8_exact_epilogue ? "" : " float-epilogue");
        auto ph = cache.find(pkey);
        if (ph != cache.end() || !opt.autotune) {
          L.use_lt = ph != cache.end() && ph->second == "cublaslt";
          L.tile_n = ph == cache.end() ? 0 : ph->second == "fused64" ? 64 : ph->second == "fused128" ? 128 : 0;
          if (!L.use_lt) L.how = direct_how + (ph != cache.end() ? " (cached)" : "");
        } else {
          auto t_of = [&](bool use, int tile) {
            L.use_lt = use;
            L.tile_n = tile;
            return TimeStep(p, i, e0, e1);
          };
          // N tile 128 (more reuse per block) against 64 (fewer accumulators per thread: more blocks
          // per SM to hide the epilogue), where K leaves a choice.
          float t_ours = t_of(false, 0);
          if (st.k > 64 && st.group == 1 && !st.w_dw) {
            const float t64 = t_of(false, 64);
            if (t64 < t_ours) {
              t_ours = t64;
              L.tile_n = 64;
            } else {
              L.tile_n = 128;
            }
          }
          const int tile = L.tile_n;
          float t_lt = t_of(true, 0);
          L.use_lt = t_lt < t_ours;
          L.tile_n = L.use_lt ? 0 : tile;
          std::ostringstream how;
          how << (L.use_lt ? "cuBLASLt int8 (" + L.how + ") + requant kernel " : direct_how + (tile ? " (N tile " + std::to_string(tile) + ") " : " "))
              << std::min(t_ours, t_lt) << " ms vs " << std::max(t_ours, t_lt) << " ms";
          L.how = how.str();
          cache[pkey] = L.use_lt ? "cublaslt" : tile == 64 ? "fused64" : tile == 128 ? "fused128" : "fused";
          cache_dirty = true;
        }
        EI_RETURN_IF_ERROR(SetupLt8(p, i, e0, e1, &need_ws));
        if (L.use_lt8) L.use_lt = false;
        if (!L.use_lt) continue;
        L.direct = false;
      }
    }
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  (void)one;
  (void)zero;
  // Re-allocate the arena at its final size: activations + scratch + the largest chosen workspace.
  CU_CHECK(cudaStreamSynchronize(stream));
  CU_CHECK(cudaFree(p.arena));
  p.arena = nullptr;
  p.ws_bytes = AlignUp(need_ws, 256);
  p.arena_bytes = p.ws_off + p.ws_bytes;
  CU_CHECK(cudaMalloc(reinterpret_cast<void**>(&p.arena), p.arena_bytes));
  CU_CHECK(cudaMemset(p.arena, 0, p.arena_bytes));
  return Status::Ok();
}

}  // namespace edgeinfer::devices
