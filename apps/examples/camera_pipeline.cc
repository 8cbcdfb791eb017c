// Camera pipeline demo: video in -> preprocess -> edgeinfer (GPU + DLA engines) -> postprocess ->
// annotated video out, each stage on its own thread, connected by bounded queues, frames in order.
//
//   edgeinfer-camera-demo --model M.onnx | --plan M.plan  [--source clip.avi | --source 0 | --source synthetic]
//                         [--frames N] [--out annotated.avi] [--soc orin-agx] [--power-mode P]
//                         [--engines gpu,dla0,dla1] [--io-format float|int8] [--queue 4] [--inflight 16]
//
// Stages:
//   capture     OpenCV VideoCapture (a file, or a camera index), or a synthetic moving test pattern.
//   preprocess  resize the shorter side to 256/224 of the model's input, centre crop to the input's
//               H x W, BGR -> RGB, (x / 255 - mean) / std (ImageNet), NCHW float. A model compiled
//               with INT8 network I/O (--io-format int8) takes the crop quantized to its input scale
//               here, on the camera side, as NVIDIA's harness feeds its DLAs.
//   infer       Session::Submit with a callback, at most --inflight frames in flight (enough to fill the
//               engines' batches); the session spreads frames over its engines.
//   postprocess top-1 class and its softmax probability of the first output (dequantized when
//               int8), drawn on the frame; written to --out (MJPG .avi) when given.
// At the end: frames, host fps, per-stage median host time, end-to-end latency p50/p99 [host
// clock]; and what the SoC model predicts for the session's plan: throughput, per-frame latency
// and average power [target clock].
// Exit status: 0 ok, 1 setup error, 2 a frame lost or out of order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "runtime/edgeinfer.h"

using namespace edgeinfer;
using namespace edgeinfer::runtime;
using Clock = std::chrono::steady_clock;

namespace {

// A blocking FIFO of at most `cap` items; Close() wakes everyone and Pop() then drains and ends.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t cap) : cap_(cap) {}
  void Push(T v) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return q_.size() < cap_ || closed_; });
    q_.push_back(std::move(v));
    cv_.notify_all();
  }
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return v;
  }
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  size_t cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool closed_ = false;
};

struct Frame {
  int64_t id = 0;
  cv::Mat bgr;
  Clock::time_point captured;
  double capture_ms = 0, pre_ms = 0, infer_ms = 0, post_ms = 0;
  devices::TensorMap inputs;
  Result<devices::TensorMap> outputs = Status::Error("not run");
};

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());   // nearest rank
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size()))));
  return v[std::min(k, v.size()) - 1];
}

// A moving test pattern: gradient background, a bright square crossing the frame.
cv::Mat Synthetic(int64_t i, int h, int w) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 255 / w), static_cast<uint8_t>(y * 255 / h), 96);
  const int s = h / 4, x0 = static_cast<int>((i * 7) % std::max(1, w - s));
  cv::rectangle(m, cv::Rect(x0, h / 3, s, s), cv::Scalar(255, 255, 255), cv::FILLED);
  return m;
}

