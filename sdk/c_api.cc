// The C API (include/edgeinfer/edgeinfer.h) over the runtime's C++ Session (runtime/edgeinfer.h).
//
// Every entry point runs its body inside Guard(), which catches every exception (none may cross a C
// boundary), maps it to a status and keeps the message per thread. Handles are plain structs that
// own shared_ptrs:
//   ei_tensor  -> shared_ptr<TensorBox> (the runtime Tensor, plus the caller's release hook when it
//                 wraps caller memory); a request holds its inputs' boxes until it completes, so a
//                 wrapped buffer is released only when no request can still read it.
//   ei_request -> shared_ptr<RequestState> (mutex, condition, result), shared with the runtime's
//                 callback, so releasing a running request is safe.
//   ei_model   -> the session's ModelId plus the input/output descriptions read once at load.
// Input checks (count, dtype, shape, NaN/Inf) run in ei_submit on the caller's thread, through the
// runtime's own devices::ValidateInputs, so errors come back synchronously with the element named.
#include "edgeinfer/edgeinfer.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "graph/precision.h"
#include "runtime/edgeinfer.h"

namespace rt = edgeinfer::runtime;
using edgeinfer::DType;
using edgeinfer::Result;
using edgeinfer::Status;
using edgeinfer::Tensor;

struct ei_session {
  std::unique_ptr<rt::Session> session;
  std::string soc_name, soc_path, power_mode;
  std::vector<std::unique_ptr<ei_model>> models;   // owned here; freed after the session drained
  std::mutex mu;
};

struct ei_model {
  struct Port {
    std::string name;
    DType dtype = DType::kUndefined;
    std::vector<int64_t> dims;   // batch dim -1
  };
  ei_session* session = nullptr;
  rt::ModelId id = -1;
  std::shared_ptr<const edgeinfer::Graph> graph;
  std::vector<Port> inputs, outputs;
  std::string plan;
  std::vector<std::pair<std::string, std::string>> engines;   // name, functional device note
  bool check_finite = true;
};

namespace {

struct TensorBox {
  Tensor tensor;
  void (*release)(void*, void*) = nullptr;
  void* release_data = nullptr;
  void* user_data = nullptr;
  ~TensorBox() {
    if (release) release(release_data, user_data);
  }
};

struct RequestState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  ei_status status = EI_OK;
  std::string error;
  std::vector<Tensor> outputs;                        // model output order
  std::vector<std::shared_ptr<TensorBox>> inputs;     // kept alive until completion
};

thread_local std::string g_last_error;

ei_status Fail(ei_status code, std::string message) {
  g_last_error = std::move(message);
  return code;
}

ei_status Ok() {
  g_last_error.clear();
  return EI_OK;
}

// Runs `body` (returning ei_status); exceptions become statuses with a message.
template <class F>
ei_status Guard(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(EI_ERR_OUT_OF_MEMORY, std::string(fn) + ": out of memory");
  } catch (const std::exception& e) {
    try { return Fail(EI_ERR_INTERNAL, std::string(fn) + ": internal error: " + e.what()); } catch (...) {}
  } catch (...) {
    try { return Fail(EI_ERR_INTERNAL, std::string(fn) + ": internal error (unknown exception)"); } catch (...) {}
  }
  return EI_ERR_INTERNAL;
}

// Same for functions returning a value: `fallback` on an exception (the message is kept).
template <class T, class F>
T GuardValue(const char* fn, T fallback, F&& body) noexcept {
  T out = fallback;
  Guard(fn, [&] {
    out = body();
    return EI_OK;
  });
  return out;
}

bool KnownDType(int d) {
  switch (d) {
    case EI_FLOAT32: case EI_UINT8: case EI_INT8: case EI_INT32: case EI_INT64: case EI_FLOAT16: return true;
    default: return false;
  }
}

ei_dtype ToC(DType d) { return KnownDType(static_cast<int>(d)) ? static_cast<ei_dtype>(d) : EI_DTYPE_UNDEFINED; }

