// Chrome trace-event export of a simulated run (runtime/trace_export.h).
#include "runtime/trace_export.h"

#include <algorithm>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

namespace edgeinfer::runtime {

Result<std::string> ChromeTraceJson(const SimResult& run, const std::string& process) {
  if (run.trace.empty()) return Status::Error("trace: the run recorded no events (record_trace was off, or nothing ran)");
  std::map<std::string, int> tid;   // executor -> track, in order of first appearance of the run's engines
  for (const SimEngineStats& e : run.engines) tid.emplace(e.name, static_cast<int>(tid.size()) + 1);
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"ph", "M"}, {"pid", 1}, {"name", "process_name"}, {"args", {{"name", process}}}});
  for (const auto& [name, id] : tid)
    events.push_back({{"ph", "M"}, {"pid", 1}, {"tid", id}, {"name", "thread_name"}, {"args", {{"name", name}}}});
  for (const SimTraceEvent& e : run.trace) {
    auto it = tid.find(e.executor);
    if (it == tid.end()) it = tid.emplace(e.executor, static_cast<int>(tid.size()) + 1).first;
    events.push_back({{"ph", "X"},
                      {"pid", 1},
                      {"tid", it->second},
                      {"name", e.layer},
                      {"cat", e.fallback ? "fallback" : "layer"},
                      {"ts", e.start_s * 1e6},
                      {"dur", (e.end_s - e.start_s) * 1e6},
                      {"args",
                       {{"task", e.task}, {"owner", e.owner}, {"samples", e.samples}, {"dram_mb", e.dram_bytes / 1e6},
                        {"fallback", e.fallback}}}});
  }
  nlohmann::json doc = {{"traceEvents", events}, {"displayTimeUnit", "ms"},
                        {"otherData", {{"clock", "target"}, {"samples", run.samples}, {"makespan_s", run.makespan_s}}}};
  return doc.dump();
}

Result<std::vector<LayerProfileRow>> ProfileLayers(const SimResult& run) {
  if (run.trace.empty()) return Status::Error("profile: the run recorded no events (record_trace was off, or nothing ran)");
  std::map<std::pair<std::string, std::string>, LayerProfileRow> rows;
  for (const SimTraceEvent& e : run.trace) {
    LayerProfileRow& r = rows[{e.executor, e.layer + (e.fallback ? " (fallback of " + e.owner + ")" : "")}];
    r.executor = e.executor;
    r.layer = e.layer;
    r.fallback = e.fallback;
    ++r.runs;
    r.total_s += e.end_s - e.start_s;
    r.dram_bytes += e.dram_bytes;
  }
  std::vector<LayerProfileRow> out;
  for (const SimEngineStats& x : run.engines) {
    std::vector<LayerProfileRow> mine;
    for (const auto& [key, r] : rows)
      if (key.first == x.name) mine.push_back(r);
    for (LayerProfileRow& r : mine) r.busy_share = x.busy_s > 0 ? r.total_s / x.busy_s : 0;
    std::stable_sort(mine.begin(), mine.end(), [](const LayerProfileRow& a, const LayerProfileRow& b) { return a.total_s > b.total_s; });
    out.insert(out.end(), mine.begin(), mine.end());
  }
  return out;
}

Status WriteChromeTrace(const SimResult& run, const std::string& process, const std::string& path) {
  EI_ASSIGN_OR_RETURN(std::string json, ChromeTraceJson(run, process));
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::Error("trace: cannot write '" + path + "'");
  f << json;
  f.close();
  if (!f) return Status::Error("trace: writing '" + path + "' failed");
  return Status::Ok();
}

}  // namespace edgeinfer::runtime
