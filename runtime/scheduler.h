// Host-side scheduler: runs submitted samples on a model's engine instances, by a BatchPlan.
//
//   - Self-scheduling (NVIDIA's Orin harness): one shared queue; each engine's worker thread, when
//     free, pulls up to batch x loop samples and runs them.
//   - Static: samples are dealt to per-engine queues in the plan's proportions (engine i takes
//     batch_i x loop_i consecutive samples, then the next engine), and each worker drains its own.
// Every sample's result (or error) is delivered exactly once, through its promise or callback; with
// `ordered` the callbacks and promises are fulfilled in submission order (a reorder buffer holds
// early results). The numbers are computed by the instance's functional executor: a full batch of
// samples stacked along dim 0 in one launch where the executor batches (CUDA, fast CPU path), one
// sample per launch otherwise (the DLA model, partial pulls); host timings are of this machine; a DLA
// instance's GPU-fallback layers are part of that functional run on the host -- their contention
// with the GPU's own work is modelled on the target clock (simulator), not here.
// Thread-safe: Enqueue from any thread; the destructor drains the queue and joins the workers.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "devices/device.h"
#include "runtime/engine_instance.h"
#include "runtime/scenario.h"

namespace edgeinfer::runtime {

using devices::TensorMap;
using ResultCallback = std::function<void(Result<TensorMap>)>;

struct HostEngineStats {
  std::string name;
  std::string functional;       // the device that computed its numbers
  int64_t samples = 0;
  int64_t pulls = 0;
  int64_t launches = 0;         // functional launches (a full batch is one launch where the executor batches)
  double busy_s = 0;            // host seconds in the functional executor
};

class Scheduler {
 public:
  // `instances` parallel to plan.engines (same order). Starts one worker per engine.
  Scheduler(std::vector<EngineInstance> instances, BatchPlan plan, bool ordered);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues one sample; exactly one of promise/callback is used. Returns its sequence number.
  int64_t Enqueue(TensorMap inputs, std::promise<Result<TensorMap>> promise);
  int64_t Enqueue(TensorMap inputs, ResultCallback callback);
  // Blocks until every sample queued so far has been delivered (releases a hold first).
  void Drain();
  // While held, samples queue up but no engine pulls (an Offline run issues everything, then lets
  // the engines pull full batches). Thread-safe.
  void SetHold(bool hold);
  std::vector<HostEngineStats> Stats() const;
  const BatchPlan& plan() const { return plan_; }

 private:
  struct Request {
    int64_t seq = 0;
    TensorMap inputs;
    std::promise<Result<TensorMap>> promise;
    ResultCallback callback;
    bool has_promise = false;
  };
  int64_t Push(Request r);
  void Worker(size_t engine);
  void Deliver(Request& r, Result<TensorMap> result);
  void Fulfil(Request& r, Result<TensorMap> result);

  std::vector<EngineInstance> instances_;
  BatchPlan plan_;
  bool ordered_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Request> shared_;
  std::vector<std::deque<Request>> own_;
  size_t cur_ = 0;
  int64_t cur_taken_ = 0;
  int64_t next_seq_ = 0;
  int64_t delivered_ = 0;
  bool stop_ = false;
  bool hold_ = false;
  std::vector<HostEngineStats> stats_;
  // Ordered delivery.
  std::mutex deliver_mu_;
  int64_t next_deliver_ = 0;
  std::map<int64_t, std::pair<Request, Result<TensorMap>>> pending_;
  std::vector<std::thread> workers_;
};

}  // namespace edgeinfer::runtime