// "does not exist" / "not found" messages from the runtime are EI_ERR_NOT_FOUND; other load errors EI_ERR_LOAD.
ei_status LoadCode(const std::string& message) {
  return message.find("not found") != std::string::npos || message.find("does not exist") != std::string::npos
             ? EI_ERR_NOT_FOUND
             : EI_ERR_LOAD;
}

bool IsEngineFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, sizeof head) && std::memcmp(head, "EIPLAN\x1a\n", sizeof head) == 0;
}

Status CheckDims(const int64_t* dims, size_t rank) {
  if (rank > 0 && !dims) return Status::Error("dims is NULL with rank " + std::to_string(rank));
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] <= 0) return Status::Error("dim " + std::to_string(i) + " is " + std::to_string(dims[i]) + " (rule: sizes must be positive)");
    if (n > (int64_t{1} << 56) / dims[i])
      return Status::Error("dim " + std::to_string(i) + " makes the element count exceed 2^56 (rule: the byte size must be representable)");
    n *= dims[i];
  }
  return Status::Ok();
}

// Completes `st` with the runtime's result; returns the status.
ei_status Complete(RequestState& st, Result<edgeinfer::devices::TensorMap> r, const ei_model& m) {
  std::lock_guard<std::mutex> lock(st.mu);
  if (!r.ok()) {
    st.status = EI_ERR_RUNTIME;
    st.error = r.status().message();
  } else {
    for (const auto& port : m.outputs) {
      auto it = r->find(port.name);
      if (it == r->end()) {
        st.status = EI_ERR_RUNTIME;
        st.error = "output '" + port.name + "' missing from the engine's result";
        st.outputs.clear();
        break;
      }
      st.outputs.push_back(std::move(it->second));
    }
  }
  st.inputs.clear();   // the runtime is done with the inputs
  st.done = true;
  st.cv.notify_all();
  return st.status;
}

// Checks the inputs and builds the runtime's input map (shares storage, no copy).
ei_status PrepareInputs(const ei_model* model, ei_tensor* const* inputs, size_t n, edgeinfer::devices::TensorMap* map,
                        std::vector<std::shared_ptr<TensorBox>>* keep);

}  // namespace

struct ei_tensor {
  std::shared_ptr<TensorBox> box;
};

struct ei_request {
  std::shared_ptr<RequestState> state;
};

namespace {

ei_status PrepareInputs(const ei_model* model, ei_tensor* const* inputs, size_t n, edgeinfer::devices::TensorMap* map,
                        std::vector<std::shared_ptr<TensorBox>>* keep) {
  if (n != model->inputs.size()) {
    std::string names;
    for (const auto& p : model->inputs) names += (names.empty() ? "" : ", ") + p.name;
    return Fail(EI_ERR_INPUT, "the model has " + std::to_string(model->inputs.size()) + " input(s) (" + names + "); " +
                                  std::to_string(n) + " given");
  }
  if (n > 0 && !inputs) return Fail(EI_ERR_ARGUMENT, "inputs is NULL");
  for (size_t i = 0; i < n; ++i) {
    if (!inputs[i] || !inputs[i]->box)
      return Fail(EI_ERR_ARGUMENT, "input " + std::to_string(i) + " ('" + model->inputs[i].name + "') is a NULL tensor");
    (*map)[model->inputs[i].name] = inputs[i]->box->tensor;   // shares the storage
    keep->push_back(inputs[i]->box);
  }
  Status s = edgeinfer::devices::ValidateInputs(*model->graph, *map, model->check_finite);
  if (!s.ok()) return Fail(EI_ERR_INPUT, s.message());
  for (const auto& p : model->inputs) {
    const Tensor& t = map->at(p.name);
    if (t.rank() > 0 && t.dim(0) != 1)
      return Fail(EI_ERR_INPUT, "input '" + p.name + "' has batch " + std::to_string(t.dim(0)) +
                                    " (rule: submit one sample, batch 1; the runtime forms the engines' batches)");
  }
  return EI_OK;
}

}  // namespace

