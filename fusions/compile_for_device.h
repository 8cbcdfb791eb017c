// The canonical FP32 entry point of the compile pipeline: what every tool calls before it hands an
// imported graph to a device (docs/device-contract.md says what the device may then assume).
//
// It runs the pass list at FP32 (canonicalise: Q/DQ read, constants folded, Identity/Dropout gone,
// ReduceMean->GlobalPool, BatchNorm/Pad/scale folded, MatMul+Add->Gemm; fuse: Conv+BN+Add+act,
// Conv+bias+act(+pool), Gemm+act; mark in-place Concats), never quantize or FP16 conversion (a
// device's float storage type is its own option). A device's layout and alignment needs are
// given as DeviceCapabilities, which select passes and set pass options; the devices themselves
// match no chains, fold nothing and decide no in-place Concat of their own.
// Calibration does not call this: it runs the canonicalised, unfused graph on purpose
// (PipelineOptions::stop_before).
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "fusions/pass.h"
#include "fusions/pass_list.h"

namespace edgeinfer::fusions {

// What a device needs of the graph beyond the canonical form. The defaults describe a device with
// no such needs (the fast CPU path, the reference).
struct DeviceCapabilities {
  std::string device;                  // for the report ("cuda"); informational
  // Sibling convolutions merged into one with a Split after it (pass horizontal_conv). False: the
  // pass is skipped (the device gains nothing from it).
  bool merge_sibling_convs = true;
  // In-place Concat (pass concat_in_place):
  //   concat_layout      "" (any: the planner checks contiguity itself), "nchw" or "nhwc": the layout
  //                      rank-4 activations live in; a Concat whose slices cannot be contiguous in it
  //                      (a static dim > 1 before the axis) is not marked.
  //   concat_align_bytes each input's byte offset in the output must be a multiple of it (0: any);
  //                      checked at the graph's dtype where the extents are static.
  //   concat_partial     the device copies the inputs it cannot place, so each qualifying producer is
  //                      marked (concat_into) even when another input of the Concat is not; the
  //                      Concat's own `in_place` still means "every input".
  std::string concat_layout;
  int64_t concat_align_bytes = 0;
  bool concat_partial = false;
};

// Sets `po`'s pass selection and pass options from `caps` (what CompileForDevice and
// runtime::Compile do with a device's capabilities).
void ApplyDeviceCapabilities(const DeviceCapabilities& caps, PipelineOptions* po);

// Runs the FP32 pipeline on `g` in place for a device with `caps`. `disabled` adds pass names to
// skip (as --disable-pass). `report` may be null.
Status CompileForDevice(Graph& g, const DeviceCapabilities& caps, CompileReport* report = nullptr,
                        const std::set<std::string>& disabled = {});

}  // namespace edgeinfer::fusions
