// CUDA executor, running: RunStep (one step's kernels or library calls on the planned arena),
// RunSteps, and Run (eager first run, then CUDA graph capture and replay).
#include "devices/cuda/executor.h"

namespace edgeinfer::devices {

Status CudaDevice::Impl::RunLtConv(BatchPlan& p, size_t i) {
  const Step& st = steps[i];
  ConvRun& cr = p.conv[i];
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  ConvOut o = ConvOutDims(st, x);
  const void* b = Ptr(p, st.in[0]);
  if (cr.lt_im2col) {
    void* col = p.arena + p.scratch_off;
    cudaError_t e = cuda::Im2Col16(b, col, Geom(st, x, o.oh, o.ow, o.pb, o.qb), st.ldg, stream);
    if (e != cudaSuccess) return Status::Error(st.label + ": im2col: " + cudaGetErrorString(e));
    b = col;
  }
  void* y = Ptr(p, st.out);
  const void* c = st.residual ? Ptr(p, st.in[1]) : y;
  const float one = 1.f, beta = st.residual ? 1.f : 0.f;
  BLAS_CHECK(cublasLtMatmul(lt, cr.lop, &one, st.w_gemm, cr.la, b, cr.lb, &beta, c, cr.lc, y, cr.lc, &cr.lalgo, p.arena + p.ws_off, cr.lws, stream));
  if (st.act.kind != KAct::kNone && st.act.kind != KAct::kRelu) {
    const int64_t count = x[0] * st.k * o.oh * o.ow;
    cudaError_t e = cuda::Activation(y, y, fk, count, st.act, stream);
    if (e != cudaSuccess) return Status::Error(st.label + ": activation: " + cudaGetErrorString(e));
  }
  return Status::Ok();
}

Status CudaDevice::Impl::RunStep(BatchPlan& p, size_t i) {
  const Step& st = steps[i];
  cudaStream_t s = stream;
  auto& D = p.dims;
  auto KC = [&](cudaError_t e) -> Status {
    if (e == cudaSuccess) return Status::Ok();
    return Status::Error(st.label + ": CUDA kernel launch failed: " + cudaGetErrorString(e));
  };
  switch (st.kind) {
    case SK::kInput: {
      if (st.skip) return Status::Ok();
      ValueId v = st.out;
      const auto& d = D[static_cast<size_t>(v)];
      KType ht = ToK(g->value(v).dtype);
      void* src = p.arena + p.host_off[static_cast<size_t>(v)];
      void* dst = Ptr(p, v);
      if (nhwc[static_cast<size_t>(v)]) return KC(cuda::NchwToNhwc(src, ht, dst, vtype[static_cast<size_t>(v)], static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2]), static_cast<int>(d[3]), s));
      if (ht == vtype[static_cast<size_t>(v)]) return KC(cudaMemcpyAsync(dst, src, static_cast<size_t>(Prod(d)) * KSize(ht), cudaMemcpyDeviceToDevice, s));
      return KC(cuda::Convert(src, ht, dst, vtype[static_cast<size_t>(v)], Prod(d), s));
    }
    case SK::kOutput: {
      ValueId v = st.in[0];
      const auto& d = D[static_cast<size_t>(v)];
      KType ht = ToK(g->value(v).dtype);
      void* dst = p.arena + p.host_off[static_cast<size_t>(v)];
      const void* src = Ptr(p, v);
      if (nhwc[static_cast<size_t>(v)] && d.size() == 4) return KC(cuda::NhwcToNchw(src, vtype[static_cast<size_t>(v)], dst, ht, static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2]), static_cast<int>(d[3]), s));
      if (ht == vtype[static_cast<size_t>(v)]) return KC(cudaMemcpyAsync(dst, src, static_cast<size_t>(Prod(d)) * KSize(ht), cudaMemcpyDeviceToDevice, s));
      return KC(cuda::Convert(src, vtype[static_cast<size_t>(v)], dst, ht, Prod(d), s));
    }
    case SK::kConv: {
      ConvRun& cr = p.conv[i];
      if (cr.use_graph) {
        const cudnnStatus_t e = cr.graph->Run(dnn, Ptr(p, st.in[0]), st.w_dev, st.bias_cd, st.residual ? Ptr(p, st.in[1]) : nullptr, Ptr(p, st.out),
                                              p.arena + p.ws_off);
        if (e != CUDNN_STATUS_SUCCESS) return Status::Error(st.label + ": cuDNN graph execute: " + cudnnGetErrorString(e));
        return Status::Ok();
      }
      if (cr.use_lt) return RunLtConv(p, i);
      if (cr.use_dw) {
        const auto& x0 = D[static_cast<size_t>(st.in[0])];
        ConvOut o0 = ConvOutDims(st, x0);
        return KC(cuda::DepthwiseConv(Ptr(p, st.in[0]), st.w_dw, fk, Geom(st, x0, o0.oh, o0.ow, o0.pb, o0.qb), st.bias_f32,
                                      st.residual ? Ptr(p, st.in[1]) : nullptr, st.act, Ptr(p, st.out), s));
      }
      const auto& x = D[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      void* y = st.pool.on ? static_cast<void*>(p.arena + p.scratch_off) : Ptr(p, st.out);
      const void* res = st.residual ? Ptr(p, st.in[1]) : nullptr;
      const float one = 1.f, zero = 0.f, a2 = res ? 1.f : 0.f;
      if (cr.fused) {
        cudnnStatus_t e = cudnnConvolutionBiasActivationForward(dnn, &one, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.algo, p.arena + p.ws_off, cr.ws,
                                                                &a2, cr.y, res ? res : y, cr.b, st.bias_cd, cr.act, cr.y, y);
        if (e == CUDNN_STATUS_SUCCESS) return Status::Ok();
        if (p.ran_once) return Status::Error(st.label + ": cudnnConvolutionBiasActivationForward: " + cudnnGetErrorString(e));
        cr.fused = false;   // first (eager) run: fall back to convolution + our epilogue
        cr.how += " (fused call refused: " + std::string(cudnnGetErrorString(e)) + ")";
      }
      DNN_CHECK(cudnnConvolutionForward(dnn, &one, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.algo, p.arena + p.ws_off, cr.ws, &zero, cr.y, y));
      const int64_t count = x[0] * st.k * o.oh * o.ow;
      if (st.pool.on) {
        std::vector<int64_t> cd = {x[0], st.k, o.oh, o.ow};
        return KC(cuda::BiasActPool(y, Ptr(p, st.out), fk, st.bias_f32, st.act, MakePool(st.pool, cd), s));
      }
      return KC(cuda::BiasActResidual(y, fk, st.bias_f32, res, count, st.k, st.act, s));
    }
    case SK::kConvInt8: {
      LtRun& L = p.lt[i];
      const auto& x = D[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      cuda::ConvGeom geo = Geom(st, x, o.oh, o.ow, o.pb, o.qb);
      const int64_t m = x[0] * o.oh * o.ow;
      char* sc = p.arena + p.scratch_off;
      const int8_t* xin = static_cast<const int8_t*>(Ptr(p, st.in[0]));
      cuda::KEpilogue epi;
      epi.bias = st.bias_i32;
      epi.mult = st.mult_dev;
      epi.res = st.residual ? static_cast<const int8_t*>(Ptr(p, st.in[1])) : nullptr;
      epi.res_mult = st.res_mult;
      epi.act = st.iact;
      epi.fmult = st.fmult_dev;
      epi.res_fmult = st.res_fmult;
      int8_t* y = static_cast<int8_t*>(Ptr(p, st.out));
      if (L.use_lt8) {   // float epilogue: cuBLASLt writes int8 (alpha per channel, bias, residual as C, ReLU)
        const float beta = st.residual ? st.res_fmult : 0.f;
        const void* cin = st.residual ? Ptr(p, st.in[1]) : static_cast<const void*>(y);
        BLAS_CHECK(cublasLtMatmul(lt, L.op8, st.fmult_dev, st.w_dev, L.a8, xin, L.b8, &beta, cin, L.c8, y, L.c8, &L.algo8, p.arena + p.ws_off, L.ws8, s));
        return Status::Ok();
      }
      if (L.use_lt) {   // im2col + cuBLASLt int8 -> int32, then our requantization
        int32_t* acc = reinterpret_cast<int32_t*>(sc);
        const int8_t* bmat = xin;
        if (L.lt_im2col) {
          int8_t* col = reinterpret_cast<int8_t*>(sc + AlignUp(static_cast<size_t>(m) * st.k * 4, 256));
          EI_RETURN_IF_ERROR(KC(cuda::Im2ColInt8(xin, col, geo, st.ldw, s)));
          bmat = col;
        }
        const int32_t ione = 1, izero = 0;
        BLAS_CHECK(cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, bmat, L.b, &izero, acc, L.c, acc, L.c, &L.algo, p.arena + p.ws_off, L.ws, s));
        return KC(cuda::Requantize(acc, m, st.k, st.bias_i32, st.mult_dev, epi.res, st.res_mult, st.iact, y, s));
      }
      if (st.pool.on) {
        y = reinterpret_cast<int8_t*>(sc + (L.im2col ? AlignUp(static_cast<size_t>(m) * st.ldw, 256) : 0));
      }
      if (st.w_dw) {
        EI_RETURN_IF_ERROR(KC(cuda::DepthwiseConvInt8(xin, static_cast<const int8_t*>(st.w_dw), geo, epi, y, s)));
      } else if (st.group != 1) {
        EI_RETURN_IF_ERROR(KC(cuda::GroupConvInt8Fused(xin, static_cast<const int8_t*>(st.w_dev), geo, epi, y, s)));
      } else if (L.im2col) {
        int8_t* col = reinterpret_cast<int8_t*>(sc);
        EI_RETURN_IF_ERROR(KC(cuda::Im2ColInt8(xin, col, geo, st.ldw, s)));
        cuda::ConvGeom g1 = geo;   // the column matrix as an NHWC image of ldw channels, 1x1 kernel
        g1.h = geo.oh;
        g1.w = geo.ow;
        g1.c = st.ldw;
        g1.r = g1.s = g1.sh = g1.sw = g1.dh = g1.dw = 1;
        g1.ph = g1.pw = 0;
        EI_RETURN_IF_ERROR(KC(cuda::ConvInt8Fused(col, static_cast<const int8_t*>(st.w_dev), st.ldw, g1, epi, y, s, L.tile_n)));
      } else {
        EI_RETURN_IF_ERROR(KC(cuda::ConvInt8Fused(xin, static_cast<const int8_t*>(st.w_dev), st.ldw, geo, epi, y, s, L.tile_n)));
      }
      if (st.pool.on) {
        std::vector<int64_t> cd = {x[0], st.k, o.oh, o.ow};
        return KC(cuda::Pool(y, Ptr(p, st.out), KType::kI8, MakePool(st.pool, cd), s));
      }
      return Status::Ok();
    }
    case SK::kGemm: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const int m = static_cast<int>(Prod(x) / st.c);
      const float one = 1.f, zero = 0.f;
      cudaDataType_t t = fk == KType::kF16 ? CUDA_R_16F : CUDA_R_32F;
      cublasComputeType_t ct = fk == KType::kF16 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_PEDANTIC;
      BLAS_CHECK(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, st.k, m, st.c, &one, st.w_dev, t, st.c, Ptr(p, st.in[0]), t, st.c, &zero, Ptr(p, st.out), t, st.k,
                              ct, CUBLAS_GEMM_DEFAULT));
      return KC(cuda::BiasActResidual(Ptr(p, st.out), fk, st.bias_f32, nullptr, static_cast<int64_t>(m) * st.k, st.k, st.act, s));
    }
    case SK::kGemmInt8: {
      LtRun& L = p.lt[i];
      if (L.direct) {   // as a 1x1 convolution over M "pixels" of K channels
        const auto& x = D[static_cast<size_t>(st.in[0])];
        cuda::ConvGeom g1{};
        g1.n = static_cast<int>(Prod(x) / st.c);
        g1.h = g1.w = g1.oh = g1.ow = 1;
        g1.c = st.c;
        g1.k = st.k;
        g1.r = g1.s = g1.sh = g1.sw = g1.dh = g1.dw = g1.group = 1;
        cuda::KEpilogue epi;
        epi.bias = st.bias_i32;
        epi.mult = st.mult_dev;
        epi.act = st.iact;
        epi.fmult = st.fmult_dev;
        return KC(cuda::ConvInt8Fused(static_cast<const int8_t*>(Ptr(p, st.in[0])), static_cast<const int8_t*>(st.w_dev), st.ldw, g1, epi,
                                      static_cast<int8_t*>(Ptr(p, st.out)), s, L.tile_n));
      }
      int32_t* acc = reinterpret_cast<int32_t*>(p.arena + p.scratch_off);
      const int32_t ione = 1, izero = 0;
      BLAS_CHECK(cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, Ptr(p, st.in[0]), L.b, &izero, acc, L.c, acc, L.c, &L.algo, p.arena + p.ws_off, L.ws, s));
      return KC(cuda::Requantize(acc, L.n, st.k, st.bias_i32, st.mult_dev, nullptr, st.res_mult, st.iact, static_cast<int8_t*>(Ptr(p, st.out)), s));
    }
    case SK::kPool:
      return KC(cuda::Pool(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], MakePool(st.pool, D[static_cast<size_t>(st.in[0])]), s));
    case SK::kGlobalPool: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8 && vtype[static_cast<size_t>(st.out)] == KType::kI8 && st.gap_requant) {
        auto m = int8::GlobalAveragePoolMultiplier(st.gap_x_scale, st.gap_y_scale, x[2] * x[3]);
        if (!m.ok()) return m.status().WithContext(st.label);
        return KC(cuda::GlobalAvgPoolInt8Requant(static_cast<const int8_t*>(Ptr(p, st.in[0])), static_cast<int8_t*>(Ptr(p, st.out)),
                                                 static_cast<int>(x[0]), static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]),
                                                 m->multiplier, m->shift, s));
      }
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8 && vtype[static_cast<size_t>(st.out)] == KType::kI8) {
        PoolAttr whole;
        whole.kind = 1;
        whole.k[0] = static_cast<int>(x[2]);
        whole.k[1] = static_cast<int>(x[3]);
        return KC(cuda::Pool(Ptr(p, st.in[0]), Ptr(p, st.out), KType::kI8, MakePool(whole, x), s));
      }
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8)   // a dequantize folded in (BuildSteps)
        return KC(cuda::GlobalAvgPoolInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], static_cast<int>(x[0]),
                                          static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]), st.qscale, s));
      return KC(cuda::GlobalAvgPool(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], static_cast<int>(x[0]), static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]), s));
    }
    case SK::kAct:
      return KC(cuda::Activation(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], Prod(D[static_cast<size_t>(st.in[0])]), st.act, s));
    case SK::kBinary: {
      const auto& od = D[static_cast<size_t>(st.out)];
      const bool onhwc = nhwc[static_cast<size_t>(st.out)] && od.size() == 4;
      cuda::BroadcastDesc bd;
      bd.rank = static_cast<int>(od.size());
      std::vector<int64_t> sdims = StorageDims(od, onhwc);
      for (int k = 0; k < bd.rank; ++k) bd.out_dims[k] = sdims[static_cast<size_t>(k)];
      for (int which = 0; which < 2; ++which) {
        ValueId v = st.in[static_cast<size_t>(which)];
        std::vector<int64_t> d = D[static_cast<size_t>(v)];
        const bool vn = nhwc[static_cast<size_t>(v)] && d.size() == 4;
        // Logical strides of the operand in its own storage.
        std::vector<int64_t> lst(d.size());
        std::vector<int64_t> sd = StorageDims(d, vn);
        std::vector<int64_t> sst = ContiguousStrides(sd);
        for (size_t a = 0; a < d.size(); ++a) lst[a] = vn ? sst[static_cast<size_t>(StorageAxis(static_cast<int>(a), true))] : sst[a];
        // Right-align to the output rank; broadcast axes get stride 0.
        std::vector<int64_t> full(od.size(), 0);
        for (size_t a = 0; a < d.size(); ++a) {
          size_t oa = od.size() - d.size() + a;
          full[oa] = d[a] == 1 && od[oa] != 1 ? 0 : lst[a];
        }
        for (int k = 0; k < bd.rank; ++k) {
          int la = onhwc ? kPerm[k] : k;
          (which == 0 ? bd.a_strides : bd.b_strides)[k] = full[static_cast<size_t>(la)];
        }
      }
      return KC(cuda::Binary(st.bop, Ptr(p, st.in[0]), Ptr(p, st.in[1]), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], bd, s));
    }
    case SK::kSoftmax: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const bool vn = nhwc[static_cast<size_t>(st.in[0])] && x.size() == 4;
      int ax = st.axis < 0 ? st.axis + static_cast<int>(x.size()) : st.axis;
      int sa = StorageAxis(ax, vn);
      std::vector<int64_t> sd = StorageDims(x, vn);
      return KC(cuda::Softmax(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], Prod(sd, 0, static_cast<size_t>(sa)), sd[static_cast<size_t>(sa)],
                              Prod(sd, static_cast<size_t>(sa) + 1), s));
    }
    case SK::kConcat: {
      const auto& od = D[static_cast<size_t>(st.out)];
      const bool vn = nhwc[static_cast<size_t>(st.out)] && od.size() == 4;
      int ax = st.axis < 0 ? st.axis + static_cast<int>(od.size()) : st.axis;
      int sa = StorageAxis(ax, vn);
      std::vector<int64_t> sod = StorageDims(od, vn);
      const int64_t outer = Prod(sod, 0, static_cast<size_t>(sa));
      const int64_t out_len = Prod(sod, static_cast<size_t>(sa));
      const int eb = static_cast<int>(KSize(vtype[static_cast<size_t>(st.out)]));
      int64_t offset = 0;
      for (ValueId v : st.in) {
        std::vector<int64_t> sd = StorageDims(D[static_cast<size_t>(v)], vn);
        int64_t len = Prod(sd, static_cast<size_t>(sa));
        if (!p.in_place[static_cast<size_t>(v)])   // else its producer wrote it there (BuildArena)
          EI_RETURN_IF_ERROR(KC(cuda::ConcatPart(Ptr(p, v), Ptr(p, st.out), eb, outer, len, out_len, offset, s)));
        offset += len;
      }
      return Status::Ok();
    }
    case SK::kResize: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const auto& y = D[static_cast<size_t>(st.out)];
      cuda::ResizeDesc d = st.rz;
      d.n = static_cast<int>(x[0]);
      d.c = static_cast<int>(x[1]);
      d.h = static_cast<int>(x[2]);
      d.w = static_cast<int>(x[3]);
      d.oh = static_cast<int>(y[2]);
      d.ow = static_cast<int>(y[3]);
      d.scale_h = st.rz_scales.empty() ? static_cast<float>(y[2]) / static_cast<float>(x[2]) : st.rz_scales[2];
      d.scale_w = st.rz_scales.empty() ? static_cast<float>(y[3]) / static_cast<float>(x[3]) : st.rz_scales[3];
      return KC(cuda::Resize(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], d, s));
    }
    case SK::kReshape: {
      if (alias[static_cast<size_t>(st.out)] != kNoValue) return Status::Ok();
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const auto& y = D[static_cast<size_t>(st.out)];
      KType t = vtype[static_cast<size_t>(st.in[0])];
      if (nhwc[static_cast<size_t>(st.in[0])] && x.size() == 4 && x[2] * x[3] > 1)
        return KC(cuda::NhwcToNchw(Ptr(p, st.in[0]), t, Ptr(p, st.out), t, static_cast<int>(x[0]), static_cast<int>(x[1]), static_cast<int>(x[2]), static_cast<int>(x[3]), s));
      if (nhwc[static_cast<size_t>(st.out)] && y.size() == 4 && y[2] * y[3] > 1)
        return KC(cuda::NchwToNhwc(Ptr(p, st.in[0]), t, Ptr(p, st.out), t, static_cast<int>(y[0]), static_cast<int>(y[1]), static_cast<int>(y[2]), static_cast<int>(y[3]), s));
      return KC(cudaMemcpyAsync(Ptr(p, st.out), Ptr(p, st.in[0]), static_cast<size_t>(Prod(x)) * KSize(t), cudaMemcpyDeviceToDevice, s));
    }
    case SK::kTranspose:
    case SK::kSplit:
    case SK::kSlice: {
      const ValueId xv = st.in[0];
      const auto& x = D[static_cast<size_t>(xv)];
      const auto& y = D[static_cast<size_t>(st.out)];
      const bool xn = nhwc[static_cast<size_t>(xv)] && !const_dev[static_cast<size_t>(xv)];
      std::vector<int64_t> src_axis = TransposePerm(st, x.size());
      if (st.kind != SK::kTranspose) {   // Split and Slice gather along the same axes
        src_axis.resize(x.size());
        std::iota(src_axis.begin(), src_axis.end(), int64_t{0});
      }
      int64_t offset = 0;
      if (st.kind == SK::kSplit) {
        const int ax = st.axis < 0 ? st.axis + static_cast<int>(x.size()) : st.axis;
        std::vector<int64_t> sizes;
        EI_RETURN_IF_ERROR(SplitSizesOf(st, x[static_cast<size_t>(ax)], &sizes));
        for (int j = 0; j < st.split_index; ++j) offset += sizes[static_cast<size_t>(j)];
        offset *= LogicalStrides(x, xn)[static_cast<size_t>(ax)];
      }
      cuda::CopyDesc cd = GatherDesc(x, xn, y, nhwc[static_cast<size_t>(st.out)], src_axis, offset);
      if (st.kind == SK::kSlice) {   // start offset and per-axis steps on the identity gather
        EI_ASSIGN_OR_RETURN(ops::SliceParams sp, ops::ResolveSlice(x, st.slice_starts, st.slice_ends, st.slice_axes, st.slice_steps));
        const std::vector<int64_t> lst = LogicalStrides(x, xn);
        cd.in_offset = 0;
        for (size_t a = 0; a < x.size(); ++a) cd.in_offset += sp.start[a] * lst[a];
        const bool yn = nhwc[static_cast<size_t>(st.out)] && y.size() == 4;
        for (int k = 0; k < cd.rank; ++k) cd.in_strides[k] *= sp.step[static_cast<size_t>(yn ? kPerm[k] : k)];
      }
      return KC(cuda::StridedCopy(Ptr(p, xv), Ptr(p, st.out), static_cast<int>(KSize(vtype[static_cast<size_t>(st.out)])), cd, s));
    }
    case SK::kQuantize:
      if (st.from_staging) {
        const ValueId v = st.in[0];
        const auto& d = D[static_cast<size_t>(v)];
        return KC(cuda::QuantizeNchwToNhwcInt8(p.arena + p.host_off[static_cast<size_t>(v)], ToK(g->value(v).dtype), static_cast<int8_t*>(Ptr(p, st.out)),
                                               static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2] * d[3]), st.qscale, s));
      }
      return KC(cuda::QuantizeInt8(Ptr(p, st.in[0]), vtype[static_cast<size_t>(st.in[0])], static_cast<int8_t*>(Ptr(p, st.out)), Prod(D[static_cast<size_t>(st.in[0])]), st.qscale, s));
    case SK::kDequantize:
      if (st.skip) return Status::Ok();
      return KC(cuda::DequantizeInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], Prod(D[static_cast<size_t>(st.in[0])]), st.qscale, s));
  }
  return Status::Ok();
}

