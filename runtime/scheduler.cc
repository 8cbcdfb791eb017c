// Host-side scheduler (see scheduler.h).
#include "runtime/scheduler.h"

#include <chrono>
#include <cstring>

namespace edgeinfer::runtime {

Scheduler::Scheduler(std::vector<EngineInstance> instances, BatchPlan plan, bool ordered)
    : instances_(std::move(instances)), plan_(std::move(plan)), ordered_(ordered) {
  own_.resize(plan_.engines.size());
  for (size_t i = 0; i < plan_.engines.size(); ++i) {
    HostEngineStats s;
    s.name = plan_.engines[i].engine.name;
    s.functional = i < instances_.size() && instances_[i].functional ? instances_[i].functional->device_name() : "";
    stats_.push_back(s);
  }
  for (size_t i = 0; i < plan_.engines.size(); ++i) workers_.emplace_back([this, i] { Worker(i); });
}

Scheduler::~Scheduler() {
  Drain();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

int64_t Scheduler::Push(Request r) {
  std::unique_lock<std::mutex> lock(mu_);
  r.seq = next_seq_++;
  const int64_t seq = r.seq;
  if (plan_.engines.empty()) {
    lock.unlock();
    Deliver(r, Status::Error("scheduler: the batch plan has no engine"));
    return seq;
  }
  if (plan_.dispatch == Dispatch::kSelfScheduling) {
    shared_.push_back(std::move(r));
  } else {
    own_[cur_].push_back(std::move(r));
    const EnginePlan& e = plan_.engines[cur_];
    if (++cur_taken_ >= e.batch * e.loop) {
      cur_taken_ = 0;
      cur_ = (cur_ + 1) % plan_.engines.size();
    }
  }
  lock.unlock();
  work_cv_.notify_all();
  return seq;
}

int64_t Scheduler::Enqueue(TensorMap inputs, std::promise<Result<TensorMap>> promise) {
  Request r;
  r.inputs = std::move(inputs);
  r.promise = std::move(promise);
  r.has_promise = true;
  return Push(std::move(r));
}

int64_t Scheduler::Enqueue(TensorMap inputs, ResultCallback callback) {
  Request r;
  r.inputs = std::move(inputs);
  r.callback = std::move(callback);
  return Push(std::move(r));
}

void Scheduler::SetHold(bool hold) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
  }
  work_cv_.notify_all();
}

void Scheduler::Drain() {
  SetHold(false);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return delivered_ >= next_seq_; });
}

std::vector<HostEngineStats> Scheduler::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Scheduler::Fulfil(Request& r, Result<TensorMap> result) {
  if (r.has_promise) r.promise.set_value(std::move(result));
  else if (r.callback) r.callback(std::move(result));
}