// NCHW tensor of the centre crop (float, or int8 at `scale` when the input is int8).
Tensor Preprocess(const cv::Mat& bgr, const Value& input) {
  const int64_t ih = input.shape.dims[2], iw = input.shape.dims[3];
  const double resize_to = std::round(static_cast<double>(std::min(ih, iw)) * 256.0 / 224.0);
  const double f = resize_to / std::min(bgr.rows, bgr.cols);
  cv::Mat r;
  cv::resize(bgr, r, cv::Size(std::max<int>(static_cast<int>(iw), static_cast<int>(std::lround(bgr.cols * f))),
                              std::max<int>(static_cast<int>(ih), static_cast<int>(std::lround(bgr.rows * f)))),
             0, 0, cv::INTER_LINEAR);
  const cv::Mat crop = r(cv::Rect((r.cols - static_cast<int>(iw)) / 2, (r.rows - static_cast<int>(ih)) / 2, static_cast<int>(iw), static_cast<int>(ih)));
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std_[3] = {0.229f, 0.224f, 0.225f};
  const bool int8 = input.dtype == DType::kInt8;
  const float scale = int8 && input.quant ? input.quant->scale[0] : 1.f;
  Tensor t(input.dtype, {1, 3, ih, iw});
  for (int c = 0; c < 3; ++c) {
    for (int64_t y = 0; y < ih; ++y) {
      const cv::Vec3b* row = crop.ptr<cv::Vec3b>(static_cast<int>(y));
      for (int64_t x = 0; x < iw; ++x) {
        const float v = (row[x][2 - c] / 255.f - mean[c]) / std_[c];   // BGR -> RGB
        const int64_t i = (c * ih + y) * iw + x;
        if (int8) t.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(std::nearbyint(v / scale), -128.f, 127.f));
        else t.data<float>()[i] = v;
      }
    }
  }
  return t;
}