Status CudaDevice::Impl::RunSteps(BatchPlan& p, bool first) {
  for (size_t i = 0; i < steps.size(); ++i) {
    Status s = RunStep(p, i);
    if (!s.ok()) return s;
    if (first) {   // eager first run: find the failing step by name, not at the end of the graph
      cudaError_t e = cudaStreamSynchronize(stream);
      if (e != cudaSuccess) return Status::Error(steps[i].label + ": " + cudaGetErrorString(e));
    }
  }
  return Status::Ok();
}

Status CudaDevice::Impl::Run(int n) {
  EI_RETURN_IF_ERROR(PlanBatch(n));
  BatchPlan& p = plans[n];
  BLAS_CHECK(cublasSetWorkspace(blas, p.arena + p.ws_off, p.ws_bytes));
  if (p.exec) {
    CU_CHECK(cudaGraphLaunch(p.exec, stream));
    return Status::Ok();
  }
  if (!p.ran_once) {
    EI_RETURN_IF_ERROR(RunSteps(p, true));
    p.ran_once = true;
    if (opt.cuda_graphs) {
      cudaGraph_t graph = nullptr;
      CU_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      Status s = RunSteps(p, false);
      cudaError_t e = cudaStreamEndCapture(stream, &graph);
      if (s.ok() && e == cudaSuccess) e = cudaGraphInstantiate(&p.exec, graph, 0);
      if (graph) cudaGraphDestroy(graph);
      if (!s.ok() || e != cudaSuccess) {
        p.exec = nullptr;
        p.graph_note = "CUDA graph capture failed (" + (s.ok() ? std::string(cudaGetErrorString(e)) : s.message()) + "): running eagerly";
        cudaGetLastError();
      } else {
        p.graph_note = "CUDA graph captured";
      }
    }
    return Status::Ok();
  }
  return RunSteps(p, false);
}

// ---------------------------------------------------------------------------------------------

}  // namespace edgeinfer::devices
