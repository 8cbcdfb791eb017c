// Concat marked for in-place writing: each producer writes its output straight into its slice of
// the Concat's output buffer, so the Concat copies nothing. The memory planners read the marks.
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
// Device capabilities (pass options, set by fusions::CompileForDevice):
//   concat_layout=nchw|nhwc   not marked when a static dim > 1 precedes the axis in that layout
//                             (rank-4 values; NHWC puts H and W before C), so no slice is contiguous
//   concat_align_bytes=N      an input whose byte offset in the output (graph dtype, static extents)
//                             is not a multiple of N is not marked
//   concat_partial=1          the device copies what is not marked: inputs that fail a per-input
//                             guard are skipped and the others still marked; `in_place` is set only
//                             when every input is marked (what runtime/memory_plan.cc needs)
#include <cstdlib>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

namespace {

std::string Option(const PassContext& ctx, const std::string& key) {
  auto it = ctx.options.find(key);
  return it == ctx.options.end() ? "" : it->second;
}

// The dims of a value in the device's layout and the position of logical `axis` in them.
void StorageOrder(const Shape& s, int64_t axis, bool nhwc, std::vector<int64_t>* dims, size_t* at) {
  *dims = s.dims;
  *at = static_cast<size_t>(axis);
  if (!nhwc || s.rank() != 4) return;
  *dims = {s.dims[0], s.dims[2], s.dims[3], s.dims[1]};
  static const size_t kPos[4] = {0, 3, 1, 2};
  *at = kPos[static_cast<size_t>(axis)];
}

}  // namespace

Status MarkConcatInPlace(Graph& g, PassContext& ctx) {
  const std::string layout = Option(ctx, "concat_layout");
  if (!layout.empty() && layout != "nchw" && layout != "nhwc") {
    return Status::Error("option concat_layout='" + layout + "' is not one of nchw, nhwc");
  }
  const int64_t align = std::atoll(Option(ctx, "concat_align_bytes").c_str());
  const bool partial = Option(ctx, "concat_partial") == "1";
  for (NodeId id : g.NodeIds()) {
    const Node& cn = g.node(id);
    if (cn.op != "Concat" || cn.attrs.GetInt("in_place", 0) == 1) continue;
    const Node concat = cn;
    const Value& out = g.value(concat.outputs[0]);
    const size_t rank = out.shape.rank();
    int64_t axis = concat.attrs.GetInt("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    std::string why;
    if (!layout.empty() && axis >= 0 && static_cast<size_t>(axis) < rank) {
      std::vector<int64_t> sd;
      size_t at = 0;
      StorageOrder(out.shape, axis, layout == "nhwc", &sd, &at);
      for (size_t d = 0; d < at; ++d) {
        if (sd[d] != kDynamic && sd[d] > 1) {
          why = "its slices are not contiguous in the device's " + layout + " layout (a dim of " + std::to_string(sd[d]) +
                " precedes the axis)";
          break;
        }
      }
    }
    // Per-input guards; `skip[i]`: input i fails one (with partial marking, only it is left out).
    std::vector<bool> skip(concat.inputs.size(), false);
    std::vector<std::string> skip_why(concat.inputs.size());
    int64_t inner = static_cast<int64_t>(DTypeSize(out.dtype));   // bytes per unit of the axis, -1 when dynamic
    if (why.empty() && axis >= 0 && static_cast<size_t>(axis) < rank) {
      std::vector<int64_t> sd;
      size_t at = 0;
      StorageOrder(out.shape, axis, layout == "nhwc", &sd, &at);
      for (size_t d = at + 1; d < sd.size(); ++d) inner = sd[d] == kDynamic || inner < 0 ? -1 : inner * sd[d];
    }
    int64_t offset_units = 0;
    for (size_t i = 0; why.empty() && i < concat.inputs.size(); ++i) {
      const ValueId v = concat.inputs[i];
      const Value& val = g.value(v);
      if (axis < 0 || static_cast<size_t>(axis) >= val.shape.rank() || val.shape.dims[static_cast<size_t>(axis)] == kDynamic) {
        why = "input '" + val.name + "' has no static extent along the axis";
        break;
      }
      std::string single = val.producer == kNoNode ? "" : SingleUseReason(g, v);
      if (val.producer == kNoNode) skip_why[i] = "input '" + val.name + "' is a graph input or constant";
      else if (!single.empty()) skip_why[i] = "input " + single;
      else if (align > 0 && inner > 0 && (offset_units * inner) % align != 0) {
        skip_why[i] = "input '" + val.name + "' would start at byte " + std::to_string(offset_units * inner) +
                      ", not a multiple of the device's " + std::to_string(align);
      }
      skip[i] = !skip_why[i].empty();
      if (skip[i] && !partial) { why = skip_why[i]; break; }
      offset_units += val.shape.dims[static_cast<size_t>(axis)];
    }
    if (!why.empty()) { ctx.Refuse(concat.name, why); continue; }
    int64_t offset = 0;
    std::vector<std::string> names;
    bool all = true;
    for (size_t k = 0; k < concat.inputs.size(); ++k) {
      const ValueId v = concat.inputs[k];
      const int64_t extent = g.value(v).shape.dims[static_cast<size_t>(axis)];
      if (skip[k]) {
        ctx.Refuse(concat.name, skip_why[k] + " (copied; the other inputs are written in place)");
        all = false;
        offset += extent;
        continue;
      }
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
      offset += extent;
    }
    if (names.empty()) continue;
    if (all) g.node(id).attrs.Set("in_place", int64_t{1});
    names.push_back(concat.name);
    ctx.Fused("ConcatInPlace", names, concat.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
