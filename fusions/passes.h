// Every pass of the compiler, one per file (fusions/<name>.cc, tested by
// tests/fusions/<name>_test.cc). Their order, and why, is in pass_list.cc.
#pragma once
#include "fusions/pass.h"

namespace edgeinfer::fusions {

// ---- canonicalisation ----
Status ConstantFolding(Graph& g, PassContext& ctx);        // constant_folding.cc (all-constant nodes only)
Status ConstantFoldingPass(Graph& g, PassContext& ctx);    // constant_folding.cc: the above + symbolic-batch Reshape targets
// Shape/Size of tensors whose shape is static become constants; returns how many (constant_folding.cc).
int FoldStaticShapes(Graph& g);
// FoldStaticShapes + ConstantFolding + InferShapes until nothing more folds: a graph with static
// input shapes loses all its shape arithmetic (constant_folding.cc).
Status FoldShapeArithmetic(Graph& g);
Status EliminateIdentity(Graph& g, PassContext& ctx);      // eliminate_identity.cc (Identity, Dropout)
Status ReduceToGlobalPool(Graph& g, PassContext& ctx);     // reduce_to_global_pool.cc (ReduceMean/Max over H,W)
Status FoldBatchNorm(Graph& g, PassContext& ctx);          // fold_batchnorm.cc
Status FoldPad(Graph& g, PassContext& ctx);                // fold_pad.cc
Status FoldScaleIntoConv(Graph& g, PassContext& ctx);      // fold_scale_into_conv.cc
Status MatMulAddToGemm(Graph& g, PassContext& ctx);        // matmul_add_to_gemm.cc
Status NormalizeGemmInput(Graph& g, PassContext& ctx);     // normalize_gemm_input.cc

// ---- fusions ----
Status FuseConvEltwiseAct(Graph& g, PassContext& ctx);     // conv_eltwise_act.cc
Status FuseConvBiasAct(Graph& g, PassContext& ctx);        // conv_bias_act.cc
Status FuseConvBiasActPool(Graph& g, PassContext& ctx);    // conv_bias_act_pool.cc
Status FuseHorizontalConv(Graph& g, PassContext& ctx);     // horizontal_conv.cc
Status FuseGemmBiasAct(Graph& g, PassContext& ctx);        // gemm_bias_act.cc
Status MarkConcatInPlace(Graph& g, PassContext& ctx);      // concat_in_place.cc

// ---- precision ----
Status ConvertQdq(Graph& g, PassContext& ctx);             // convert_qdq.cc (explicitly quantized models)
Status QuantizeInt8(Graph& g, PassContext& ctx);           // quantize_int8.cc (needs ctx.calibration)
Status Int8Io(Graph& g, PassContext& ctx);                 // int8_io.cc (option io_format=int8)
Status ConvertFp16(Graph& g, PassContext& ctx);            // convert_fp16.cc

}  // namespace edgeinfer::fusions
