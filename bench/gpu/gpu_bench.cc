// edgeinfer-bench-gpu: edgeinfer's CUDA executor (FP16, INT8) on ResNet-50, MobileNetV2 and the
// SSD-MobileNet backbone at several batch sizes, against PyTorch figures measured in the same run
// by bench/gpu/torch_peer.py (passed with --peer). scripts/gpu_run.sh runs both.
//
// Method: per (model, precision) one CudaDevice; per batch PrepareBatch (arena, algorithm tuning,
// the eager first run and the CUDA graph capture), then `warmup` launches, then `iters` launches each
// timed alone with CUDA events on the device's stream; the median is reported (img/s = batch /
// median). Inputs stay resident on the GPU (as the peer's static CUDA-graph input does); the time
// includes our NCHW FP32 -> NHWC conversion of the input and the output conversion.
// Graphs come from bench/gpu/cnn_models.h (fused form, random weights; INT8 quantized there with
// per-channel max weight scales and one fixed activation scale: see that header).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/gpu/cnn_models.h"
#include "devices/cuda/cuda_device.h"
#include "graph/shape_inference.h"

namespace {

using namespace edgeinfer;   // NOLINT

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

struct Row {
  std::string model, precision;
  int batch = 0;
  double ms = 0, img_s = 0, peer_ms = 0, peer_img_s = 0;
  std::string note;
};

}  // namespace

int main(int argc, char** argv) {
  std::string models = "resnet50,mobilenet_v2,ssd_mobilenet_v1_backbone", precisions = "fp16,int8,int8f", batches = "1,8,32,128,256";
  std::string peer_path, json_path, cache_path = "gpu_timing_cache.txt", explain_path;
  int warmup = 20, iters = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--models") models = v;
    else if (k == "--precisions") precisions = v;
    else if (k == "--batches") batches = v;
    else if (k == "--peer") peer_path = v;
    else if (k == "--json") json_path = v;
    else if (k == "--cache") cache_path = v;
    else if (k == "--explain") explain_path = v;
    else if (k == "--warmup") warmup = std::stoi(v);
    else if (k == "--iters") iters = std::stoi(v);
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  std::string why;
  if (!devices::CudaDevice::Available(&why)) {
    std::printf("no CUDA device: %s\n", why.c_str());
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s (sm_%d%d, %d SMs), timing cache %s\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount, cache_path.c_str());
  nlohmann::json peer;
  if (!peer_path.empty()) {
    std::ifstream f(peer_path);
    if (f) f >> peer;
    else std::printf("peer file %s not found: no PyTorch column\n", peer_path.c_str());
  }
  std::ofstream explain;
  if (!explain_path.empty()) explain.open(explain_path);
  std::vector<Row> rows;
  const std::map<std::string, cnn::Model> kModels = {{"resnet50", cnn::Model::kResNet50}, {"mobilenet_v2", cnn::Model::kMobileNetV2},
                                                      {"ssd_mobilenet_v1_backbone", cnn::Model::kSsdMobileNetBackbone}, {"tiny_cnn", cnn::Model::kTinyCnn}};
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  for (const std::string& mname : Split(models)) {
    if (!kModels.count(mname)) { std::printf("unknown model %s\n", mname.c_str()); return 2; }
    for (const std::string& prec : Split(precisions)) {
      const bool int8 = prec == "int8" || prec == "int8f";   // int8f: float-scaled epilogue (within 1 LSB)
      Graph g = cnn::Build(kModels.at(mname), int8);
      Status st = InferShapes(g);
      if (!st.ok()) { std::printf("%s: %s\n", mname.c_str(), st.message().c_str()); return 1; }
      devices::CudaOptions opt;
      opt.float_precision = DType::kFloat16;   // INT8 graphs: their float parts (head) run FP16
      opt.timing_cache = cache_path;
      opt.int8_exact_epilogue = prec != "int8f";
      devices::CudaDevice dev(opt);
      st = dev.Prepare(std::make_shared<const Graph>(std::move(g)));
      if (!st.ok()) { std::printf("%s %s: prepare failed: %s\n", mname.c_str(), prec.c_str(), st.message().c_str()); continue; }
      auto stream = static_cast<cudaStream_t>(dev.stream());
      for (const std::string& bs : Split(batches)) {
        const int b = std::stoi(bs);
        Row r;
        r.model = mname;
        r.precision = prec;
        r.batch = b;
        st = dev.PrepareBatch(b);
        for (int i = 0; st.ok() && i < warmup; ++i) st = dev.Enqueue(b);
        if (st.ok()) st = dev.Sync();
        std::vector<float> ms;
        for (int i = 0; st.ok() && i < iters; ++i) {
          cudaEventRecord(e0, stream);
          st = dev.Enqueue(b);
          cudaEventRecord(e1, stream);
          cudaEventSynchronize(e1);
          float t = 0;
          cudaEventElapsedTime(&t, e0, e1);
          ms.push_back(t);
        }
        if (!st.ok()) {
          r.note = st.message();
          std::printf("%s %s b%d: FAILED: %s\n", mname.c_str(), prec.c_str(), b, st.message().c_str());
          rows.push_back(r);
          continue;
        }
        std::sort(ms.begin(), ms.end());
        r.ms = ms[ms.size() / 2];
        r.img_s = b / (r.ms / 1000.0);
        if (peer.contains(mname) && peer[mname].contains(bs)) {
          r.peer_ms = peer[mname][bs]["ms"].get<double>();
          r.peer_img_s = peer[mname][bs]["img_s"].get<double>();
        }
        std::printf("%-26s %-5s b%-4d %9.3f ms %10.0f img/s   pytorch-fp16 %9.3f ms %10.0f img/s   x%.2f  (min %.3f max %.3f)\n", mname.c_str(),
                    prec.c_str(), b, r.ms, r.img_s, r.peer_ms, r.peer_img_s, r.peer_img_s > 0 ? r.img_s / r.peer_img_s : 0.0, ms.front(), ms.back());
        std::fflush(stdout);
        rows.push_back(r);
        if (explain && (b == 256 || b == 1)) {
          Status ps = dev.Profile(b);
          explain << "== " << mname << " " << prec << " batch " << b << " (eager per-step GPU time" << (ps.ok() ? "" : ": " + ps.message()) << ")\n";
          for (const std::string& line : dev.Explain(b)) explain << line << "\n";
        }
      }
    }
  }
  std::printf("\n| model | prec | batch | edgeinfer ms | edgeinfer img/s | PyTorch FP16 ms | PyTorch img/s | speed-up |\n|---|---|---|---|---|---|---|---|\n");
  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    if (r.ms > 0)
      std::printf("| %s | %s | %d | %.3f | %.0f | %.3f | %.0f | %.2fx |\n", r.model.c_str(), r.precision.c_str(), r.batch, r.ms, r.img_s, r.peer_ms,
                  r.peer_img_s, r.peer_img_s > 0 ? r.img_s / r.peer_img_s : 0.0);
    else
      std::printf("| %s | %s | %d | failed: %s | | | | |\n", r.model.c_str(), r.precision.c_str(), r.batch, r.note.c_str());
    out.push_back({{"model", r.model}, {"precision", r.precision}, {"batch", r.batch}, {"ms", r.ms}, {"img_s", r.img_s},
                   {"peer_ms", r.peer_ms}, {"peer_img_s", r.peer_img_s}, {"note", r.note}});
  }
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
