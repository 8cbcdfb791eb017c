// Concat marked for in-place writing: each producer writes its output straight into its slice of
// the Concat's output buffer, so the Concat copies nothing. The memory planner reads the marks.
//
//   A ─► P1 ─► a ─┐                                  P1 writes out[.., 0:Ca, ..]
//   B ─► P2 ─► b ─┼─► Concat(axis) ─► out     =>     P2 writes out[.., Ca:Ca+Cb, ..]    Concat {in_place=1}
//
// Marks: Concat gets `in_place`=1. Each producer gets, per output (lists with one entry per
// producer output; "" / -1 where that output is not concatenated): `concat_into` (the Concat's
// node name) and `concat_offset` (offset along the axis, in elements of that axis).
// Guards: every input is produced by a node (not a graph input or constant), is read only by this
// Concat, once, and is not a graph output; the extents along the axis are static. The slices are
// contiguous only when every dim before the axis is 1 (batch 1 for a channel concat); a planner
// that cannot write strided slices checks that itself.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status MarkConcatInPlace(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    const Node& cn = g.node(id);
    if (cn.op != "Concat" || cn.attrs.GetInt("in_place", 0) == 1) continue;
    const Node concat = cn;
    const size_t rank = g.value(concat.outputs[0]).shape.rank();
    int64_t axis = concat.attrs.GetInt("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    std::string why;
    for (ValueId v : concat.inputs) {
      const Value& val = g.value(v);
      if (val.producer == kNoNode) { why = "input '" + val.name + "' is a graph input or constant"; break; }
      std::string single = SingleUseReason(g, v);
      if (!single.empty()) { why = "input " + single; break; }
      if (axis < 0 || static_cast<size_t>(axis) >= val.shape.rank() || val.shape.dims[static_cast<size_t>(axis)] == kDynamic) {
        why = "input '" + val.name + "' has no static extent along the axis";
        break;
      }
    }
    if (!why.empty()) { ctx.Refuse(concat.name, why); continue; }
    int64_t offset = 0;
    std::vector<std::string> names;
    for (ValueId v : concat.inputs) {
      Node& p = g.node(g.value(v).producer);
      std::vector<std::string> into;
      std::vector<int64_t> offs;
      auto it = p.attrs.all().find("concat_into");
      if (it != p.attrs.all().end()) {
        if (auto* s = std::get_if<std::vector<std::string>>(&it->second)) into = *s;
      }
      offs = p.attrs.GetInts("concat_offset");
      into.resize(p.outputs.size(), "");
      offs.resize(p.outputs.size(), -1);
      for (size_t i = 0; i < p.outputs.size(); ++i) {
        if (p.outputs[i] == v) {
          into[i] = concat.name;
          offs[i] = offset;
        }
      }
      p.attrs.Set("concat_into", into);
      p.attrs.Set("concat_offset", offs);
      names.push_back(p.name);
      offset += g.value(v).shape.dims[static_cast<size_t>(axis)];
    }
    g.node(id).attrs.Set("in_place", int64_t{1});
    names.push_back(concat.name);
    ctx.Fused("ConcatInPlace", names, concat.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
