// Tutorial: linking edgeinfer into a robotics perception loop.
//
// It uses only the installed SDK: <edgeinfer/edgeinfer.hpp> (the header-only C++ API over the C API
// in <edgeinfer/edgeinfer.h>) and libedgeinfer.so, so it builds inside this tree and out of tree
// against an installed package (apps/examples/CMakeLists.txt; find_package(edgeinfer CONFIG)).
//
// A camera thread produces frames at a fixed rate; each frame is handed to the runtime with
// ei::Model::Submit (asynchronous, with a callback); a consumer thread takes the results in frame
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

#include <edgeinfer/edgeinfer.hpp>   // the installed C++ API (header-only over the C API)

using Clock = std::chrono::steady_clock;

namespace {

struct Frame {                    // one camera frame on its way through the pipeline
  int64_t id = 0;
  Clock::time_point captured;
  std::vector<ei::Tensor> inputs; // one batch-1 tensor per model input, in the model's order (runtime storage)
};
struct Done {                     // one delivered result
  int64_t id = 0;
  Clock::time_point captured;
  std::string error;              // empty: ok
  std::vector<float> first_output;
};

int Fail(const std::string& msg) { std::fprintf(stderr, "error: %s\n", msg.c_str()); return 1; }
// The runtime's messages already name the file or profile; add `what` only when they do not.
int Fail(const std::string& what, const std::string& name, const ei::Error& e) {
  const std::string m = e.what();
  return Fail(m.find(name) != std::string::npos ? m : what + " '" + name + "': " + m);
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

  // 1. A Session owns one SoC profile (a name looked up in the installed share/edgeinfer/configs, or
  //    a YAML path) at one power mode; destroying it drains its requests and stops its workers.
  //    The C++ API throws ei::Error (code + message); the throw happens in this header-only layer,
  //    never across the library (the C API underneath returns status codes).
  std::unique_ptr<ei::Session> session;
  try {
    session = std::make_unique<ei::Session>(soc, power_mode);
  } catch (const ei::Error& e) {
    return Fail("SoC profile", soc, e);
  }

  // 2. Load imports + compiles an ONNX file (INT8 by default, calibrated on seeded random inputs) once,
  //    or loads a precompiled `edgeinfer compile -o` engine file (recognised by its magic).
  //    ordered = true: callbacks are delivered in submission order, which a tracker downstream wants.
  ei::ModelOptions mo;
  mo.engines = engines;
  mo.ordered = true;
  const std::string model_path = plan_file.empty() ? model : plan_file;
  ei::Model net;
  try {
    net = session->Load(model_path, mo);
  } catch (const ei::Error& e) {
    return Fail("model", model_path, e);
  }

  // 3. The model's inputs: names, dtypes and shapes, batch dim symbolic (-1). We feed batch 1 per frame.
  std::vector<std::vector<int64_t>> input_shapes;
  for (size_t i = 0; i < net.InputCount(); ++i) {
    std::vector<int64_t> dims = net.InputShape(i, /*batch=*/1);
    for (int64_t d : dims)
      if (d <= 0) return Fail("input '" + net.InputName(i) + "' has a symbolic dimension other than the batch");
    if (net.InputDType(i) != EI_FLOAT32) return Fail("input '" + net.InputName(i) + "' is not float32 (a camera image is)");
    input_shapes.push_back(dims);
  }
  std::printf("model %s on %s: plan %s\n", model_path.c_str(), soc.c_str(), net.Plan().c_str());
  for (const ei::EngineInfo& e : net.Engines())   // which host device computes each engine's numbers
    std::printf("  %s: %s\n", e.name.c_str(), e.device.c_str());

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
      for (const auto& dims : input_shapes) {   // written in place into runtime storage: no copy at submit
        ei::Tensor t = ei::Tensor::Create(EI_FLOAT32, dims);
        float* px = t.Data<float>();
        for (size_t i = 0; i < t.ElementCount(); ++i) px[i] = pix(rng);
        fr.inputs.push_back(std::move(t));
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

  // 5. Dispatcher thread: Submit(inputs, callback) checks the inputs (count, dtype, shape, NaN) and
  //    returns at once; the request shares the tensors' storage until delivery (no copy). The callback
  //    runs on a runtime worker thread, exactly once per sample, with the completed request. Keep it
  //    short and non-blocking: here it copies out the first output and queues it for the consumer (it
  //    must not wait on other results of this ordered model).
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
      std::vector<const ei::Tensor*> ins;
      for (const ei::Tensor& t : fr.inputs) ins.push_back(&t);
      auto deliver = [&, fid, cap](ei::Request& done) {
        Done d{fid, cap, {}, {}};
        try {
          std::vector<ei::Tensor> out = done.Get();   // completed: does not block; shares the runtime's buffers
          const ei::Tensor& y = out.at(0);              // first output, e.g. class scores
          if (y.dtype() == EI_FLOAT32) d.first_output.assign(y.Data<float>(), y.Data<float>() + y.ElementCount());
        } catch (const ei::Error& e) {
          d.error = e.what();
        }
        std::lock_guard<std::mutex> g(mu);
        results.push_back(std::move(d));
        --inflight;
        cv.notify_all();
      };
      try {
        net.Submit(ins, deliver);
      } catch (const ei::Error& e) {   // refused at submit (bad input): count it as a failed frame
        Done d{fid, cap, e.what(), {}};
        std::lock_guard<std::mutex> g(mu);
        results.push_back(std::move(d));
        --inflight;
        cv.notify_all();
      }
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
      if (!d.error.empty()) {
        ++errors;
        std::fprintf(stderr, "frame %lld: %s\n", static_cast<long long>(d.id), d.error.c_str());
      } else {
        const std::vector<float>& y = d.first_output;
        int64_t best = 0;
        for (size_t i = 1; i < y.size(); ++i)
          if (y[i] > y[best]) best = static_cast<int64_t>(i);
        if (static_cast<int64_t>(class_hist.size()) <= best) class_hist.resize(best + 1);
        ++class_hist[best];
        latency_ms.push_back(ms);
      }
      lk.lock();
    }
  }
  camera.join();
  dispatcher.join();

  std::printf("host latency (capture -> result, ms): p50 %.2f  p90 %.2f  p99 %.2f  [clock: host]\n",
              Pct(latency_ms, 50), Pct(latency_ms, 90), Pct(latency_ms, 99));
  for (const ei::EngineInfo& st : net.Engines())   // where the host time went, per engine
    std::printf("  %s: %lld samples, %.2f ms per launch in the executor [clock: host]\n", st.name.c_str(),
                static_cast<long long>(st.samples), st.launches ? 1e3 * st.busy_s / st.launches : 0.0);
  int64_t top = class_hist.empty() ? -1 : std::max_element(class_hist.begin(), class_hist.end()) - class_hist.begin();
  std::printf("detections: %zu frames, most frequent class %lld\n", latency_ms.size(), static_cast<long long>(top));

  // 7. Target clock: what the SoC model predicts for one frame at a time on this plan (256 SingleStream
  //    queries simulated on the profile; no host work).
  try {
    const ei_latency tl = net.TargetLatency(256);
    std::printf("target latency per frame (%s %s): p50 %.3f  p90 %.3f  p99 %.3f ms  [clock: target]\n", soc.c_str(),
                session->PowerMode().empty() ? "default mode" : session->PowerMode().c_str(), tl.p50_ms, tl.p90_ms,
                tl.p99_ms);
  } catch (const ei::Error& e) {
    std::printf("target latency: not available (%s)\n", e.what());
  }

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