int Fail(const std::string& what, const Status& s = Status::Ok()) {
  std::fprintf(stderr, "edgeinfer-camera-demo: %s%s%s\n", what.c_str(), s.ok() ? "" : ": ", s.ok() ? "" : s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, plan_file, source = "synthetic", out, soc = "orin-agx", power_mode, engines = "gpu,dla0,dla1", io = "float";
  int64_t frames = 60, queue = 4, inflight = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model") model = next();
    else if (a == "--plan") plan_file = next();
    else if (a == "--source") source = next();
    else if (a == "--frames") frames = std::atoll(next().c_str());
    else if (a == "--out") out = next();
    else if (a == "--soc") soc = next();
    else if (a == "--power-mode") power_mode = next();
    else if (a == "--engines") engines = next();
    else if (a == "--io-format") io = next();
    else if (a == "--queue") queue = std::atoll(next().c_str());
    else if (a == "--inflight") inflight = std::atoll(next().c_str());
    else return Fail("unknown option '" + a + "' (see the usage at the top of apps/examples/camera_pipeline.cc)");
  }
  if (model.empty() == plan_file.empty()) return Fail("give --model M.onnx or --plan M.plan");
  if (frames <= 0 || queue <= 0 || inflight <= 0) return Fail("--frames, --queue and --inflight must be positive");

  auto session_or = Session::Create({.soc = soc, .power_mode = power_mode});
  if (!session_or.ok()) return Fail("SoC profile '" + soc + "'", session_or.status());
  std::unique_ptr<Session> session = std::move(session_or).value();
  ModelOptions mo;
  mo.engines = engines;
  mo.ordered = true;
  auto io_format = ParseIoFormat(io);
  if (!io_format.ok()) return Fail("--io-format", io_format.status());
  mo.io_format = *io_format;
  auto id_or = plan_file.empty() ? session->LoadModel(model, mo) : session->LoadEngineFile(plan_file, mo);
  if (!id_or.ok()) return Fail("model", id_or.status());
  const ModelId net = *id_or;
  std::shared_ptr<const Graph> graph = session->graph(net);
  if (graph->inputs().size() != 1) return Fail("the demo feeds single-input image models");
  const Value& input = graph->value(graph->inputs()[0]);
  if (input.shape.rank() != 4 || input.shape.dims[1] != 3 || input.shape.dims[2] <= 0 || input.shape.dims[3] <= 0)
    return Fail("input '" + input.name + "' is not a 3-channel NCHW image of fixed size: " + input.shape.ToString());
  if (input.dtype != DType::kFloat32 && !(input.dtype == DType::kInt8 && input.quant && input.quant->scale.size() == 1))
    return Fail("input '" + input.name + "' is neither float32 nor per-tensor int8");
  const ValueId out_id = graph->outputs()[0];
  const std::string out_name = graph->value(out_id).name;
  const float out_scale = graph->value(out_id).quant && graph->value(out_id).dtype == DType::kInt8 ? graph->value(out_id).quant->scale[0] : 1.f;

  cv::VideoCapture cap;
  const bool synthetic = source == "synthetic";
  if (!synthetic) {
    const bool index = !source.empty() && std::all_of(source.begin(), source.end(), ::isdigit);
    if (!(index ? cap.open(std::atoi(source.c_str())) : cap.open(source)))
      return Fail("--source '" + source + "': OpenCV cannot open it (a video file, a camera index, or 'synthetic')");
  }
  std::printf("camera demo: %s on %s %s, plan %s, input %s %s%s\n", (plan_file.empty() ? model : plan_file).c_str(), soc.c_str(),
              session->soc().active_power_mode.c_str(), session->Plan(net).value().ToString().c_str(), DTypeName(input.dtype),
              input.shape.ToString().c_str(), input.dtype == DType::kInt8 ? " (int8 I/O: quantized in the preprocess stage)" : "");

  BoundedQueue<Frame> captured(static_cast<size_t>(queue)), ready(static_cast<size_t>(queue)), inferred(static_cast<size_t>(queue));
  std::vector<Frame> finished;
  std::mutex fin_mu;
  const Clock::time_point t0 = Clock::now();

  std::thread capture([&] {
    for (int64_t i = 0; i < frames; ++i) {
      Frame f;
      f.id = i;
      const auto a = Clock::now();
      if (synthetic) f.bgr = Synthetic(i, 360, 640);
      else if (!cap.read(f.bgr) || f.bgr.empty()) break;   // end of the clip
      f.captured = Clock::now();
      f.capture_ms = Ms(a, f.captured);
      captured.Push(std::move(f));
    }
    captured.Close();
  });
  std::thread pre([&] {
    while (auto f = captured.Pop()) {
      const auto a = Clock::now();
      f->inputs[input.name] = Preprocess(f->bgr, input);
      f->pre_ms = Ms(a, Clock::now());
      ready.Push(std::move(*f));
    }
    ready.Close();
  });
  // Infer: submit each frame with a callback; callbacks come back in submission order (ordered).
  std::mutex inf_mu;
  std::condition_variable inf_cv;
  int64_t submitted = 0, delivered = 0;
  std::thread infer([&] {
    while (auto f = ready.Pop()) {
      auto frame = std::make_shared<Frame>(std::move(*f));
      devices::TensorMap in = frame->inputs;
      {
        std::unique_lock<std::mutex> l(inf_mu);
        inf_cv.wait(l, [&] { return submitted - delivered < inflight; });
        ++submitted;
      }
      const auto a = Clock::now();
      session->Submit(net, std::move(in), [&, frame, a](Result<devices::TensorMap> r) {
        frame->infer_ms = Ms(a, Clock::now());
        frame->outputs = std::move(r);
        inferred.Push(std::move(*frame));
        std::lock_guard<std::mutex> l(inf_mu);
        ++delivered;
        inf_cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> l(inf_mu);
    inf_cv.wait(l, [&] { return delivered == submitted; });
    l.unlock();
    inferred.Close();
  });
  cv::VideoWriter writer;
  std::string post_error;
  std::thread post([&] {
    while (auto f = inferred.Pop()) {
      const auto a = Clock::now();
      std::string label = "error";
      if (f->outputs.ok() && f->outputs->count(out_name)) {
        const Tensor& y = f->outputs->at(out_name);
        std::vector<double> logits(static_cast<size_t>(y.numel()));
        for (int64_t i = 0; i < y.numel(); ++i) logits[static_cast<size_t>(i)] = y.GetAsDouble(i) * out_scale;
        const size_t best = static_cast<size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        double z = 0;
        for (double v : logits) z += std::exp(v - logits[best]);
        char buf[64];
        std::snprintf(buf, sizeof buf, "class %zu p=%.2f", best, 1.0 / z);
        label = buf;
      } else if (post_error.empty()) {
        post_error = f->outputs.ok() ? "output '" + out_name + "' missing" : f->outputs.status().message();
      }
      cv::putText(f->bgr, "frame " + std::to_string(f->id) + ": " + label, cv::Point(10, 30), cv::FONT_HERSHEY_SIMPLEX, 0.8,
                  cv::Scalar(0, 255, 0), 2);
      if (!out.empty()) {
        if (!writer.isOpened() && !writer.open(out, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30, f->bgr.size())) {
          if (post_error.empty()) post_error = "cannot write --out '" + out + "' (an .avi path)";
        }
        if (writer.isOpened()) writer.write(f->bgr);
      }
      f->post_ms = Ms(a, Clock::now());
      f->bgr.release();
      f->inputs.clear();
      std::lock_guard<std::mutex> l(fin_mu);
      finished.push_back(std::move(*f));
    }
  });
  capture.join();
  pre.join();
  infer.join();
  post.join();
  writer.release();
  const double wall_s = Ms(t0, Clock::now()) / 1e3;
  if (!post_error.empty()) return Fail("inference", Status::Error(post_error));
  if (finished.empty()) return Fail("no frame was read from --source '" + source + "'");

  // Every frame once, in order.
  for (size_t i = 0; i < finished.size(); ++i)
    if (finished[i].id != static_cast<int64_t>(i)) {
      std::fprintf(stderr, "edgeinfer-camera-demo: frame %lld arrived at position %zu\n", static_cast<long long>(finished[i].id), i);
      return 2;
    }
  std::vector<double> cap_ms, pre_ms, inf_ms, post_ms, e2e;
  for (const Frame& f : finished) {
    cap_ms.push_back(f.capture_ms);
    pre_ms.push_back(f.pre_ms);
    inf_ms.push_back(f.infer_ms);
    post_ms.push_back(f.post_ms);
    e2e.push_back(f.capture_ms + f.pre_ms + f.infer_ms + f.post_ms);
  }
  std::printf("frames   %zu in %.2f s: %.1f fps  [clock: host]\n", finished.size(), wall_s, static_cast<double>(finished.size()) / wall_s);
  std::printf("stages   median ms: capture %.2f  preprocess %.2f  infer %.2f  postprocess %.2f  [clock: host]\n", Pct(cap_ms, 50),
              Pct(pre_ms, 50), Pct(inf_ms, 50), Pct(post_ms, 50));
  std::printf("latency  per frame, capture to annotated: p50 %.1f  p99 %.1f ms  [clock: host]\n", Pct(e2e, 50), Pct(e2e, 99));
  if (!out.empty()) std::printf("wrote    %s\n", out.c_str());

  // Target clock: the plan's sustained throughput and power (Offline) and one frame's latency
  // (SingleStream) on the SoC profile.
  const BatchPlan plan = session->Plan(net).value();
  auto targets = session->TargetModels(net, plan);
  if (!targets.ok()) return Fail("target models", targets.status());
  ScenarioSpec off;
  off.kind = ScenarioKind::kOffline;
  ScenarioSpec single;
  single.kind = ScenarioKind::kSingleStream;
  auto to = RunTargetScenario(session->soc(), plan, *targets, off, 1);
  auto ts = RunTargetScenario(session->soc(), plan, *targets, single, 256);
  if (!to.ok()) return Fail("target throughput", to.status());
  if (!ts.ok()) return Fail("target latency", ts.status());
  auto pw = EstimatePower(session->soc(), to->sim);
  std::printf("target   %.0f frames/s sustained, one frame p50 %.3f p99 %.3f ms, %s  [clock: target, %s %s]\n", to->throughput,
              ts->latency.p50 * 1e3, ts->latency.p99 * 1e3, pw.ok() ? pw->Summary(session->soc().active_power_mode).c_str() : "power n/a",
              soc.c_str(), session->soc().active_power_mode.c_str());
  return 0;
}