extern "C" {

// ---- version and errors ------------------------------------------------------------------------

const char* ei_version(void) { return EDGEINFER_VERSION_STRING; }

void ei_version_numbers(int* major, int* minor, int* patch) {
  if (major) *major = EDGEINFER_VERSION_MAJOR_NUM;
  if (minor) *minor = EDGEINFER_VERSION_MINOR_NUM;
  if (patch) *patch = EDGEINFER_VERSION_PATCH_NUM;
}

const char* ei_last_error(void) { return g_last_error.c_str(); }

const char* ei_status_name(ei_status s) {
  switch (s) {
    case EI_OK: return "EI_OK";
    case EI_ERR_ARGUMENT: return "EI_ERR_ARGUMENT";
    case EI_ERR_NOT_FOUND: return "EI_ERR_NOT_FOUND";
    case EI_ERR_LOAD: return "EI_ERR_LOAD";
    case EI_ERR_INPUT: return "EI_ERR_INPUT";
    case EI_ERR_RUNTIME: return "EI_ERR_RUNTIME";
    case EI_ERR_NOT_READY: return "EI_ERR_NOT_READY";
    case EI_ERR_TIMEOUT: return "EI_ERR_TIMEOUT";
    case EI_ERR_OUT_OF_MEMORY: return "EI_ERR_OUT_OF_MEMORY";
    case EI_ERR_INTERNAL: return "EI_ERR_INTERNAL";
  }
  return "unknown ei_status";
}

const char* ei_dtype_name(ei_dtype d) {
  return KnownDType(static_cast<int>(d)) ? edgeinfer::DTypeName(static_cast<DType>(d)) : nullptr;
}

size_t ei_dtype_size(ei_dtype d) { return KnownDType(static_cast<int>(d)) ? edgeinfer::DTypeSize(static_cast<DType>(d)) : 0; }

// ---- sessions ----------------------------------------------------------------------------------

ei_status ei_session_create(const char* soc_profile, const char* power_mode, ei_session** out) {
  return Guard("ei_session_create", [&] {
    if (!out) return Fail(EI_ERR_ARGUMENT, "ei_session_create: out is NULL");
    *out = nullptr;
    if (!soc_profile || !*soc_profile) return Fail(EI_ERR_ARGUMENT, "ei_session_create: soc_profile is NULL or empty");
    rt::SessionOptions o;
    o.soc = soc_profile;
    o.power_mode = power_mode ? power_mode : "";
    auto s = rt::Session::Create(o);
    if (!s.ok()) {
      const std::string msg = s.status().message();   // status() returns a copy
      // An unknown power mode is a name that does not exist.
      const bool mode = !o.power_mode.empty() && msg.find(o.power_mode) != std::string::npos &&
                        msg.find("power mode") != std::string::npos;
      return Fail(mode ? EI_ERR_NOT_FOUND : LoadCode(msg), msg);
    }
    auto h = std::make_unique<ei_session>();
    h->session = std::move(s).value();
    const auto& soc = h->session->soc();
    h->soc_name = soc.name;
    h->soc_path = soc.source_path;
    h->power_mode = soc.active_power_mode;
    *out = h.release();
    return Ok();
  });
}

void ei_session_destroy(ei_session** session) {
  Guard("ei_session_destroy", [&] {
    if (!session || !*session) return EI_OK;
    ei_session* s = *session;
    *session = nullptr;
    s->session.reset();   // drains every model (callbacks run), joins the workers
    delete s;             // then the model handles
    return EI_OK;
  });
}

const char* ei_session_soc_name(const ei_session* s) { return s ? s->soc_name.c_str() : ""; }
const char* ei_session_soc_path(const ei_session* s) { return s ? s->soc_path.c_str() : ""; }
const char* ei_session_power_mode(const ei_session* s) { return s ? s->power_mode.c_str() : ""; }

// ---- models ------------------------------------------------------------------------------------

void ei_model_options_init(ei_model_options* o) {
  if (!o) return;
  std::memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
  o->engines = "gpu,dla0,dla1";
  o->precision = "int8";
  o->ordered = 0;
  o->check_finite = 1;
}

ei_status ei_model_load(ei_session* session, const char* path, const ei_model_options* options, ei_model** out) {
  return Guard("ei_model_load", [&] {
    if (!out) return Fail(EI_ERR_ARGUMENT, "ei_model_load: out is NULL");
    *out = nullptr;
    if (!session || !session->session) return Fail(EI_ERR_ARGUMENT, "ei_model_load: session is NULL");
    if (!path || !*path) return Fail(EI_ERR_ARGUMENT, "ei_model_load: path is NULL or empty");
    ei_model_options o;
    ei_model_options_init(&o);
    if (options) {
      if (options->struct_size != sizeof(ei_model_options))
        return Fail(EI_ERR_ARGUMENT, "ei_model_load: options.struct_size is " + std::to_string(options->struct_size) +
                                         ", this library's ei_model_options has " + std::to_string(sizeof(ei_model_options)) +
                                         " bytes (rule: call ei_model_options_init first)");
      o = *options;
    }
    rt::ModelOptions mo;
    mo.engines = o.engines ? o.engines : "gpu,dla0,dla1";
    mo.ordered = o.ordered != 0;
    auto precision = edgeinfer::ParsePrecision(o.precision ? o.precision : "int8");   // the one vocabulary
    if (!precision.ok()) return Fail(EI_ERR_ARGUMENT, precision.status().message());
    mo.precision = *precision;
    // Engine names are checked before the (long) compile.
    auto engines = rt::ParseEngineList(mo.engines, session->session->soc());
    if (!engines.ok()) return Fail(EI_ERR_ARGUMENT, "engines '" + mo.engines + "': " + engines.status().message());
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return Fail(EI_ERR_NOT_FOUND, std::string("model file '") + path + "' does not exist");
    const bool plan = IsEngineFile(path);
    auto id = plan ? session->session->LoadEngineFile(path, mo) : session->session->LoadModel(path, mo);
    if (!id.ok()) return Fail(EI_ERR_LOAD, id.status().message());   // the file exists: anything else is a load error
    auto m = std::make_unique<ei_model>();
    m->session = session;
    m->id = *id;
    m->check_finite = o.check_finite != 0;
    m->graph = session->session->graph(m->id);
    if (!m->graph) return Fail(EI_ERR_INTERNAL, "ei_model_load: the session lost the model it just loaded");
    for (auto* list : {&m->inputs, &m->outputs}) {
      const auto& ids = list == &m->inputs ? m->graph->inputs() : m->graph->outputs();
      for (edgeinfer::ValueId v : ids) {
        const edgeinfer::Value& val = m->graph->value(v);
        ei_model::Port p;
        p.name = val.name;
        p.dtype = val.dtype;
        p.dims = val.shape.dims;
        for (int64_t& d : p.dims)
          if (d < 0) d = -1;
        list->push_back(std::move(p));
      }
    }
    if (auto pl = session->session->Plan(m->id); pl.ok()) m->plan = pl->ToString();
    if (auto info = session->session->Info(m->id); info.ok())
      for (const auto& e : info->engines) {
        auto it = info->functional.find(e.name);
        m->engines.push_back({e.name, it == info->functional.end() ? std::string() : it->second});
      }
    ei_model* raw = m.get();
    {
      std::lock_guard<std::mutex> lock(session->mu);
      session->models.push_back(std::move(m));
    }
    *out = raw;
    return Ok();
  });
}

size_t ei_model_input_count(const ei_model* m) { return m ? m->inputs.size() : 0; }
size_t ei_model_output_count(const ei_model* m) { return m ? m->outputs.size() : 0; }
const char* ei_model_input_name(const ei_model* m, size_t i) { return m && i < m->inputs.size() ? m->inputs[i].name.c_str() : nullptr; }
const char* ei_model_output_name(const ei_model* m, size_t i) { return m && i < m->outputs.size() ? m->outputs[i].name.c_str() : nullptr; }
ei_dtype ei_model_input_dtype(const ei_model* m, size_t i) { return m && i < m->inputs.size() ? ToC(m->inputs[i].dtype) : EI_DTYPE_UNDEFINED; }
ei_dtype ei_model_output_dtype(const ei_model* m, size_t i) { return m && i < m->outputs.size() ? ToC(m->outputs[i].dtype) : EI_DTYPE_UNDEFINED; }

static size_t PortShape(const char* fn, const std::vector<ei_model::Port>* ports, size_t i, int64_t* dims, size_t capacity) {
  size_t rank = 0;
  Guard(fn, [&] {
    if (!ports) return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": model is NULL");
    if (i >= ports->size())
      return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": index " + std::to_string(i) + " out of range (the model has " +
                                       std::to_string(ports->size()) + ")");
    const auto& d = (*ports)[i].dims;
    if (capacity > 0 && !dims) return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": dims is NULL");
    for (size_t k = 0; k < d.size() && k < capacity; ++k) dims[k] = d[k];
    rank = d.size();
    return Ok();
  });
  return rank;
}

