// Discrete-event target-clock simulation (see simulator.h for the model and its limits).
#include "runtime/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>

namespace edgeinfer::runtime {

const char* DispatchName(Dispatch d) { return d == Dispatch::kStatic ? "static" : "self-scheduling"; }

double Percentile(std::vector<double> v, double pct) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(pct / 100.0 * static_cast<double>(v.size()));
  const size_t idx = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[idx];
}

namespace {

using devices::EngineClass;

constexpr double kInf = std::numeric_limits<double>::infinity();

// A task in progress: one batch of samples walking through its program's layers.
struct Stream {
  int owner = -1;                 // engine index
  const TaskProgram* program = nullptr;
  int next = -1;                  // -1: the task overhead pseudo-layer, then 0..layers-1
  std::vector<int64_t> samples;
  double start_s = 0;
};

// A layer phase in progress on an executor.
struct Job {
  int stream = -1;
  bool fluid = false;
  double fixed_left = 0;
  double fraction_left = 1;
  double floor_s = 0, bytes = 0;
  double demand = 0, alloc = 0;
  double macs = 0, sram_bytes = 0;
  int precision_bytes = 1;
  double started_s = 0;
};

struct Executor {
  std::string name;
  EngineClass cls = EngineClass::kGpu;
  double ceiling = 0;
  int engine = -1;                // engine index it belongs to (-1: fallback-only GPU)
  std::deque<int> ready;          // streams waiting for this executor
  bool has_job = false;
  Job job;
  double busy_s = 0, own_busy_s = 0, dram_bytes = 0;
  double macs[3] = {0, 0, 0};     // int8, fp16, fp32
  double sram_bytes = 0;
};

struct EngineState {
  std::deque<int64_t> queue;      // static dispatch: its own queue
  std::deque<int64_t> pulled;     // samples pulled, not yet in a task
  bool active = false;            // a task of its own is in flight
  int executor = -1;
  std::map<int64_t, TaskProgram> programs;
  int64_t tasks = 0, samples = 0;
  double task_time_sum = 0;
  double fallback_wait_s = 0;
};

class Sim {
 public:
  Sim(const devices::SocProfile& soc, const SimConfig& c) : soc_(soc), c_(c) {}

  Result<SimResult> Run() {
    if (c_.engines.empty()) return Status::Error("simulation: no engines");
    total_bw_ = devices::DramTotalAchievable(soc_);
    int gpu_exec = -1, cpu_exec = -1;
    for (size_t i = 0; i < c_.engines.size(); ++i) {
      const SimEngine& e = c_.engines[i];
      if (!e.program) return Status::Error("simulation: engine '" + e.name + "' has no program");
      if (e.batch <= 0 || e.loop <= 0) return Status::Error("simulation: engine '" + e.name + "': batch and loop must be positive");
      Executor x;
      x.name = e.name;
      x.cls = e.cls;
      x.ceiling = devices::EngineDramCeiling(soc_, e.cls);
      x.engine = static_cast<int>(i);
      if (e.cls == EngineClass::kGpu && gpu_exec < 0) gpu_exec = static_cast<int>(execs_.size());
      if (e.cls == EngineClass::kCpu && cpu_exec < 0) cpu_exec = static_cast<int>(execs_.size());
      engines_.push_back(EngineState());
      engines_.back().executor = static_cast<int>(execs_.size());
      execs_.push_back(x);
    }
    // Fallback layers of DLA tasks need their engine class even when no engine of it is in the plan.
    auto add_fallback = [&](const char* name, EngineClass cls) {
      Executor x;
      x.name = name;
      x.cls = cls;
      x.ceiling = devices::EngineDramCeiling(soc_, cls);
      execs_.push_back(x);
      return static_cast<int>(execs_.size()) - 1;
    };
    if (gpu_exec < 0 && soc_.gpu.present) gpu_exec = add_fallback("gpu(fallback)", EngineClass::kGpu);
    if (cpu_exec < 0 && !soc_.gpu.present && soc_.cpu.HasTimingModel()) cpu_exec = add_fallback("cpu(fallback)", EngineClass::kCpu);
    gpu_exec_ = gpu_exec;
    cpu_exec_ = cpu_exec;
    // Static dispatch cycle: engine i takes batch_i x loop_i consecutive samples, in engine order.
    for (size_t i = 0; i < c_.engines.size(); ++i) cycle_.push_back(c_.engines[i].batch * c_.engines[i].loop);

    // Arrivals.
    std::vector<SimQuery> arrivals = c_.queries;
    if (c_.closed_loop) {
      if (c_.closed_loop_queries <= 0) return Status::Error("simulation: closed loop needs a positive query count");
      arrivals.clear();
      pending_closed_ = c_.closed_loop_queries;
    }
    std::stable_sort(arrivals.begin(), arrivals.end(), [](const SimQuery& a, const SimQuery& b) { return a.arrival_s < b.arrival_s; });
    std::deque<SimQuery> future(arrivals.begin(), arrivals.end());
    double t = 0;
    if (c_.closed_loop) IssueQuery(0.0, c_.closed_loop_samples);

    while (true) {
      while (!future.empty() && future.front().arrival_s <= t) {
        IssueQuery(future.front().arrival_s, future.front().samples);
        future.pop_front();
      }
      EI_RETURN_IF_ERROR(Dispatch(t));
      Allocate();
      double next = future.empty() ? kInf : future.front().arrival_s;
      if (!closed_next_.empty()) next = std::min(next, closed_next_.front());
      for (const Executor& x : execs_) {
        if (!x.has_job) continue;
        next = std::min(next, t + TimeLeft(x.job));
      }
      if (next == kInf) break;
      const double dt = std::max(0.0, next - t);
      Advance(dt);
      t = next;
      while (!closed_next_.empty() && closed_next_.front() <= t) {
        closed_next_.pop_front();
        IssueQuery(t, c_.closed_loop_samples);
      }
      EI_RETURN_IF_ERROR(Complete(t));
    }
    return Finish(t);
  }

