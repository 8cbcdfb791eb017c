#include "graph/memory_planner.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <sstream>

namespace edgeinfer {

namespace {

int64_t AlignUp(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

bool LifetimesIntersect(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

Status ValidateRequest(const BufferRequest& r, size_t num_spaces) {
  if (r.size < 0) return Status::Error("buffer '" + r.name + "': size " + std::to_string(r.size) + " is negative");
  if (r.last_use < r.first_use) {
    return Status::Error("buffer '" + r.name + "': last use " + std::to_string(r.last_use) + " is before first use " +
                         std::to_string(r.first_use));
  }
  if (r.spaces.empty()) return Status::Error("buffer '" + r.name + "': no memory space allowed");
  for (int s : r.spaces) {
    if (s < 0 || static_cast<size_t>(s) >= num_spaces) {
      return Status::Error("buffer '" + r.name + "': space index " + std::to_string(s) + " is out of range");
    }
  }
  if (r.alignment <= 0 || (r.alignment & (r.alignment - 1)) != 0) {
    return Status::Error("buffer '" + r.name + "': alignment " + std::to_string(r.alignment) + " is not a power of two");
  }
  return Status::Ok();
}

}  // namespace

Result<MemoryPlan> PlanMemory(const std::vector<BufferRequest>& requests, const std::vector<MemorySpace>& spaces) {
  for (const BufferRequest& r : requests) EI_RETURN_IF_ERROR(ValidateRequest(r, spaces.size()));
  MemoryPlan plan;
  plan.spaces = spaces;
  plan.requests = requests;
  plan.placements.assign(requests.size(), Placement{});
  plan.peak.assign(spaces.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].priority != requests[b].priority) return requests[a].priority > requests[b].priority;
    if (requests[a].size != requests[b].size) return requests[a].size > requests[b].size;
    if (requests[a].first_use != requests[b].first_use) return requests[a].first_use < requests[b].first_use;
    return a < b;
  });
  std::vector<std::vector<size_t>> placed(spaces.size());   // per space, sorted by offset
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    bool done = false;
    for (int s : r.spaces) {
      // Collect the byte ranges of time-overlapping buffers in this space, sorted by offset, and
      // take the first aligned gap large enough.
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (size_t other : placed[static_cast<size_t>(s)]) {
        if (LifetimesIntersect(r, requests[other])) {
          busy.emplace_back(plan.placements[other].offset, plan.placements[other].offset + requests[other].size);
        }
      }
      std::sort(busy.begin(), busy.end());
      int64_t off = 0;
      for (const auto& [b, e] : busy) {
        if (AlignUp(off, r.alignment) + r.size <= b) break;
        off = std::max(off, e);
      }
      off = AlignUp(off, r.alignment);
      const int64_t cap = spaces[static_cast<size_t>(s)].capacity;
      if (cap >= 0 && off + r.size > cap) continue;
      plan.placements[idx] = Placement{s, off};
      placed[static_cast<size_t>(s)].push_back(idx);
      plan.peak[static_cast<size_t>(s)] = std::max(plan.peak[static_cast<size_t>(s)], off + r.size);
      done = true;
      break;
    }
    if (!done) {
      return Status::Error("buffer '" + r.name + "' (" + std::to_string(r.size) +
                           " bytes) fits in none of its memory spaces (rule: the last space must have room)");
    }
  }
  plan.lower_bound.assign(spaces.size(), 0);
  for (size_t s = 0; s < spaces.size(); ++s) {
    std::vector<BufferRequest> in_space;
    for (size_t i = 0; i < requests.size(); ++i) if (plan.placements[i].space == static_cast<int>(s)) in_space.push_back(requests[i]);
    plan.lower_bound[s] = LiveBytesLowerBound(in_space);
  }
  return plan;
}

Status CheckMemoryPlan(const MemoryPlan& plan) {
  const auto& rq = plan.requests;
  if (plan.placements.size() != rq.size()) return Status::Error("memory plan: placement count differs from requests");
  std::vector<int64_t> end(plan.spaces.size(), 0);
  for (size_t i = 0; i < rq.size(); ++i) {
    const Placement& p = plan.placements[i];
    if (p.space < 0 || static_cast<size_t>(p.space) >= plan.spaces.size()) {
      return Status::Error("memory plan: buffer '" + rq[i].name + "' has no space");
    }
    if (p.offset % rq[i].alignment != 0) return Status::Error("memory plan: buffer '" + rq[i].name + "' is misaligned");
    const int64_t cap = plan.spaces[static_cast<size_t>(p.space)].capacity;
    if (cap >= 0 && p.offset + rq[i].size > cap) {
      return Status::Error("memory plan: buffer '" + rq[i].name + "' exceeds the capacity of " + plan.spaces[static_cast<size_t>(p.space)].name);
    }
    for (size_t j = i + 1; j < rq.size(); ++j) {
      const Placement& q = plan.placements[j];
      if (q.space != p.space || !LifetimesIntersect(rq[i], rq[j]) || rq[i].size == 0 || rq[j].size == 0) continue;
      if (p.offset < q.offset + rq[j].size && q.offset < p.offset + rq[i].size) {
        return Status::Error("memory plan: buffers '" + rq[i].name + "' and '" + rq[j].name + "' overlap in " +
                             plan.spaces[static_cast<size_t>(p.space)].name + " while both are live");
      }
    }
  }
  return Status::Ok();
}

int64_t LiveBytesLowerBound(const std::vector<BufferRequest>& requests) {
  std::map<int, int64_t> delta;
  for (const BufferRequest& r : requests) {
    delta[r.first_use] += r.size;
    delta[r.last_use + 1] -= r.size;
  }
  int64_t live = 0, best = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    best = std::max(best, live);
  }
  return best;
}

std::string MemoryTimeline(const MemoryPlan& plan, int max_width) {
  int max_step = 0;
  for (const BufferRequest& r : plan.requests) max_step = std::max(max_step, r.last_use);
  const int steps = max_step + 1;
  const double scale = steps > max_width ? static_cast<double>(max_width) / steps : 1.0;
  const int width = std::max(1, static_cast<int>(steps * scale + 0.999));
  std::vector<size_t> order(plan.requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (plan.placements[a].space != plan.placements[b].space) return plan.placements[a].space < plan.placements[b].space;
    return plan.placements[a].offset < plan.placements[b].offset;
  });
  std::ostringstream os;
  for (size_t s = 0; s < plan.spaces.size(); ++s) {
    os << plan.spaces[s].name << ": peak " << plan.peak[s] << " bytes, lower bound " << plan.lower_bound[s] << " bytes";
    if (plan.spaces[s].capacity >= 0) os << ", capacity " << plan.spaces[s].capacity;
    os << "\n";
  }
  for (size_t i : order) {
    const BufferRequest& r = plan.requests[i];
    std::string bar(static_cast<size_t>(width), ' ');
    int b = static_cast<int>(r.first_use * scale), e = static_cast<int>(r.last_use * scale);
    for (int k = b; k <= e && k < width; ++k) bar[static_cast<size_t>(k)] = '#';
    char head[96];
    std::snprintf(head, sizeof head, "%-10s 0x%08llx +%-10lld", plan.spaces[static_cast<size_t>(plan.placements[i].space)].name.c_str(),
                  static_cast<unsigned long long>(plan.placements[i].offset), static_cast<long long>(r.size));
    os << head << " |" << bar << "| " << r.name << " [" << r.first_use << "," << r.last_use << "]\n";
  }
  return os.str();
}

}  // namespace edgeinfer