void Scheduler::Deliver(Request& r, Result<TensorMap> result) {
  if (!ordered_) {
    Fulfil(r, std::move(result));
  } else {
    // Reorder buffer: results leave in sequence order, whichever engine finished first.
    std::lock_guard<std::mutex> lock(deliver_mu_);
    pending_.emplace(r.seq, std::make_pair(std::move(r), std::move(result)));
    while (!pending_.empty() && pending_.begin()->first == next_deliver_) {
      auto node = pending_.extract(pending_.begin());
      Fulfil(node.mapped().first, std::move(node.mapped().second));
      ++next_deliver_;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++delivered_;
  }
  done_cv_.notify_all();
}

namespace {

// Stacks the samples' inputs along dim 0; false when their names, dtypes or per-sample dims differ.
bool Stack(const std::vector<const TensorMap*>& samples, TensorMap* out) {
  const TensorMap& first = *samples[0];
  for (const auto& [name, t0] : first) {
    if (t0.rank() == 0 || t0.dim(0) != 1) return false;
    std::vector<int64_t> dims = t0.dims();
    dims[0] = static_cast<int64_t>(samples.size());
    Tensor t(t0.dtype(), dims);
    size_t off = 0;
    for (const TensorMap* s : samples) {
      auto it = s->find(name);
      if (it == s->end() || it->second.dtype() != t0.dtype() || it->second.dims() != t0.dims() || s->size() != first.size()) return false;
      std::memcpy(static_cast<char*>(t.raw()) + off, it->second.raw(), it->second.bytes());
      off += it->second.bytes();
    }
    (*out)[name] = std::move(t);
  }
  return true;
}

// Sample k of each batched output (dim 0 = n).
Result<TensorMap> Slice(const TensorMap& outputs, int64_t k, int64_t n) {
  TensorMap m;
  for (const auto& [name, t] : outputs) {
    if (t.rank() == 0 || t.dim(0) != n) return Status::Error("output '" + name + "' does not carry the batch in dim 0");
    std::vector<int64_t> dims = t.dims();
    dims[0] = 1;
    const size_t per = t.bytes() / static_cast<size_t>(n);
    m[name] = Tensor::FromBytes(t.dtype(), dims, static_cast<const char*>(t.raw()) + per * static_cast<size_t>(k));
  }
  return m;
}

}  // namespace

void Scheduler::Worker(size_t e) {
  const EnginePlan ep = plan_.engines[e];
  const int64_t want = ep.batch * ep.loop;
  while (true) {
    std::vector<Request> pulled;
    {
      std::unique_lock<std::mutex> lock(mu_);
      std::deque<Request>& q = plan_.dispatch == Dispatch::kSelfScheduling ? shared_ : own_[e];
      work_cv_.wait(lock, [&] { return stop_ || (!hold_ && !q.empty()); });
      if (q.empty() && stop_) return;
      for (int64_t k = 0; k < want && !q.empty(); ++k) {
        pulled.push_back(std::move(q.front()));
        q.pop_front();
      }
      ++stats_[e].pulls;
    }
    // Full batches go through one launch where the executor takes stacked samples.
    size_t done = 0;
    const bool can_batch = ep.batch > 1 && e < instances_.size() && instances_[e].functional && instances_[e].functional->batched();
    while (can_batch && pulled.size() - done >= static_cast<size_t>(ep.batch)) {
      const size_t n = static_cast<size_t>(ep.batch);
      std::vector<const TensorMap*> ins;
      for (size_t k = 0; k < n; ++k) ins.push_back(&pulled[done + k].inputs);
      TensorMap stacked;
      if (!Stack(ins, &stacked)) break;   // mixed shapes: one sample at a time below
      const auto t0 = std::chrono::steady_clock::now();
      TensorMap out;
      Status st = instances_[e].functional->Run(stacked, &out);
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_[e].busy_s += dt;
        stats_[e].samples += static_cast<int64_t>(n);
        ++stats_[e].launches;
      }
      for (size_t k = 0; k < n; ++k) {
        Result<TensorMap> r = st.ok() ? Slice(out, static_cast<int64_t>(k), static_cast<int64_t>(n))
                                      : Result<TensorMap>(st.WithContext("engine '" + ep.engine.name + "'"));
        Deliver(pulled[done + k], std::move(r));
      }
      done += n;
    }
    for (size_t i = done; i < pulled.size(); ++i) {
      Request& r = pulled[i];
      Result<TensorMap> result = Status::Error("engine '" + ep.engine.name + "' has no functional executor");
      const auto t0 = std::chrono::steady_clock::now();
      if (e < instances_.size() && instances_[e].functional) {
        TensorMap out;
        Status s = instances_[e].functional->Run(r.inputs, &out);
        result = s.ok() ? Result<TensorMap>(std::move(out)) : Result<TensorMap>(s.WithContext("engine '" + ep.engine.name + "'"));
      }
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_[e].busy_s += dt;
        ++stats_[e].samples;
        ++stats_[e].launches;
      }
      Deliver(r, std::move(result));
    }
  }
}

}  // namespace edgeinfer::runtime