 private:
  void IssueQuery(double t, int64_t n) {
    const int64_t q = static_cast<int64_t>(query_arrival_.size());
    query_arrival_.push_back(t);
    query_left_.push_back(n);
    query_done_.push_back(t);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t s = static_cast<int64_t>(arrival_.size());
      arrival_.push_back(t);
      pulled_at_.push_back(t);
      done_at_.push_back(-1);
      query_of_.push_back(q);
      if (c_.dispatch == Dispatch::kSelfScheduling) {
        shared_.push_back(s);
      } else {
        // Round the cycle: engine cur_ takes cycle_[cur_] samples, then the next.
        engines_[static_cast<size_t>(cur_)].queue.push_back(s);
        if (++cur_taken_ >= cycle_[static_cast<size_t>(cur_)]) {
          cur_taken_ = 0;
          cur_ = (cur_ + 1) % static_cast<int>(cycle_.size());
        }
      }
    }
  }

  Result<const TaskProgram*> Program(int e, int64_t batch) {
    EngineState& st = engines_[static_cast<size_t>(e)];
    auto it = st.programs.find(batch);
    if (it != st.programs.end()) return &it->second;
    auto p = c_.engines[static_cast<size_t>(e)].program(batch);
    if (!p.ok()) return p.status().WithContext("engine '" + c_.engines[static_cast<size_t>(e)].name + "' batch " + std::to_string(batch));
    return &st.programs.emplace(batch, std::move(p).value()).first->second;
  }

  // Engines without a task of their own pull work; executors without a job take the next stream.
  Status Dispatch(double t) {
    now_ = t;
    for (size_t e = 0; e < engines_.size(); ++e) {
      EngineState& st = engines_[e];
      if (st.active) continue;
      const SimEngine& cfg = c_.engines[e];
      if (st.pulled.empty()) {
        std::deque<int64_t>& q = c_.dispatch == Dispatch::kSelfScheduling ? shared_ : st.queue;
        const int64_t want = cfg.batch * cfg.loop;
        for (int64_t k = 0; k < want && !q.empty(); ++k) {
          pulled_at_[static_cast<size_t>(q.front())] = t;
          st.pulled.push_back(q.front());
          q.pop_front();
        }
      }
      if (st.pulled.empty()) continue;
      const int64_t n = std::min<int64_t>(cfg.batch, static_cast<int64_t>(st.pulled.size()));
      EI_ASSIGN_OR_RETURN(const TaskProgram* prog, Program(static_cast<int>(e), n));
      Stream s;
      s.owner = static_cast<int>(e);
      s.program = prog;
      s.start_s = t;
      for (int64_t k = 0; k < n; ++k) {
        s.samples.push_back(st.pulled.front());
        st.pulled.pop_front();
      }
      st.active = true;
      streams_.push_back(std::move(s));
      execs_[static_cast<size_t>(st.executor)].ready.push_back(static_cast<int>(streams_.size()) - 1);
    }
    for (Executor& x : execs_) {
      if (x.has_job || x.ready.empty()) continue;
      const int sid = x.ready.front();
      x.ready.pop_front();
      StartLayer(&x, sid);
    }
    return Status::Ok();
  }

