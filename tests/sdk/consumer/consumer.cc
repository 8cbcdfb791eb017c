// An application in C++ against the installed edgeinfer through find_package(edgeinfer CONFIG):
// the header-only C++ API over the C API. Runs one sample of MODEL on SOC, prints the outputs'
// shapes, the engines and the modeled target-clock latency, and checks that a missing file is an
// ei::Error with EI_ERR_NOT_FOUND naming it.
//   edgeinfer-consumer-cpp MODEL.onnx [SOC]      exit 0 ok, 1 error
#include <edgeinfer/edgeinfer.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : "tiny_cnn.onnx";
  const std::string soc = argc > 2 ? argv[2] : "orin-agx";
  try {
    std::printf("edgeinfer %s\n", ei::Version().c_str());
    ei::Session session(soc, "15W");
    std::printf("profile: %s (power mode %s)\n", session.SocPath().c_str(), session.PowerMode().c_str());
    try {
      session.Load("/nonexistent/model.onnx");
      std::fprintf(stderr, "error: loading a missing file succeeded\n");
      return 1;
    } catch (const ei::Error& e) {
      if (e.code() != EI_ERR_NOT_FOUND) throw;
      std::printf("missing file: %s\n", e.what());
    }
    ei::Model net = session.Load(model);   // INT8 on gpu,dla0,dla1
    ei::Tensor x = ei::Tensor::Create(EI_FLOAT32, net.InputShape(0, 1));
    for (size_t i = 0; i < x.ElementCount(); ++i) x.Data<float>()[i] = static_cast<float>(i % 17) / 17.0f;
    std::vector<ei::Tensor> y = net.Submit({&x}).Get();
    for (size_t i = 0; i < y.size(); ++i) {
      std::string dims;
      for (int64_t d : y[i].Shape()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
      std::printf("output %s: %s %s\n", net.OutputName(i).c_str(), ei_dtype_name(y[i].dtype()), dims.c_str());
    }
    for (const ei::EngineInfo& e : net.Engines())
      std::printf("engine %s: %lld samples on %s\n", e.name.c_str(), static_cast<long long>(e.samples), e.device.c_str());
    const ei_latency l = net.TargetLatency(128);
    std::printf("target latency p50 %.3f ms [clock: target]\n", l.p50_ms);
  } catch (const ei::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
