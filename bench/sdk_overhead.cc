// edgeinfer-bench-sdk-overhead: what the public APIs add per request, on the host clock.
//
// One request at a time (submit, wait for the callback, next) on one model, through three layers in
// the same process and the same run, rounds interleaved:
//   runtime  the in-tree C++ Session::Submit(model, inputs, callback)        (the peer: the layer beneath)
//   c        the C API: ei_submit_callback                                    (libedgeinfer.so)
//   cpp      the header-only C++ API: ei::Model::Submit(inputs, std::function) over the C API
// Per request it takes the time from just before the submit call to the first instruction of the
// callback, and subtracts the time the engine's executor spent on that request (the scheduler's
// busy time, read before and after each request), so what is left is the submit-to-callback
// overhead: input checks, queueing, the worker's wake-up, result delivery. Medians over the rounds.
// The executor time itself is printed too. Both the C API's and the runtime's sessions load the same
// model (FP32 on the "gpu" engine, which computes on the host's fast CPU path without a CUDA device).
//
//   edgeinfer-bench-sdk-overhead [--model M.onnx] [--requests 300] [--rounds 5]
// Output: a table and one JSON line (prefix "json: ").
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "edgeinfer/edgeinfer.h"
#include "edgeinfer/edgeinfer.hpp"
#include "runtime/edgeinfer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Clock::time_point at;
  void Signal() {
    const auto t = Clock::now();
    std::lock_guard<std::mutex> lock(mu);
    at = t;
    done = true;
    cv.notify_one();
  }
  Clock::time_point Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    done = false;
    return at;
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Round {
  double submit_to_callback_us = 0;   // median per request, executor time excluded
  double executor_us = 0;             // median per request
};

int Fail(const char* what) {
  std::fprintf(stderr, "error: %s: %s\n", what, ei_last_error());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = EDGEINFER_BINARY_DIR "/models/tiny_cnn.onnx";
  int requests = 300, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") model = v;
    else if (a == "--requests") requests = std::atoi(v.c_str());
    else if (a == "--rounds") rounds = std::atoi(v.c_str());
    else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 1; }
  }

  // The C API's session and model.
  ei_session* cs = nullptr;
  ei_model* cm = nullptr;
  if (ei_session_create("orin-agx", nullptr, &cs) != EI_OK) return Fail("ei_session_create");
  ei_model_options o;
  ei_model_options_init(&o);
  o.engines = "gpu";
  o.precision = "fp32";
  if (ei_model_load(cs, model.c_str(), &o, &cm) != EI_OK) return Fail("ei_model_load");
  int64_t dims[8];
  const size_t rank = ei_model_input_shape(cm, 0, dims, 8);
  dims[0] = 1;
  ei_tensor* cx = nullptr;
  if (ei_tensor_create(EI_FLOAT32, dims, rank, &cx) != EI_OK) return Fail("ei_tensor_create");
  for (size_t i = 0; i < ei_tensor_element_count(cx); ++i) static_cast<float*>(ei_tensor_data(cx))[i] = 0.01f * (i % 100);
  ei::Model pm(cm);
  ei::Tensor px = ei::Tensor::Wrap(EI_FLOAT32, std::vector<int64_t>(dims, dims + rank), ei_tensor_data(cx));

  // The runtime's own session (the peer), same options.
  namespace rt = edgeinfer::runtime;
  auto rs = rt::Session::Create({"orin-agx", ""});
  if (!rs.ok()) { std::fprintf(stderr, "error: %s\n", rs.status().message().c_str()); return 1; }
  rt::ModelOptions mo;
  mo.engines = "gpu";
  mo.precision = edgeinfer::Precision::kFp32;
  auto rid = (*rs)->LoadModel(model, mo);
  if (!rid.ok()) { std::fprintf(stderr, "error: %s\n", rid.status().message().c_str()); return 1; }
  const std::string in_name = ei_model_input_name(cm, 0);
  edgeinfer::Tensor rx = edgeinfer::Tensor::FromBytes(edgeinfer::DType::kFloat32, std::vector<int64_t>(dims, dims + rank),
                                                       ei_tensor_data(cx));

  auto busy_c = [&] {
    ei_engine_info e{};
    ei_model_engine(cm, 0, &e);
    return e.busy_s;
  };
  auto busy_r = [&] {
    auto st = (*rs)->HostStats(*rid);
    return st.ok() && !st->empty() ? (*st)[0].busy_s : 0.0;
  };

  Waiter w;
  auto run_round = [&](const char* api) {
    std::vector<double> us, exec_us;
    const bool runtime = std::strcmp(api, "runtime") == 0;
    for (int i = 0; i < requests; ++i) {
      const double busy0 = runtime ? busy_r() : busy_c();
      const auto t0 = Clock::now();
      if (runtime) {
        (*rs)->Submit(*rid, {{in_name, rx}}, [&](edgeinfer::Result<edgeinfer::devices::TensorMap>) { w.Signal(); });
      } else if (api[0] == 'c' && api[1] == 0) {
        if (ei_submit_callback(cm, &cx, 1, [](ei_request*, ei_status, void* u) { static_cast<Waiter*>(u)->Signal(); }, &w) != EI_OK)
          std::abort();
      } else {
        pm.Submit({&px}, [&](ei::Request&) { w.Signal(); });
      }
      const auto t1 = w.Wait();
      // The scheduler adds the launch's busy time before it delivers, so it is in by now.
      const double busy = ((runtime ? busy_r() : busy_c()) - busy0) * 1e6;
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() - busy);
      exec_us.push_back(busy);
    }
    Round r;
    r.executor_us = Median(exec_us);
    r.submit_to_callback_us = Median(us);
    return r;
  };

  const char* apis[] = {"runtime", "c", "cpp"};
  for (const char* a : apis) run_round(a);   // warm-up
  std::vector<double> over[3], exec[3];
  for (int r = 0; r < rounds; ++r)
    for (int k = 0; k < 3; ++k) {
      Round x = run_round(apis[k]);
      over[k].push_back(x.submit_to_callback_us);
      exec[k].push_back(x.executor_us);
    }
  std::printf("model %s, %d requests x %d rounds, one in flight, engine gpu (functional: %s) [clock: host]\n",
              model.c_str(), requests, rounds, pm.Engines()[0].device.c_str());
  std::printf("%-8s %28s %16s %12s\n", "api", "submit-to-callback (us)", "executor (us)", "vs runtime");
  const double base = Median(over[0]);
  std::string json = "{\"clock\":\"host\",\"model\":\"" + model + "\"";
  for (int k = 0; k < 3; ++k) {
    const double m = Median(over[k]);
    std::printf("%-8s %28.1f %16.1f %12.2f\n", apis[k], m, Median(exec[k]), base > 0 ? m / base : 0.0);
    json += std::string(",\"") + apis[k] + "_overhead_us\":" + std::to_string(m) + ",\"" + apis[k] + "_executor_us\":" +
            std::to_string(Median(exec[k]));
  }
  std::printf("json: %s}\n", json.c_str());
  ei_tensor_release(&cx);
  ei_session_destroy(&cs);
  return 0;
}