size_t ei_model_input_shape(const ei_model* m, size_t i, int64_t* dims, size_t capacity) {
  return PortShape("ei_model_input_shape", m ? &m->inputs : nullptr, i, dims, capacity);
}
size_t ei_model_output_shape(const ei_model* m, size_t i, int64_t* dims, size_t capacity) {
  return PortShape("ei_model_output_shape", m ? &m->outputs : nullptr, i, dims, capacity);
}

const char* ei_model_plan(const ei_model* m) { return m ? m->plan.c_str() : ""; }
size_t ei_model_engine_count(const ei_model* m) { return m ? m->engines.size() : 0; }

ei_status ei_model_engine(const ei_model* m, size_t i, ei_engine_info* out) {
  return Guard("ei_model_engine", [&] {
    if (!m || !out) return Fail(EI_ERR_ARGUMENT, "ei_model_engine: model or out is NULL");
    if (i >= m->engines.size())
      return Fail(EI_ERR_ARGUMENT, "ei_model_engine: index " + std::to_string(i) + " out of range (the plan has " +
                                       std::to_string(m->engines.size()) + " engines)");
    *out = {};
    out->name = m->engines[i].first.c_str();
    out->device = m->engines[i].second.c_str();
    auto stats = m->session->session->HostStats(m->id);
    if (!stats.ok()) return Fail(EI_ERR_RUNTIME, stats.status().message());
    for (const auto& st : *stats)
      if (st.name == m->engines[i].first) {
        out->samples = st.samples;
        out->launches = st.launches;
        out->busy_s = st.busy_s;
      }
    return Ok();
  });
}

