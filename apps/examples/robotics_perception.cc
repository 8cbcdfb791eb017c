// Tutorial: linking edgeinfer into a robotics perception loop.
//
// A camera thread produces frames at a fixed rate; each frame is handed to the runtime with
// Session::Submit (asynchronous, with a callback); a consumer thread takes the results in frame
// order and turns each into a "detection" (the argmax of the first output). When the pipeline
// falls behind, the oldest frame still waiting to be submitted is dropped (a stale camera frame is
// worth less than a fresh one), and counted. At the end it prints host-clock latency percentiles,
// the drop count, and the target-clock latency the SoC model predicts for the session's plan.
//
//   edgeinfer-robotics-example [--model M.onnx | --plan M.plan] [--soc orin-agx] [--power-mode P]
//                              [--engines gpu,dla0,dla1] [--fps 30] [--seconds 2] [--max-inflight 4]
//
// Threads: camera (produces), dispatcher (submits), runtime workers (run the model and call our
// callback), consumer (takes results in order). Exit status: 0 ok, 1 setup error, 2 broken invariant.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "runtime/edgeinfer.h"   // the one header an application includes

using namespace edgeinfer;
using namespace edgeinfer::runtime;
using Clock = std::chrono::steady_clock;

namespace {

struct Frame {                    // one camera frame on its way through the pipeline
  int64_t id = 0;
  Clock::time_point captured;
  devices::TensorMap inputs;      // input name -> batch-1 tensor (Tensor storage is shared, cheap to move)
};
struct Done {                     // one delivered result
  int64_t id = 0;
  Clock::time_point captured;
  Result<devices::TensorMap> out = Status::Error("not delivered");
};

int Fail(const std::string& msg) { std::fprintf(stderr, "error: %s\n", msg.c_str()); return 1; }
// The runtime's messages already name the file or profile; add `what` only when they do not.
int Fail(const std::string& what, const std::string& name, const Status& s) {
  return Fail(s.message().find(name) != std::string::npos ? s.message() : what + " '" + name + "': " + s.message());
}

double Pct(std::vector<double> v, double p) {   // nearest-rank percentile
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::max(0.0, std::ceil(p / 100.0 * v.size()) - 1));
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  // 0. Threading on the host: the CPU engines run on OpenMP (oneDNN). libgomp spins idle workers
  //    before they sleep, which on a small SoC steals the cores your camera/tracker threads need
  //    (measured here: 0.4 ms -> 80-100 ms per tiny-CNN frame on a 2-core host). The policy is read
  //    when libgomp loads, before main, so set OMP_WAIT_POLICY=passive and re-execute once (as the
  //    edgeinfer CLI does) unless the user chose a policy. Or set it in your launch file.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT") && !std::getenv("EDGEINFER_NO_REEXEC")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("EDGEINFER_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);   // returns only on failure: go on with the default policy
  }
  std::string model = "build/models/tiny_cnn.onnx", plan_file, soc = "orin-agx", power_mode;
  std::string engines = "gpu,dla0,dla1";
  double fps = 30, seconds = 2;
  int max_inflight = 4;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--model M.onnx | --plan M.plan] [--soc orin-agx] [--power-mode P] [--engines gpu,dla0,dla1]\n"
                  "       [--fps 30] [--seconds 2] [--max-inflight 4]\n", argv[0]);
      return 0;
    }
    if (i + 1 >= argc) return Fail("option " + a + " needs a value (or is unknown)");
    std::string v = argv[++i];
    if (a == "--model") model = v;
    else if (a == "--plan") plan_file = v;
    else if (a == "--soc") soc = v;
    else if (a == "--power-mode") power_mode = v;
    else if (a == "--engines") engines = v;
    else if (a == "--fps") fps = std::atof(v.c_str());
    else if (a == "--seconds") seconds = std::atof(v.c_str());
    else if (a == "--max-inflight") max_inflight = std::atoi(v.c_str());
    else return Fail("unknown option " + a);
  }
  if (fps <= 0 || seconds <= 0 || max_inflight < 1) return Fail("--fps, --seconds and --max-inflight must be positive");

  // 1. A Session owns one SoC profile (name from configs/ or a YAML path) at one power mode. It is
  //    returned as unique_ptr: the application owns it, and destroying it stops its workers.
  //    Errors come back as Result/Status (no exceptions cross the library boundary).
  auto session_or = Session::Create({.soc = soc, .power_mode = power_mode});
  if (!session_or.ok()) return Fail("SoC profile", soc, session_or.status());
  std::unique_ptr<Session> session = std::move(session_or).value();

  // 2. LoadModel imports + compiles (INT8 by default, calibrated on seeded random inputs unless you
  //    pass a CalibrationTable) once; LoadEngineFile loads a precompiled `edgeinfer compile -o` plan.
  //    ordered = true: callbacks are delivered in submission order, which a tracker downstream wants.
  ModelOptions mo;
  mo.engines = engines;
  mo.ordered = true;
  auto id_or = plan_file.empty() ? session->LoadModel(model, mo) : session->LoadEngineFile(plan_file, mo);
  if (!id_or.ok()) return Fail("model", plan_file.empty() ? model : plan_file, id_or.status());
  const ModelId net = *id_or;

  // 3. The compiled graph (shared_ptr<const Graph>, owned jointly with the session) tells us the
  //    inputs: names and shapes, batch dim symbolic (kDynamic). We feed batch 1 per frame.
  std::shared_ptr<const Graph> graph = session->graph(net);
  std::vector<std::pair<std::string, std::vector<int64_t>>> input_shapes;
  for (ValueId v : graph->inputs()) {
    const Value& val = graph->value(v);
    std::vector<int64_t> dims = val.shape.dims;
    if (!dims.empty() && dims[0] == kDynamic) dims[0] = 1;
    for (int64_t d : dims)
      if (d <= 0) return Fail("input '" + val.name + "' has a symbolic dimension other than the batch");
    if (val.dtype != DType::kFloat32) return Fail("input '" + val.name + "' is not float32 (a camera image is)");
    input_shapes.push_back({val.name, dims});
  }
  std::printf("model %s on %s: plan %s\n", (plan_file.empty() ? model : plan_file).c_str(), soc.c_str(),
              session->Plan(net).value().ToString().c_str());
  const ModelInfo info = session->Info(net).value();   // keep the Result's value alive while iterating
  for (const auto& [engine, device] : info.functional)   // which host device computes each engine's numbers
    std::printf("  %s: %s\n", engine.c_str(), device.c_str());

  // Shared state between our threads, guarded by one mutex.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Frame> pending;      // captured, not yet submitted
  std::deque<Done> results;       // delivered by the runtime, not yet consumed
  int inflight = 0;               // submitted, not yet delivered
  int64_t produced = 0, dropped = 0, submitted = 0;
  bool camera_done = false;

  // 4. Camera thread: a frame every 1/fps seconds (synthetic pixels, seeded). If frames waiting +
  //    frames in flight exceed --max-inflight, drop the oldest waiting frame (never the newest).
  std::thread camera([&] {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> pix(-1.f, 1.f);
    const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps));
    const int64_t total = static_cast<int64_t>(fps * seconds + 0.5);
    auto next = Clock::now();
    for (int64_t f = 0; f < total; ++f) {
      std::this_thread::sleep_until(next);
      next += period;
      Frame fr{f, Clock::now(), {}};
      for (const auto& [name, dims] : input_shapes) {
        Tensor t(DType::kFloat32, dims);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = pix(rng);
        fr.inputs.emplace(name, std::move(t));
      }
      std::lock_guard<std::mutex> lk(mu);
      pending.push_back(std::move(fr));
      ++produced;
      while (pending.size() > 1 && static_cast<int>(pending.size()) + inflight > max_inflight) {
        pending.pop_front();
        ++dropped;
      }
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lk(mu);
    camera_done = true;
    cv.notify_all();
  });

  // 5. Dispatcher thread: Submit(model, inputs, callback) returns at once; the inputs are moved in
  //    (the session owns them until delivery). The callback runs on a runtime worker thread, exactly
  //    once per sample, with the outputs or the error. Keep it short and non-blocking: here it only
  //    queues the result for the consumer (it must not wait on other results of this ordered model).
  std::thread dispatcher([&] {
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      cv.wait(lk, [&] { return (!pending.empty() && inflight < max_inflight) || (camera_done && pending.empty()); });
      if (pending.empty()) break;
      Frame fr = std::move(pending.front());
      pending.pop_front();
      ++inflight;
      ++submitted;
      lk.unlock();   // never hold our lock across a runtime call
      const int64_t fid = fr.id;
      const auto cap = fr.captured;
      session->Submit(net, std::move(fr.inputs), [&, fid, cap](Result<devices::TensorMap> r) {
        std::lock_guard<std::mutex> g(mu);
        results.push_back({fid, cap, std::move(r)});
        --inflight;
        cv.notify_all();
      });
      lk.lock();
    }
  });

  // 6. Consumer (this thread): results arrive in frame order; check that, take the detection.
  std::vector<double> latency_ms;
  int64_t completed = 0, last_id = -1, errors = 0, out_of_order = 0;
  std::vector<int64_t> class_hist;
  {
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      cv.wait(lk, [&] { return !results.empty() || (camera_done && pending.empty() && inflight == 0 && submitted == completed); });
      if (results.empty()) break;
      Done d = std::move(results.front());
      results.pop_front();
      lk.unlock();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - d.captured).count();
      ++completed;
      if (d.id <= last_id) ++out_of_order;
      last_id = d.id;
      if (!d.out.ok()) {
        ++errors;
        std::fprintf(stderr, "frame %lld: %s\n", static_cast<long long>(d.id), d.out.status().message().c_str());
      } else {
        const Tensor& y = d.out->begin()->second;   // first output (by name); e.g. class scores
        int64_t best = 0;
        for (int64_t i = 1; i < y.numel(); ++i)
          if (y.GetAsDouble(i) > y.GetAsDouble(best)) best = i;
        if (static_cast<int64_t>(class_hist.size()) <= best) class_hist.resize(best + 1);
        ++class_hist[best];
        latency_ms.push_back(ms);
      }
      lk.lock();
    }
  }
  camera.join();
  dispatcher.join();
  session->Drain(net);   // nothing left, but the idiom before tearing down

  std::printf("host latency (capture -> result, ms): p50 %.2f  p90 %.2f  p99 %.2f  [clock: host]\n",
              Pct(latency_ms, 50), Pct(latency_ms, 90), Pct(latency_ms, 99));
  if (auto stats = session->HostStats(net); stats.ok())   // where the host time went, per engine
    for (const HostEngineStats& st : *stats)
      std::printf("  %s: %lld samples, %.2f ms per launch in the executor [clock: host]\n", st.name.c_str(),
                  static_cast<long long>(st.samples), st.launches ? 1e3 * st.busy_s / st.launches : 0.0);
  int64_t top = class_hist.empty() ? -1 : std::max_element(class_hist.begin(), class_hist.end()) - class_hist.begin();
  std::printf("detections: %zu frames, most frequent class %lld\n", latency_ms.size(), static_cast<long long>(top));

  // 7. Target clock: what the SoC model predicts for one frame at a time on this plan (SingleStream,
  //    simulated; no host work). TargetModels gives one timing program per engine of the plan.
  BatchPlan plan = session->Plan(net).value();
  auto targets = session->TargetModels(net, plan);
  ScenarioSpec ss;
  ss.kind = ScenarioKind::kSingleStream;
  ss.min_queries = 256;
  auto tr = targets.ok() ? RunTargetScenario(session->soc(), plan, *targets, ss, 256)
                         : Result<ScenarioResult>(targets.status());
  if (tr.ok())
    std::printf("target latency per frame (%s %s): p50 %.3f  p90 %.3f  p99 %.3f ms  [clock: target]\n", soc.c_str(),
                power_mode.empty() ? "default mode" : power_mode.c_str(), tr->latency.p50 * 1e3,
                tr->latency.p90 * 1e3, tr->latency.p99 * 1e3);
  else
    std::printf("target latency: not available (%s)\n", tr.status().message().c_str());

  std::printf("frames: produced %lld, completed %lld, dropped %lld\n", static_cast<long long>(produced),
              static_cast<long long>(completed), static_cast<long long>(dropped));
  if (out_of_order || errors || produced != completed + dropped) {
    std::fprintf(stderr, "error: %lld results out of order, %lld failed, %lld of %lld submitted delivered\n",
                 static_cast<long long>(out_of_order), static_cast<long long>(errors),
                 static_cast<long long>(completed), static_cast<long long>(submitted));
    return 2;
  }
  std::printf("order: ok (every submitted frame delivered once, in order)\n");
  return 0;
}
