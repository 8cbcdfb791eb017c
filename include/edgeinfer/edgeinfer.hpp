// edgeinfer C++ API (C++17): a header-only layer over the C API (edgeinfer/edgeinfer.h), so the
// library's ABI is the C one and no C++ type of the runtime is part of it.
//
//   #include <edgeinfer/edgeinfer.hpp>
//   ei::Session session("orin-agx", "MAXN");                  // throws ei::Error on failure
//   ei::Model net = session.Load("model.onnx");               // or "model.plan"
//   ei::Tensor x = ei::Tensor::Create(EI_FLOAT32, net.InputShape(0, /*batch=*/1));
//   float* px = x.Data<float>();  ...                          // fill in place (runtime storage)
//   ei::Request r = net.Submit({&x});                          // asynchronous
//   std::vector<ei::Tensor> y = r.Get();                       // waits; outputs share the runtime's buffers
//   net.Submit({&x}, [](ei::Request& done) { ... });           // or a callback on a runtime thread
//
// Errors: this layer throws ei::Error (code + the library's message). The throw happens in your
// binary, in this header; nothing throws across the library. Ownership: Session owns its models
// (ei::Model is a non-owning view valid while the Session lives); Tensor and Request are move-only
// owners of their handles. Copies: as the C API says (edgeinfer.h, "Copies").
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "edgeinfer/edgeinfer.h"

namespace ei {

class Error : public std::runtime_error {
 public:
  Error(ei_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ei_status code() const { return code_; }

 private:
  ei_status code_;
};

inline void Check(ei_status s) {
  if (s != EI_OK) throw Error(s, std::string(ei_status_name(s)) + ": " + ei_last_error());
}

inline std::string Version() { return ei_version(); }

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(ei_tensor* adopt) : t_(adopt) {}
  Tensor(Tensor&& o) noexcept : t_(o.t_) { o.t_ = nullptr; }
  Tensor& operator=(Tensor&& o) noexcept {
    if (this != &o) {
      ei_tensor_release(&t_);
      t_ = o.t_;
      o.t_ = nullptr;
    }
    return *this;
  }
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() { ei_tensor_release(&t_); }

  // Zero-filled runtime storage.
  static Tensor Create(ei_dtype dtype, const std::vector<int64_t>& dims) {
    ei_tensor* t = nullptr;
    Check(ei_tensor_create(dtype, dims.data(), dims.size(), &t));
    return Tensor(t);
  }
  // Borrows `data` (see ei_tensor_wrap): it must outlive this tensor and every request using it.
  static Tensor Wrap(ei_dtype dtype, const std::vector<int64_t>& dims, void* data) {
    ei_tensor* t = nullptr;
    Check(ei_tensor_wrap(dtype, dims.data(), dims.size(), data, nullptr, nullptr, &t));
    return Tensor(t);
  }

  template <class T> T* Data() { return static_cast<T*>(ei_tensor_data(t_)); }
  template <class T> const T* Data() const { return static_cast<const T*>(ei_tensor_data(t_)); }
  ei_dtype dtype() const { return ei_tensor_dtype(t_); }
  std::vector<int64_t> Shape() const {
    std::vector<int64_t> d(ei_tensor_rank(t_));
    for (size_t i = 0; i < d.size(); ++i) d[i] = ei_tensor_dim(t_, i);
    return d;
  }
  size_t ElementCount() const { return ei_tensor_element_count(t_); }
  size_t ByteSize() const { return ei_tensor_byte_size(t_); }
  ei_tensor* get() const { return t_; }
  explicit operator bool() const { return t_ != nullptr; }

 private:
  // ei_tensor_data takes a non-const handle; reading through a const Tensor does not modify it.
  ei_tensor* t_ = nullptr;
};

class Request {
 public:
  Request() = default;
  explicit Request(ei_request* adopt, bool owned = true) : r_(adopt), owned_(owned) {}
  Request(Request&& o) noexcept : r_(o.r_), owned_(o.owned_) { o.r_ = nullptr; }
  Request& operator=(Request&& o) noexcept {
    if (this != &o) {
      if (owned_) ei_request_release(&r_);
      r_ = o.r_;
      owned_ = o.owned_;
      o.r_ = nullptr;
    }
    return *this;
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    if (owned_) ei_request_release(&r_);
  }

  // Waits (timeout_us < 0: no limit); false on timeout; throws the request's error.
  bool Wait(int64_t timeout_us = -1) {
    ei_status s = ei_request_wait(r_, timeout_us);
    if (s == EI_ERR_TIMEOUT) return false;
    Check(s);
    return true;
  }
  // True once completed (throws the request's error); never blocks.
  bool Ready() {
    ei_status s = ei_request_poll(r_);
    if (s == EI_ERR_NOT_READY) return false;
    Check(s);
    return true;
  }
  // The request's status and message without throwing (after completion).
  ei_status status() { return ei_request_poll(r_); }
  std::string error() const { return ei_request_error(r_); }
  // The outputs in the model's order (waits first); they share the runtime's buffers.
  std::vector<Tensor> Get() {
    Wait();
    std::vector<Tensor> out;
    const size_t n = ei_request_output_count(r_);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      ei_tensor* t = nullptr;
      Check(ei_request_output(r_, i, &t));
      out.emplace_back(t);
    }
    return out;
  }
  ei_request* get() const { return r_; }

 private:
  ei_request* r_ = nullptr;
  bool owned_ = true;
};

struct EngineInfo {
  std::string name, device;
  int64_t samples = 0, launches = 0;
  double busy_s = 0;   // clock: host
};