ei_status ei_model_target_latency(const ei_model* m, int64_t queries, ei_latency* out) {
  return Guard("ei_model_target_latency", [&] {
    if (!m || !out) return Fail(EI_ERR_ARGUMENT, "ei_model_target_latency: model or out is NULL");
    if (queries <= 0) return Fail(EI_ERR_ARGUMENT, "ei_model_target_latency: queries is " + std::to_string(queries) + " (rule: positive)");
    rt::Session& s = *m->session->session;
    auto plan = s.Plan(m->id);
    if (!plan.ok()) return Fail(EI_ERR_RUNTIME, plan.status().message());
    auto targets = s.TargetModels(m->id, *plan);
    if (!targets.ok()) return Fail(EI_ERR_RUNTIME, targets.status().message());
    rt::ScenarioSpec spec;
    spec.kind = rt::ScenarioKind::kSingleStream;
    spec.min_queries = queries;
    spec.min_duration_s = 0;
    auto r = rt::RunTargetScenario(s.soc(), *plan, *targets, spec, queries);
    if (!r.ok()) return Fail(EI_ERR_RUNTIME, r.status().message());
    out->mean_ms = r->latency.mean * 1e3;
    out->p50_ms = r->latency.p50 * 1e3;
    out->p90_ms = r->latency.p90 * 1e3;
    out->p99_ms = r->latency.p99 * 1e3;
    out->max_ms = r->latency.max * 1e3;
    return Ok();
  });
}

// ---- tensors -----------------------------------------------------------------------------------

