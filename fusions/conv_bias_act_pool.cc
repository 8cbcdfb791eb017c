// ConvBiasActPool: a ConvBiasAct (or a bare Conv) and the MaxPool/AveragePool after it.
//
//   X ─► ConvBiasAct|Conv ─► MaxPool|AveragePool ─► Y   =>   X ─► ConvBiasActPool(pool=...) ─► Y
//
// Guards: the conv output flows only into the pool (single consumer, not a graph output); the pool
// has no Indices output, auto_pad NOTSET (explicit pads) and dilations 1; dtype float32. Runs after
// ConvBiasAct so the activation is already inside the conv node.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status FuseConvBiasActPool(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    const Node& pn = g.node(id);
    if (!pn.alive || (pn.op != "MaxPool" && pn.op != "AveragePool")) continue;
    const Node pool = pn;
    const NodeId cid = g.value(pool.inputs[0]).producer;
    if (cid == kNoNode || (g.node(cid).op != "ConvBiasAct" && g.node(cid).op != "Conv")) continue;
    const Node conv = g.node(cid);
    auto refuse = [&](const std::string& why) { ctx.Refuse(pool.name, "not fused into " + g.Label(cid) + ": " + why); };
    std::string why = SingleUseReason(g, conv.outputs[0]);
    if (!why.empty()) { refuse(why); continue; }
    if (pool.outputs.size() > 1) { refuse("the Indices output is used"); continue; }
    if (pool.attrs.GetString("auto_pad", "NOTSET") != "NOTSET") { refuse("pool uses auto_pad"); continue; }
    bool dil = false;
    for (int64_t d : pool.attrs.GetInts("dilations")) dil = dil || d != 1;
    if (dil) { refuse("pool is dilated"); continue; }
    if (g.value(conv.outputs[0]).dtype != DType::kFloat32) { refuse("not float32"); continue; }
    Attributes attrs = conv.attrs;
    attrs.Set("pool", pool.op);
    attrs.Set("pool_input", g.value(conv.outputs[0]).name);   // the quantizer takes y_scale from it
    const size_t sr = g.value(pool.inputs[0]).shape.rank() - 2;
    attrs.Set("pool_kernel_shape", pool.attrs.GetInts("kernel_shape"));
    attrs.Set("pool_strides", pool.attrs.GetInts("strides", std::vector<int64_t>(sr, 1)));
    attrs.Set("pool_pads", pool.attrs.GetInts("pads", std::vector<int64_t>(2 * sr, 0)));
    attrs.Set("pool_ceil_mode", pool.attrs.GetInt("ceil_mode", 0));
    if (pool.op == "AveragePool") attrs.Set("pool_count_include_pad", pool.attrs.GetInt("count_include_pad", 0));
    ReplaceWithNode(g, {cid, id}, "ConvBiasActPool", conv.name, conv.inputs, pool.outputs, attrs);
    ctx.Fused("ConvBiasActPool", {conv.name, pool.name}, conv.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
