// Horizontal fusion: sibling convolutions reading the same tensor with the same geometry become one
// convolution (weights and biases concatenated along the output channels) whose output is split.
//
//        ┌─► Conv a (K1) ─► Ya                      ┌─► Ya
//   X ───┼─► Conv b (K2) ─► Yb        =>   X ─► Conv (K1+K2+K3) ─► Split ─┼─► Yb
//        └─► Conv c (K3) ─► Yc                      └─► Yc
//
// Guards: same op (Conv or ConvBiasAct), X is input 0 of each and read once by it; identical
// attributes (kernel_shape, strides, pads, dilations, auto_pad, activation and its parameters);
// group = 1; weights (and biases, if any) float32 constants of the same input-channel and kernel
// dims. Inception's 1x1 branches are the case it is for; ResNet's projection shortcut and first
// 1x1 conv differ in stride except in the first block of a stage. Runs after ConvBiasAct so the
// merged node keeps its activation, and before the pool/concat passes.
#include <algorithm>
#include <map>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status FuseHorizontalConv(Graph& g, PassContext& ctx) {
  const size_t num_values = g.num_values();
  for (ValueId x = 0; x < static_cast<ValueId>(num_values); ++x) {
    std::vector<NodeId> cons = ConsumersOf(g, x);
    if (cons.size() < 2) continue;
    std::map<std::string, std::vector<NodeId>> groups;   // signature -> members in id order
    std::vector<std::pair<NodeId, std::string>> misfits;
    int convs = 0;
    for (NodeId c : cons) {
      const Node& n = g.node(c);
      if (n.op != "Conv" && n.op != "ConvBiasAct") continue;
      ++convs;
      if (n.inputs[0] != x || std::count(n.inputs.begin(), n.inputs.end(), x) != 1) { misfits.push_back({c, "reads the tensor other than as input 0"}); continue; }
      if (n.attrs.GetInt("group", 1) != 1) { misfits.push_back({c, "group > 1"}); continue; }
      const Tensor* w = ConstantOf(g, n.inputs[1]);
      const bool has_b = n.inputs.size() > 2 && n.inputs[2] != kNoValue;
      if (!w || w->dtype() != DType::kFloat32 || (has_b && !ConstantOf(g, n.inputs[2]))) {
        misfits.push_back({c, "weights or bias are not float32 constants"});
        continue;
      }
      Attributes key = n.attrs;   // names of fused-away tensors differ between siblings by nature
      key.Erase("act_input");
      std::string sig = n.op + "|" + key.ToString() + "|";
      for (size_t i = 1; i < w->rank(); ++i) sig += std::to_string(w->dim(i)) + ",";
      groups[sig].push_back(c);
    }
    if (convs < 2) continue;
    for (auto& [sig, members] : groups) {
      if (members.size() < 2) {
        misfits.push_back({members[0], "no sibling reading the same tensor has the same kernel, strides, pads, dilations and activation"});
        continue;
      }
      const Node first = g.node(members[0]);
      std::vector<float> w_all, b_all;
      std::vector<int64_t> sizes;
      std::vector<ValueId> outs;
      std::vector<std::string> names;
      bool any_bias = false;
      std::vector<std::string> act_inputs;
      std::vector<int64_t> wdims = ConstantOf(g, first.inputs[1])->dims();
      for (NodeId m : members) {
        const Node& n = g.node(m);
        const Tensor* w = ConstantOf(g, n.inputs[1]);
        std::vector<float> wf = ToFloats(*w);
        w_all.insert(w_all.end(), wf.begin(), wf.end());
        const Tensor* b = (n.inputs.size() > 2 && n.inputs[2] != kNoValue) ? ConstantOf(g, n.inputs[2]) : nullptr;
        any_bias = any_bias || b;
        for (int64_t k = 0; k < w->dim(0); ++k) b_all.push_back(b ? static_cast<float>(b->GetAsDouble(k)) : 0.f);
        sizes.push_back(w->dim(0));
        outs.push_back(n.outputs[0]);
        names.push_back(n.name);
        for (const auto& [k, v] : n.attrs.all()) {
          if (auto* list = std::get_if<std::vector<std::string>>(&v); list && k == "act_input") {
            act_inputs.insert(act_inputs.end(), list->begin(), list->end());
          }
        }
      }
      int64_t total = 0;
      for (int64_t s : sizes) total += s;
      wdims[0] = total;
      std::string merged_name;
      for (size_t i = 0; i < names.size(); ++i) merged_name += (i ? "+" : "") + names[i];
      ValueId wv = AddFloatConstant(g, merged_name + "_w", wdims, w_all);
      ValueId bv = any_bias ? AddFloatConstant(g, merged_name + "_b", {total}, b_all) : kNoValue;
      ValueId sv = g.AddConstant(merged_name + "_sizes", Tensor::FromVector(DType::kInt64, {static_cast<int64_t>(sizes.size())}, sizes));
      ValueId mid = g.AddValue(merged_name + "_out", DType::kFloat32, Shape());
      for (NodeId m : members) g.RemoveNode(m);
      std::vector<ValueId> inputs = {x, wv};
      if (bv != kNoValue) inputs.push_back(bv);
      Attributes attrs = first.attrs;
      if (!act_inputs.empty()) attrs.Set("act_input", act_inputs);   // the quantizer takes the max of their ranges
      NodeId merged = g.AddNode(first.op, merged_name, inputs, {mid}, attrs);
      EI_RETURN_IF_ERROR(InferAndStore(g, merged));
      Attributes sa;
      sa.Set("axis", int64_t{1});
      g.AddNode("Split", merged_name + "_split", {mid, sv}, outs, sa);
      ctx.Fused("HorizontalConv", names, merged_name);
    }
    for (const auto& [c, why] : misfits) ctx.Refuse(g.node(c).name, "not merged with its siblings: " + why);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