static ei_status MakeTensor(const char* fn, ei_dtype dtype, const int64_t* dims, size_t rank, void* data,
                            void (*release)(void*, void*), void* user_data, ei_tensor** out) {
  return Guard(fn, [&] {
    if (!out) return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": out is NULL");
    *out = nullptr;
    if (!KnownDType(dtype)) return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": dtype " + std::to_string(dtype) + " is not an ei_dtype");
    Status s = CheckDims(dims, rank);
    if (!s.ok()) return Fail(EI_ERR_ARGUMENT, std::string(fn) + ": " + s.message());
    std::vector<int64_t> d(dims, dims + rank);
    auto box = std::make_shared<TensorBox>();
    if (data) box->tensor = Tensor::Borrow(static_cast<DType>(dtype), std::move(d), data);
    else box->tensor = Tensor(static_cast<DType>(dtype), std::move(d));
    auto handle = std::make_unique<ei_tensor>(ei_tensor{box});
    // The release hook is armed last: a failure above leaves the caller's memory alone.
    box->release = release;
    box->release_data = data;
    box->user_data = user_data;
    *out = handle.release();
    return Ok();
  });
}

ei_status ei_tensor_create(ei_dtype dtype, const int64_t* dims, size_t rank, ei_tensor** out) {
  return MakeTensor("ei_tensor_create", dtype, dims, rank, nullptr, nullptr, nullptr, out);
}

ei_status ei_tensor_wrap(ei_dtype dtype, const int64_t* dims, size_t rank, void* data,
                         void (*release)(void*, void*), void* user_data, ei_tensor** out) {
  if (!data) {
    if (out) *out = nullptr;
    return Fail(EI_ERR_ARGUMENT, "ei_tensor_wrap: data is NULL");
  }
  return MakeTensor("ei_tensor_wrap", dtype, dims, rank, data, release, user_data, out);
}

void ei_tensor_release(ei_tensor** t) {
  Guard("ei_tensor_release", [&] {
    if (!t || !*t) return EI_OK;
    delete *t;
    *t = nullptr;
    return EI_OK;
  });
}

void* ei_tensor_data(ei_tensor* t) { return t && t->box ? t->box->tensor.raw() : nullptr; }
ei_dtype ei_tensor_dtype(const ei_tensor* t) { return t && t->box ? ToC(t->box->tensor.dtype()) : EI_DTYPE_UNDEFINED; }
size_t ei_tensor_rank(const ei_tensor* t) { return t && t->box ? t->box->tensor.rank() : 0; }
int64_t ei_tensor_dim(const ei_tensor* t, size_t axis) {
  return t && t->box && axis < t->box->tensor.rank() ? t->box->tensor.dim(axis) : -1;
}
size_t ei_tensor_element_count(const ei_tensor* t) { return t && t->box ? static_cast<size_t>(t->box->tensor.numel()) : 0; }
size_t ei_tensor_byte_size(const ei_tensor* t) { return t && t->box ? t->box->tensor.bytes() : 0; }

// ---- requests ----------------------------------------------------------------------------------

ei_status ei_submit(ei_model* model, ei_tensor* const* inputs, size_t n, ei_request** out) {
  return Guard("ei_submit", [&] {
    if (!out) return Fail(EI_ERR_ARGUMENT, "ei_submit: out is NULL");
    *out = nullptr;
    if (!model) return Fail(EI_ERR_ARGUMENT, "ei_submit: model is NULL");
    edgeinfer::devices::TensorMap map;
    auto state = std::make_shared<RequestState>();
    if (ei_status s = PrepareInputs(model, inputs, n, &map, &state->inputs); s != EI_OK) return s;
    auto req = std::make_unique<ei_request>();
    req->state = state;
    const ei_model* m = model;
    model->session->session->Submit(model->id, std::move(map), [state, m](Result<edgeinfer::devices::TensorMap> r) {
      try {
        Complete(*state, std::move(r), *m);
      } catch (...) {   // never into the runtime's worker
        std::lock_guard<std::mutex> lock(state->mu);
        state->status = EI_ERR_INTERNAL;
        state->error = "completing the request failed (out of memory?)";
        state->done = true;
        state->cv.notify_all();
      }
    });
    *out = req.release();
    return Ok();
  });
}

