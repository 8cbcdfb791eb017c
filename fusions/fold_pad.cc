// Pad folding: an explicit zero Pad of the spatial axes becomes the pads of the Conv or pool that
// reads it.
//
//   X ─► Pad(pads, 0) ─► Conv(pads p)          =>  X ─► Conv(pads p + pads)
//   X ─► Pad(pads, 0) ─► AveragePool(pads 0)   =>  X ─► AveragePool(pads, count_include_pad=1)
//   X ─► Pad(pads, -inf) ─► MaxPool(pads p)    =>  X ─► MaxPool(pads p + pads)
//
// Guards: mode constant; pads a constant, non-negative, zero on the batch and channel axes (and no
// `axes` input); the constant value 0 for Conv/AveragePool (padded zeros are real elements) and
// -inf for MaxPool; every consumer of the Pad output is such a node reading it as input 0 with
// auto_pad NOTSET (an AveragePool must have no pads of its own, or count_include_pad=1); the Pad
// output is not a graph output.
#include <cmath>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status FoldPad(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    if (!g.node(id).alive || g.node(id).op != "Pad") continue;
    const Node pad = g.node(id);
    auto refuse = [&](const std::string& why) { ctx.Refuse(pad.name, why); };
    if (pad.attrs.GetString("mode", "constant") != "constant") { refuse("mode is not constant"); continue; }
    const Tensor* pads = ConstantOf(g, pad.inputs.size() > 1 ? pad.inputs[1] : kNoValue);
    if (!pads) { refuse("pads are not a constant"); continue; }
    if (pad.inputs.size() > 3 && pad.inputs[3] != kNoValue) { refuse("an axes input is not folded"); continue; }
    double cval = 0.0;
    if (pad.inputs.size() > 2 && pad.inputs[2] != kNoValue) {
      const Tensor* c = ConstantOf(g, pad.inputs[2]);
      if (!c || c->numel() != 1) { refuse("constant_value is not a constant scalar"); continue; }
      cval = c->GetAsDouble(0);
    }
    const int64_t rank = pads->numel() / 2;
    if (rank < 3 || static_cast<size_t>(rank) != g.value(pad.inputs[0]).shape.rank()) {
      refuse("pads do not cover an N,C,spatial input");
      continue;
    }
    std::vector<int64_t> p(static_cast<size_t>(pads->numel()));
    bool ok = true;
    for (int64_t i = 0; i < pads->numel(); ++i) {
      p[static_cast<size_t>(i)] = pads->GetAsInt64(i);
      if (p[static_cast<size_t>(i)] < 0) ok = false;
    }
    if (!ok) { refuse("negative pads (a crop) are not folded"); continue; }
    if (p[0] || p[1] || p[static_cast<size_t>(rank)] || p[static_cast<size_t>(rank + 1)]) {
      refuse("pads the batch or channel axis");
      continue;
    }
    const ValueId out = pad.outputs[0];
    if (g.IsGraphOutput(out)) { refuse("output is a graph output"); continue; }
    std::vector<NodeId> consumers = ConsumersOf(g, out);
    std::string why;
    for (NodeId c : consumers) {
      const Node& n = g.node(c);
      const bool conv = n.op == "Conv", avg = n.op == "AveragePool", mx = n.op == "MaxPool";
      if (!conv && !avg && !mx) { why = "consumer " + g.Label(c) + " cannot absorb padding"; break; }
      if (n.inputs[0] != out || std::count(n.inputs.begin(), n.inputs.end(), out) != 1) {
        why = "consumer " + g.Label(c) + " reads it other than as input 0";
        break;
      }
      if (n.attrs.GetString("auto_pad", "NOTSET") != "NOTSET") { why = "consumer " + g.Label(c) + " uses auto_pad"; break; }
      if ((conv || avg) && cval != 0.0) { why = "pad value is not 0 for " + g.Label(c); break; }
      if (mx && !(std::isinf(cval) && cval < 0)) { why = "pad value is not -inf for " + g.Label(c); break; }
      if (avg) {
        auto own = n.attrs.GetInts("pads");
        bool any = false;
        for (int64_t v : own) any = any || v != 0;
        if (any && n.attrs.GetInt("count_include_pad", 0) == 0) {
          why = g.Label(c) + " has its own pads without count_include_pad";
          break;
        }
      }
    }
    if (!why.empty()) { refuse(why); continue; }
    const size_t sr = static_cast<size_t>(rank - 2);
    std::vector<std::string> names = {pad.name};
    for (NodeId c : consumers) {
      Node& n = g.node(c);
      std::vector<int64_t> own = n.attrs.GetInts("pads", std::vector<int64_t>(2 * sr, 0));
      if (own.size() != 2 * sr) own.assign(2 * sr, 0);
      for (size_t i = 0; i < sr; ++i) {
        own[i] += p[2 + i];
        own[sr + i] += p[static_cast<size_t>(rank) + 2 + i];
      }
      n.attrs.Set("pads", own);
      if (n.op == "AveragePool") n.attrs.Set("count_include_pad", int64_t{1});
      n.inputs[0] = pad.inputs[0];
      names.push_back(n.name);
    }
    g.RemoveNode(id);
    ctx.Fused("FoldPad", names, names.size() > 1 ? names[1] : "");
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
