// The ordered pass list. Order matters; each entry says why it sits where it does.
#include "fusions/pass_list.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fusions/passes.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

const std::vector<PassEntry>& PassList() {
  static const std::vector<PassEntry> list = {
      {"convert_qdq", ConvertQdq,
       "first: an explicitly quantized (Q/DQ) model's scales must be read before folding and fusion hide "
       "them; activation Q/DQ pairs become exact scales (asymmetric ones widened to symmetric int8, a "
       "zero-point-at-qmin pair becomes the Relu it was), quantized weights become float constants with "
       "their own per-channel scales, so that the fusions see plain Conv-Add-Relu chains and quantize_int8 "
       "(which then runs at any --precision) rebuilds the model's integers",
       std::nullopt},
      {"constant_folding", ConstantFoldingPass,
       "early: later matchers test 'is this input a constant' (BN parameters, Clip bounds, pads)", std::nullopt},
      {"eliminate_identity", EliminateIdentity,
       "before every matcher: Identity/Dropout between a Conv and its BatchNorm or activation would "
       "break the single-consumer chains the folds and fusions look for",
       std::nullopt},
      {"reduce_to_global_pool", ReduceToGlobalPool,
       "canonical form before the matchers and engines: ReduceMean/Max over H,W is the global pooling "
       "every engine runs natively (and ConvBiasActPool-style matchers know)",
       std::nullopt},
      {"fold_batchnorm", FoldBatchNorm,
       "before the Conv fusions: Conv-BN-ReLU must first become Conv-ReLU; a lone BN becomes a "
       "depthwise 1x1 conv that can then take an activation",
       std::nullopt},
      {"fold_pad", FoldPad, "before the fusions: a Pad between X and a Conv/Pool would hide the Conv's input", std::nullopt},
      {"fold_scale_into_conv", FoldScaleIntoConv,
       "after BN folding (a BN exported as Mul+Add folds here instead) and before ConvEltwiseAct, which "
       "would otherwise take a bias Add for a residual",
       std::nullopt},
      {"matmul_add_to_gemm", MatMulAddToGemm, "before GemmBiasAct and Flatten normalisation, which look for Gemm", std::nullopt},
      {"normalize_gemm_input", NormalizeGemmInput, "after MatMul->Gemm so every Gemm input A is seen", std::nullopt},
      {"conv_eltwise_act", FuseConvEltwiseAct,
       "first fusion: Conv-Add-ReLU must be taken whole before ConvBiasAct could take a Conv", std::nullopt},
      {"conv_bias_act", FuseConvBiasAct, "after the residual fusion; before pool and horizontal fusion, which build on it", std::nullopt},
      {"horizontal_conv", FuseHorizontalConv,
       "after ConvBiasAct so merged siblings keep their activation; before ConvBiasActPool and "
       "ConcatInPlace, which must see the final producers",
       std::nullopt},
      {"conv_bias_act_pool", FuseConvBiasActPool, "after ConvBiasAct: the activation is already inside the conv node", std::nullopt},
      {"gemm_bias_act", FuseGemmBiasAct, "after Gemm normalisation", std::nullopt},
      {"quantize_int8", QuantizeInt8,
       "after every fusion: scales apply to fused nodes (the activations inside a fused node need no "
       "quantization); before ConcatInPlace so Q/DQ boundary nodes are settled",
       Precision::kInt8},
      {"int8_io", Int8Io,
       "after quantize_int8, whose boundary Q/DQ it removes when the caller asks for int8 network I/O "
       "(option io_format=int8); a no-op otherwise",
       Precision::kInt8},
      {"convert_fp16", ConvertFp16, "after every fusion, on the final set of nodes", Precision::kFp16},
      {"concat_in_place", MarkConcatInPlace, "last: marks the final producers of each Concat for the memory planner", std::nullopt},
  };
  return list;
}

namespace {

Status Dump(const Graph& g, const std::string& dir, int index, const std::string& pass) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%02d_", index);
  const std::string base = dir + "/" + prefix + pass;
  std::ofstream t(base + ".txt"), d(base + ".dot");
  if (!t || !d) return Status::Error("--dump-after: cannot write '" + base + ".txt/.dot'");
  t << g.DumpText();
  d << g.DumpDot();
  return Status::Ok();
}

}  // namespace

Status RunPipeline(Graph& g, const PipelineOptions& opts, CompileReport* report) {
  for (const std::string& d : opts.disabled) {
    bool known = false;
    for (const PassEntry& e : PassList()) known = known || d == e.name;
    if (!known) return Status::Error("--disable-pass '" + d + "': no pass of that name (see docs/compiler.md)");
  }
  for (const std::string& d : opts.dump_after) {
    bool known = d == "all" || d == "input";
    for (const PassEntry& e : PassList()) known = known || d == e.name;
    if (!known) return Status::Error("--dump-after '" + d + "': no pass of that name (see docs/compiler.md)");
  }
  const Precision precision = opts.precision;
  report->precision = precision;
  report->layers_before = CountLayers(g);
  report->nodes_before = static_cast<int>(g.NumLiveNodes());
  EI_RETURN_IF_ERROR(VerifyGraph(g).WithContext("input graph"));
  const bool dump_all = opts.dump_after.count("all") != 0;
  if (dump_all || opts.dump_after.count("input")) EI_RETURN_IF_ERROR(Dump(g, opts.dump_dir, 0, "input"));
  PassContext ctx;
  ctx.report = report;
  ctx.calibration = opts.calibration;
  ctx.options = opts.pass_options;
  int index = 0;
  for (const PassEntry& e : PassList()) {
    ++index;
    if (!opts.stop_before.empty() && opts.stop_before == e.name) break;
    const bool fp16_fallback = opts.int8_fallback_fp16 && precision == Precision::kInt8 && std::string(e.name) == "convert_fp16";
    // A Q/DQ model implies INT8 for its quantized layers whatever the precision asked for.
    const bool qdq_int8 = ctx.qdq_scales && std::string(e.name) == "quantize_int8";
    if (e.only_for && precision != *e.only_for && !fp16_fallback && !qdq_int8) continue;
    if (opts.disabled.count(e.name)) {
      report->notes.push_back(std::string("pass ") + e.name + " disabled");
      continue;
    }
    ctx.pass = e.name;
    auto t0 = std::chrono::steady_clock::now();
    EI_RETURN_IF_ERROR(e.fn(g, ctx).WithContext(std::string("pass ") + e.name));
    EI_RETURN_IF_ERROR(g.Compact().WithContext(std::string("after pass ") + e.name));
    EI_RETURN_IF_ERROR(VerifyGraph(g).WithContext(std::string("graph invalid after pass ") + e.name));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    report->passes.push_back({e.name, static_cast<int>(g.NumLiveNodes()), CountLayers(g), ms});
    if (dump_all || opts.dump_after.count(e.name)) EI_RETURN_IF_ERROR(Dump(g, opts.dump_dir, index, e.name));
  }
  if (ctx.qdq_scales && precision != Precision::kInt8) {
    report->precision = Precision::kInt8;
    report->notes.push_back(std::string("precision ") + PrecisionName(precision) + " was asked: the model's Q/DQ layers run INT8 (its own scales), the rest " +
                            PrecisionName(precision));
  }
  report->layers_after = CountLayers(g);
  report->nodes_after = static_cast<int>(g.NumLiveNodes());
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