ei_status ei_submit_callback(ei_model* model, ei_tensor* const* inputs, size_t n, ei_callback callback, void* user_data) {
  return Guard("ei_submit_callback", [&] {
    if (!model) return Fail(EI_ERR_ARGUMENT, "ei_submit_callback: model is NULL");
    if (!callback) return Fail(EI_ERR_ARGUMENT, "ei_submit_callback: callback is NULL");
    edgeinfer::devices::TensorMap map;
    auto state = std::make_shared<RequestState>();
    if (ei_status s = PrepareInputs(model, inputs, n, &map, &state->inputs); s != EI_OK) return s;
    const ei_model* m = model;
    model->session->session->Submit(model->id, std::move(map), [state, m, callback, user_data](Result<edgeinfer::devices::TensorMap> r) {
      ei_status s = EI_ERR_INTERNAL;
      try {
        s = Complete(*state, std::move(r), *m);
      } catch (...) {
        std::lock_guard<std::mutex> lock(state->mu);
        state->status = EI_ERR_INTERNAL;
        state->error = "completing the request failed (out of memory?)";
        state->done = true;
      }
      ei_request req{state};
      callback(&req, s, user_data);   // a C function: it does not throw
    });
    return Ok();
  });
}

ei_status ei_request_wait(ei_request* r, int64_t timeout_us) {
  return Guard("ei_request_wait", [&] {
    if (!r || !r->state) return Fail(EI_ERR_ARGUMENT, "ei_request_wait: request is NULL");
    RequestState& st = *r->state;
    std::unique_lock<std::mutex> lock(st.mu);
    if (timeout_us < 0) {
      st.cv.wait(lock, [&] { return st.done; });
    } else if (!st.cv.wait_for(lock, std::chrono::microseconds(timeout_us), [&] { return st.done; })) {
      return Fail(EI_ERR_TIMEOUT, "ei_request_wait: not completed within " + std::to_string(timeout_us) + " us");
    }
    return st.status == EI_OK ? Ok() : Fail(st.status, st.error);
  });
}

ei_status ei_request_poll(ei_request* r) {
  return Guard("ei_request_poll", [&] {
    if (!r || !r->state) return Fail(EI_ERR_ARGUMENT, "ei_request_poll: request is NULL");
    RequestState& st = *r->state;
    std::lock_guard<std::mutex> lock(st.mu);
    if (!st.done) {
      g_last_error.clear();
      return EI_ERR_NOT_READY;
    }
    return st.status == EI_OK ? Ok() : Fail(st.status, st.error);
  });
}

const char* ei_request_error(const ei_request* r) {
  if (!r || !r->state) return "";
  std::lock_guard<std::mutex> lock(r->state->mu);
  return r->state->done ? r->state->error.c_str() : "";
}

size_t ei_request_output_count(const ei_request* r) {
  if (!r || !r->state) return 0;
  std::lock_guard<std::mutex> lock(r->state->mu);
  return r->state->done ? r->state->outputs.size() : 0;
}

ei_status ei_request_output(ei_request* r, size_t index, ei_tensor** out) {
  return Guard("ei_request_output", [&] {
    if (!out) return Fail(EI_ERR_ARGUMENT, "ei_request_output: out is NULL");
    *out = nullptr;
    if (!r || !r->state) return Fail(EI_ERR_ARGUMENT, "ei_request_output: request is NULL");
    RequestState& st = *r->state;
    std::lock_guard<std::mutex> lock(st.mu);
    if (!st.done) return Fail(EI_ERR_NOT_READY, "ei_request_output: the request has not completed (wait or poll first)");
    if (st.status != EI_OK) return Fail(st.status, st.error);
    if (index >= st.outputs.size())
      return Fail(EI_ERR_ARGUMENT, "ei_request_output: index " + std::to_string(index) + " out of range (the model has " +
                                       std::to_string(st.outputs.size()) + " outputs)");
    auto box = std::make_shared<TensorBox>();
    box->tensor = st.outputs[index];   // shares the storage
    *out = new ei_tensor{std::move(box)};
    return Ok();
  });
}

void ei_request_release(ei_request** r) {
  Guard("ei_request_release", [&] {
    if (!r || !*r) return EI_OK;
    delete *r;
    *r = nullptr;
    return EI_OK;
  });
}

}  // extern "C"