  void StartLayer(Executor* x, int sid) {
    Stream& s = streams_[static_cast<size_t>(sid)];
    Job j;
    j.stream = sid;
    j.started_s = now_;
    if (s.next < 0) {
      j.fixed_left = s.program->task_overhead_s;
    } else {
      const SimLayer& l = s.program->layers[static_cast<size_t>(s.next)];
      j.fixed_left = l.fixed_s;
      j.floor_s = l.floor_s;
      j.bytes = l.dram_bytes;
      j.macs = l.macs;
      j.sram_bytes = l.sram_bytes;
      j.precision_bytes = l.precision_bytes;
    }
    j.fluid = j.fixed_left <= 0;
    x->job = j;
    x->has_job = true;
  }

  // Loaded-latency sharing (Little's law): a client's bandwidth is its outstanding requests over
  // the memory latency; its ceiling is that ratio at the unloaded latency. When the clients together
  // want more than the DRAM can serve, the latency every one of them sees rises by the same factor
  // s, so each gets min(demand, ceiling / s), with s chosen so the allocations fill the achievable
  // total. A client far below its ceiling (a mostly compute-bound layer) keeps its demand longer;
  // a latency-bound one (a DLA core, ceiling 63.5 GB/s) loses bandwidth in proportion to it.
  // (Max-min fair water-filling, devices::ShareBandwidth, gave every saturated client an equal
  // share: the GPU's memory-bound layers got no more than a DLA's.) docs/timing-model.md.
  static std::vector<double> LatencyShare(double total, const std::vector<double>& demands,
                                          const std::vector<double>& ceilings) {
    double want = 0;
    for (double d : demands) want += d;
    if (want <= total) return demands;
    double lo = 1, hi = 1;
    auto served = [&](double f) {
      double sum = 0;
      for (size_t i = 0; i < demands.size(); ++i) sum += std::min(demands[i], ceilings[i] / f);
      return sum;
    };
    while (served(hi) > total) hi *= 2;
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (lo + hi);
      (served(mid) > total ? lo : hi) = mid;
    }
    std::vector<double> a(demands.size());
    for (size_t i = 0; i < demands.size(); ++i) a[i] = std::min(demands[i], ceilings[i] / hi);
    return a;
  }

  void Allocate() {
    std::vector<double> demands, ceilings;
    std::vector<Executor*> who;
    for (Executor& x : execs_) {
      if (!x.has_job) continue;
      Job& j = x.job;
      j.demand = 0;
      j.alloc = 0;
      if (!j.fluid || j.bytes <= 0) continue;
      j.demand = j.floor_s > 0 ? std::min(x.ceiling, j.bytes / j.floor_s) : x.ceiling;
      demands.push_back(j.demand);
      ceilings.push_back(x.ceiling);
      who.push_back(&x);
    }
    if (demands.empty()) return;
    ++events_;
    const std::vector<double> a = LatencyShare(total_bw_, demands, ceilings);
    for (size_t i = 0; i < who.size(); ++i) who[i]->job.alloc = a[i];
  }

  static double Rate(const Job& j) {   // fraction of the fluid phase per second
    if (j.bytes > 0) return j.alloc > 0 ? j.alloc / j.bytes : 0;
    return j.floor_s > 0 ? 1.0 / j.floor_s : kInf;
  }

  static double TimeLeft(const Job& j) {
    if (!j.fluid) return j.fixed_left;
    const double r = Rate(j);
    if (r == kInf) return 0;
    return r > 0 ? j.fraction_left / r : kInf;
  }

  void Advance(double dt) {
    for (size_t e = 0; e < engines_.size(); ++e) {
      const EngineState& st = engines_[e];
      if (!st.active) continue;
      const Executor& x = execs_[static_cast<size_t>(st.executor)];
      const bool running_own = x.has_job && streams_[static_cast<size_t>(x.job.stream)].owner == static_cast<int>(e);
      const bool queued_here = std::find_if(x.ready.begin(), x.ready.end(), [&](int sid) {
                                 return streams_[static_cast<size_t>(sid)].owner == static_cast<int>(e);
                               }) != x.ready.end();
      if (!running_own && !queued_here) engines_[e].fallback_wait_s += dt;
    }
    for (Executor& x : execs_) {
      if (!x.has_job) continue;
      x.busy_s += dt;
      const Stream& s = streams_[static_cast<size_t>(x.job.stream)];
      if (s.owner == x.engine) x.own_busy_s += dt;
      Job& j = x.job;
      if (!j.fluid) {
        j.fixed_left -= dt;
      } else {
        const double r = Rate(j);
        j.fraction_left = r == kInf ? 0 : j.fraction_left - r * dt;
      }
    }
  }

  Status Complete(double t) {
    const double eps = 1e-12 * std::max(1.0, t);
    for (size_t xi = 0; xi < execs_.size(); ++xi) {
      Executor& x = execs_[xi];
      if (!x.has_job) continue;
      Job& j = x.job;
      if (!j.fluid) {
        if (j.fixed_left > eps) continue;
        if (j.bytes > 0 || j.floor_s > 0) {   // on to the fluid phase
          j.fluid = true;
          j.fraction_left = 1;
          continue;
        }
      } else if (j.fraction_left > 1e-12 && TimeLeft(j) > eps) {
        continue;
      }
      // The layer is done.
      if (c_.record_trace && !(streams_[static_cast<size_t>(j.stream)].next < 0 && t <= j.started_s)) {   // no empty overheads
        const Stream& st = streams_[static_cast<size_t>(j.stream)];
        SimTraceEvent ev;
        ev.layer = st.next < 0 ? "task overhead" : st.program->layers[static_cast<size_t>(st.next)].name;
        ev.executor = x.name;
        ev.owner = c_.engines[static_cast<size_t>(st.owner)].name;
        ev.task = j.stream;
        ev.samples = static_cast<int64_t>(st.samples.size());
        ev.start_s = j.started_s;
        ev.end_s = t;
        ev.dram_bytes = j.bytes;
        ev.fallback = st.next >= 0 && st.program->layers[static_cast<size_t>(st.next)].on != c_.engines[static_cast<size_t>(st.owner)].cls;
        trace_.push_back(std::move(ev));
      }
      x.dram_bytes += j.bytes;
      x.macs[j.precision_bytes == 1 ? 0 : j.precision_bytes == 2 ? 1 : 2] += j.macs;
      x.sram_bytes += j.sram_bytes;
      const int sid = j.stream;
      x.has_job = false;
      Stream& s = streams_[static_cast<size_t>(sid)];
      ++s.next;
      if (s.next >= static_cast<int>(s.program->layers.size())) {
        FinishTask(sid, t);
        continue;
      }
      const SimLayer& l = s.program->layers[static_cast<size_t>(s.next)];
      const EngineClass owner_cls = c_.engines[static_cast<size_t>(s.owner)].cls;
      int target = engines_[static_cast<size_t>(s.owner)].executor;
      if (l.on != owner_cls) {
        const int other = l.on == EngineClass::kGpu ? gpu_exec_ : l.on == EngineClass::kCpu ? cpu_exec_ : -1;
        if (other < 0)
          return Status::Error("simulation: layer '" + l.name + "' needs an engine class the SoC profile does not have");
        target = other;
      }
      // Round robin: the stream queues behind whatever else waits for that executor.
      execs_[static_cast<size_t>(target)].ready.push_back(sid);
    }
    return Status::Ok();
  }

  void FinishTask(int sid, double t) {
    Stream& s = streams_[static_cast<size_t>(sid)];
    EngineState& st = engines_[static_cast<size_t>(s.owner)];
    st.active = false;
    ++st.tasks;
    st.samples += static_cast<int64_t>(s.samples.size());
    st.task_time_sum += t - s.start_s;
    for (int64_t smp : s.samples) {
      done_at_[static_cast<size_t>(smp)] = t;
      const int64_t q = query_of_[static_cast<size_t>(smp)];
      query_done_[static_cast<size_t>(q)] = std::max(query_done_[static_cast<size_t>(q)], t);
      if (--query_left_[static_cast<size_t>(q)] == 0 && c_.closed_loop) {
        if (--pending_closed_ > 0) closed_next_.push_back(t);
      }
    }
    s.samples.clear();
    s.samples.shrink_to_fit();
  }

  Result<SimResult> Finish(double t) {
    SimResult r;
    double first = arrival_.empty() ? 0 : *std::min_element(arrival_.begin(), arrival_.end());
    r.makespan_s = t - first;
    r.samples = static_cast<int64_t>(arrival_.size());
    for (size_t s = 0; s < done_at_.size(); ++s)
      if (done_at_[s] < 0) return Status::Error("simulation: sample " + std::to_string(s) + " never completed");
    r.throughput = r.makespan_s > 0 ? static_cast<double>(r.samples) / r.makespan_s : 0;
    for (size_t i = 0; i < execs_.size(); ++i) {
      const Executor& x = execs_[i];
      SimEngineStats es;
      es.name = x.name;
      es.busy_s = x.busy_s;
      es.own_busy_s = x.own_busy_s;
      es.dram_bytes = x.dram_bytes;
      es.cls = x.cls;
      es.macs_int8 = x.macs[0];
      es.macs_fp16 = x.macs[1];
      es.macs_fp32 = x.macs[2];
      es.sram_bytes = x.sram_bytes;
      if (x.engine >= 0) {
        const EngineState& st = engines_[static_cast<size_t>(x.engine)];
        es.batch = c_.engines[static_cast<size_t>(x.engine)].batch;
        es.loop = c_.engines[static_cast<size_t>(x.engine)].loop;
        es.samples = st.samples;
        es.tasks = st.tasks;
        es.task_latency_s = st.tasks ? st.task_time_sum / static_cast<double>(st.tasks) : 0;
        es.fallback_wait_s = st.fallback_wait_s;
      }
      r.dram_bytes += x.dram_bytes;
      r.engines.push_back(es);
    }
    const double peak = soc_.dram.PeakBytesPerSec();
    if (r.makespan_s > 0 && peak > 0) {
      r.dram_utilization = r.dram_bytes / r.makespan_s / peak;
      r.dram_achievable_fraction = r.dram_bytes / r.makespan_s / total_bw_;
    }
    for (size_t q = 0; q < query_arrival_.size(); ++q) r.query_latency_s.push_back(query_done_[q] - query_arrival_[q]);
    for (size_t s = 0; s < arrival_.size(); ++s) {
      r.sample_latency_s.push_back(done_at_[s] - arrival_[s]);
      r.sample_service_s.push_back(done_at_[s] - pulled_at_[s]);
    }
    r.events = events_;
    r.trace = std::move(trace_);
    return r;
  }

  const devices::SocProfile& soc_;
  const SimConfig& c_;
  double total_bw_ = 0;
  double now_ = 0;                       // simulated time of the current dispatch round
  std::vector<SimTraceEvent> trace_;
  int gpu_exec_ = -1;
  int cpu_exec_ = -1;
  std::vector<Executor> execs_;
  std::vector<EngineState> engines_;
  std::deque<Stream> streams_;
  std::deque<int64_t> shared_;
  std::vector<int64_t> cycle_;
  int cur_ = 0;
  int64_t cur_taken_ = 0;
  std::vector<double> arrival_, pulled_at_, done_at_;
  std::vector<int64_t> query_of_;
  std::vector<double> query_arrival_, query_done_;
  std::vector<int64_t> query_left_;
  int64_t pending_closed_ = 0;
  std::deque<double> closed_next_;
  int64_t events_ = 0;
};

}  // namespace

Result<SimResult> Simulate(const devices::SocProfile& soc, const SimConfig& config) {
  Sim sim(soc, config);
  return sim.Run();
}

}  // namespace edgeinfer::runtime