class Model {
 public:
  Model() = default;
  explicit Model(ei_model* m) : m_(m) {}

  size_t InputCount() const { return ei_model_input_count(m_); }
  size_t OutputCount() const { return ei_model_output_count(m_); }
  std::string InputName(size_t i) const { return Str(ei_model_input_name(m_, i)); }
  std::string OutputName(size_t i) const { return Str(ei_model_output_name(m_, i)); }
  ei_dtype InputDType(size_t i) const { return ei_model_input_dtype(m_, i); }
  ei_dtype OutputDType(size_t i) const { return ei_model_output_dtype(m_, i); }
  // Dims with the batch dim (-1, symbolic) replaced by `batch` when batch > 0.
  std::vector<int64_t> InputShape(size_t i, int64_t batch = 0) const { return Shape(true, i, batch); }
  std::vector<int64_t> OutputShape(size_t i, int64_t batch = 0) const { return Shape(false, i, batch); }
  std::string Plan() const { return ei_model_plan(m_); }
  std::vector<EngineInfo> Engines() const {
    std::vector<EngineInfo> out;
    for (size_t i = 0; i < ei_model_engine_count(m_); ++i) {
      ei_engine_info e{};
      Check(ei_model_engine(m_, i, &e));
      out.push_back({e.name, e.device, e.samples, e.launches, e.busy_s});
    }
    return out;
  }
  // Modeled SingleStream latency on the SoC profile (clock: target).
  ei_latency TargetLatency(int64_t queries = 256) const {
    ei_latency l{};
    Check(ei_model_target_latency(m_, queries, &l));
    return l;
  }

  Request Submit(std::initializer_list<const Tensor*> inputs) { return SubmitHandles(Handles(inputs)); }
  Request Submit(const std::vector<const Tensor*>& inputs) { return SubmitHandles(Handles(inputs)); }
  // `done` runs on a runtime worker thread with the completed request (borrowed for the call); an
  // exception it throws is caught and dropped (it cannot travel back to the submitter).
  using Callback = std::function<void(Request& done)>;
  void Submit(std::initializer_list<const Tensor*> inputs, Callback done) { SubmitHandles(Handles(inputs), std::move(done)); }
  void Submit(const std::vector<const Tensor*>& inputs, Callback done) { SubmitHandles(Handles(inputs), std::move(done)); }

  ei_model* get() const { return m_; }

 private:
  static std::string Str(const char* s) { return s ? s : ""; }
  template <class C>
  static std::vector<ei_tensor*> Handles(const C& inputs) {
    std::vector<ei_tensor*> h;
    h.reserve(inputs.size());
    for (const Tensor* t : inputs) h.push_back(t ? t->get() : nullptr);
    return h;
  }
  std::vector<int64_t> Shape(bool input, size_t i, int64_t batch) const {
    int64_t dims[16];
    size_t rank = input ? ei_model_input_shape(m_, i, dims, 16) : ei_model_output_shape(m_, i, dims, 16);
    if (rank == 0 && *ei_last_error()) Check(EI_ERR_ARGUMENT);
    std::vector<int64_t> d(dims, dims + (rank < 16 ? rank : 16));
    if (batch > 0 && !d.empty() && d[0] < 0) d[0] = batch;
    return d;
  }
  Request SubmitHandles(const std::vector<ei_tensor*>& h) {
    ei_request* r = nullptr;
    Check(ei_submit(m_, h.data(), h.size(), &r));
    return Request(r);
  }
  static void Trampoline(ei_request* r, ei_status, void* user) {
    std::unique_ptr<Callback> cb(static_cast<Callback*>(user));
    Request borrowed(r, /*owned=*/false);
    try {
      (*cb)(borrowed);
    } catch (...) {
    }
  }
  void SubmitHandles(const std::vector<ei_tensor*>& h, Callback done) {
    auto cb = std::make_unique<Callback>(std::move(done));
    Check(ei_submit_callback(m_, h.data(), h.size(), &Model::Trampoline, cb.get()));
    cb.release();   // the trampoline owns it now
  }

  ei_model* m_ = nullptr;
};

struct ModelOptions {
  std::string engines = "gpu,dla0,dla1";
  std::string precision = "int8";
  bool ordered = false;
  bool check_finite = true;
};

class Session {
 public:
  // soc: a profile name ("orin-agx") or a YAML path; power_mode "" = the profile's default.
  explicit Session(const std::string& soc, const std::string& power_mode = "") {
    Check(ei_session_create(soc.c_str(), power_mode.c_str(), &s_));
  }
  Session(Session&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Session& operator=(Session&& o) noexcept {
    if (this != &o) {
      ei_session_destroy(&s_);
      s_ = o.s_;
      o.s_ = nullptr;
    }
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { ei_session_destroy(&s_); }   // drains: pending callbacks run first

  // An ONNX file or an engine file (.plan).
  Model Load(const std::string& path, const ModelOptions& options = {}) {
    ei_model_options o;
    ei_model_options_init(&o);
    o.engines = options.engines.c_str();
    o.precision = options.precision.c_str();
    o.ordered = options.ordered ? 1 : 0;
    o.check_finite = options.check_finite ? 1 : 0;
    ei_model* m = nullptr;
    Check(ei_model_load(s_, path.c_str(), &o, &m));
    return Model(m);
  }
  std::string SocName() const { return ei_session_soc_name(s_); }
  std::string SocPath() const { return ei_session_soc_path(s_); }
  std::string PowerMode() const { return ei_session_power_mode(s_); }
  ei_session* get() const { return s_; }

 private:
  ei_session* s_ = nullptr;
};

}  // namespace ei
