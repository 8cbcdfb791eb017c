// The C API (include/edgeinfer/edgeinfer.h) as an application sees it: this test links only
// libedgeinfer.so (edgeinfer::edgeinfer) and includes only the public headers. Checked: status codes
// and messages naming the element for bad paths, profiles, power modes, engine names, precisions,
// options, input counts, dtypes, shapes, batches and NaN/Inf; the three ways to collect a result
// (wait, poll, callback) give the same outputs; engine files load; wrapped memory is released once,
// after its last request; releasing twice through the same variable is a no-op; an allocation
// failure is a status, not a crash; the header-only C++ layer throws ei::Error with the code.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgeinfer/edgeinfer.h"
#include "edgeinfer/edgeinfer.hpp"

namespace {

namespace fs = std::filesystem;

std::string TinyModel() { return std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx"; }

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// One session and the tiny model (FP32 on the GPU engine: quick to compile, computed on the host).
class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(TinyModel())) GTEST_SKIP() << "zoo model not generated: " << TinyModel();
    ASSERT_EQ(ei_session_create("orin-agx", nullptr, &session_), EI_OK) << ei_last_error();
    ei_model_options o;
    ei_model_options_init(&o);
    o.engines = "gpu";
    o.precision = "fp32";
    ASSERT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &model_), EI_OK) << ei_last_error();
  }
  void TearDown() override { ei_session_destroy(&session_); }

  // A batch-1 input of model input 0, filled with a seeded pattern.
  ei_tensor* Input(float offset = 0) {
    int64_t dims[8];
    size_t rank = ei_model_input_shape(model_, 0, dims, 8);
    EXPECT_GT(rank, 0u);
    dims[0] = 1;
    ei_tensor* t = nullptr;
    EXPECT_EQ(ei_tensor_create(ei_model_input_dtype(model_, 0), dims, rank, &t), EI_OK) << ei_last_error();
    float* p = static_cast<float*>(ei_tensor_data(t));
    for (size_t i = 0; i < ei_tensor_element_count(t); ++i) p[i] = std::sin(0.37f * static_cast<float>(i) + offset);
    return t;
  }
  std::vector<float> Output0(ei_request* r) {
    ei_tensor* y = nullptr;
    EXPECT_EQ(ei_request_output(r, 0, &y), EI_OK) << ei_last_error();
    if (!y) return {};
    const float* p = static_cast<const float*>(ei_tensor_data(y));
    std::vector<float> v(p, p + ei_tensor_element_count(y));
    ei_tensor_release(&y);
    return v;
  }

  ei_session* session_ = nullptr;
  ei_model* model_ = nullptr;
};

TEST(CApiBasics, VersionMatchesTheHeader) {
  int ma = -1, mi = -1, pa = -1;
  ei_version_numbers(&ma, &mi, &pa);
  EXPECT_EQ(ma, EI_VERSION_MAJOR);
  EXPECT_EQ(mi, EI_VERSION_MINOR);
  EXPECT_EQ(pa, EI_VERSION_PATCH);
  EXPECT_EQ(std::string(ei_version()),
            std::to_string(EI_VERSION_MAJOR) + "." + std::to_string(EI_VERSION_MINOR) + "." + std::to_string(EI_VERSION_PATCH));
  EXPECT_STREQ(ei_status_name(EI_ERR_INPUT), "EI_ERR_INPUT");
  EXPECT_STREQ(ei_status_name(static_cast<ei_status>(99)), "unknown ei_status");
  EXPECT_STREQ(ei_dtype_name(EI_INT8), "int8");
  EXPECT_EQ(ei_dtype_size(EI_FLOAT16), 2u);
  EXPECT_EQ(ei_dtype_name(static_cast<ei_dtype>(8)), nullptr);   // string: not a tensor type here
}

TEST(CApiBasics, UnknownProfileAndPowerModeAreNamed) {
  ei_session* s = reinterpret_cast<ei_session*>(0x1);
  EXPECT_EQ(ei_session_create("no-such-soc", nullptr, &s), EI_ERR_NOT_FOUND);
  EXPECT_EQ(s, nullptr);
  EXPECT_TRUE(Contains(ei_last_error(), "SoC profile 'no-such-soc'")) << ei_last_error();
  EXPECT_EQ(ei_session_create("/nonexistent/dir/x.yaml", nullptr, &s), EI_ERR_NOT_FOUND);
  EXPECT_TRUE(Contains(ei_last_error(), "/nonexistent/dir/x.yaml")) << ei_last_error();
  EXPECT_EQ(ei_session_create("orin-agx", "7W-no-such-mode", &s), EI_ERR_NOT_FOUND);
  EXPECT_TRUE(Contains(ei_last_error(), "7W-no-such-mode")) << ei_last_error();
  EXPECT_EQ(ei_session_create(nullptr, nullptr, &s), EI_ERR_ARGUMENT);
  EXPECT_EQ(ei_session_create("orin-agx", nullptr, nullptr), EI_ERR_ARGUMENT);
  // A success clears the thread's message; the profile says where it came from.
  ASSERT_EQ(ei_session_create("orin-agx", "15W", &s), EI_OK);
  EXPECT_STREQ(ei_last_error(), "");
  EXPECT_STREQ(ei_session_soc_name(s), "orin-agx");
  EXPECT_STREQ(ei_session_power_mode(s), "15W");
  EXPECT_TRUE(Contains(ei_session_soc_path(s), "orin-agx.yaml")) << ei_session_soc_path(s);
  ei_session_destroy(&s);
  EXPECT_EQ(s, nullptr);
  ei_session_destroy(&s);        // second destroy through the same variable: no-op
  ei_session_destroy(nullptr);
}

TEST(CApiBasics, LastErrorIsPerThread) {
  ei_session* s = nullptr;
  EXPECT_EQ(ei_session_create("no-such-soc", nullptr, &s), EI_ERR_NOT_FOUND);
  std::string other;
  std::thread([&] { other = ei_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_TRUE(Contains(ei_last_error(), "no-such-soc"));
}

TEST(CApiBasics, TensorsCheckTheirArgumentsAndFailAllocationsCleanly) {
  ei_tensor* t = nullptr;
  int64_t bad[2] = {1, 0};
  EXPECT_EQ(ei_tensor_create(EI_FLOAT32, bad, 2, &t), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "dim 1 is 0")) << ei_last_error();
  int64_t ok[2] = {2, 3};
  EXPECT_EQ(ei_tensor_create(static_cast<ei_dtype>(42), ok, 2, &t), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "dtype 42")) << ei_last_error();
  int64_t huge_count[3] = {int64_t{1} << 40, int64_t{1} << 40, 4};
  EXPECT_EQ(ei_tensor_create(EI_FLOAT32, huge_count, 3, &t), EI_ERR_ARGUMENT);
  // 2^52 bytes cannot be allocated: a status, not an abort or an exception.
  int64_t huge[1] = {int64_t{1} << 50};
  EXPECT_EQ(ei_tensor_create(EI_FLOAT32, huge, 1, &t), EI_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(t, nullptr);
  EXPECT_EQ(ei_tensor_wrap(EI_FLOAT32, ok, 2, nullptr, nullptr, nullptr, &t), EI_ERR_ARGUMENT);
  ASSERT_EQ(ei_tensor_create(EI_INT8, ok, 2, &t), EI_OK);
  EXPECT_EQ(ei_tensor_byte_size(t), 6u);
  EXPECT_EQ(ei_tensor_dim(t, 1), 3);
  EXPECT_EQ(ei_tensor_dim(t, 2), -1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ei_tensor_data(t)) % 64, 0u);
  ei_tensor_release(&t);
  EXPECT_EQ(t, nullptr);
  ei_tensor_release(&t);         // no-op
  ei_tensor_release(nullptr);
}

TEST_F(CApi, ModelDescribesItsInputsAndPlan) {
  ASSERT_EQ(ei_model_input_count(model_), 1u);
  ASSERT_GE(ei_model_output_count(model_), 1u);
  int64_t dims[8];
  const size_t rank = ei_model_input_shape(model_, 0, dims, 8);
  ASSERT_EQ(rank, 4u);
  EXPECT_EQ(dims[0], -1);   // symbolic batch
  EXPECT_EQ(ei_model_input_dtype(model_, 0), EI_FLOAT32);
  EXPECT_EQ(ei_model_input_name(model_, 5), nullptr);
  EXPECT_EQ(ei_model_input_shape(model_, 5, dims, 8), 0u);
  EXPECT_TRUE(Contains(ei_last_error(), "index 5 out of range")) << ei_last_error();
  EXPECT_TRUE(Contains(ei_model_plan(model_), "gpu")) << ei_model_plan(model_);
  ASSERT_EQ(ei_model_engine_count(model_), 1u);
  ei_engine_info e{};
  ASSERT_EQ(ei_model_engine(model_, 0, &e), EI_OK);
  EXPECT_STREQ(e.name, "gpu");
  EXPECT_NE(std::string(e.device), "");
  EXPECT_EQ(ei_model_engine(model_, 1, &e), EI_ERR_ARGUMENT);
  ei_latency l{};
  ASSERT_EQ(ei_model_target_latency(model_, 64, &l), EI_OK) << ei_last_error();
  EXPECT_GT(l.p50_ms, 0);
  EXPECT_LE(l.p50_ms, l.p99_ms);
  EXPECT_EQ(ei_model_target_latency(model_, 0, &l), EI_ERR_ARGUMENT);
}

TEST_F(CApi, LoadErrorsNameTheElement) {
  ei_model* m = nullptr;
  EXPECT_EQ(ei_model_load(session_, "/nonexistent/model.onnx", nullptr, &m), EI_ERR_NOT_FOUND);
  EXPECT_TRUE(Contains(ei_last_error(), "/nonexistent/model.onnx")) << ei_last_error();
  EXPECT_TRUE(Contains(ei_last_error(), "does not exist")) << ei_last_error();
  ei_model_options o;
  ei_model_options_init(&o);
  o.engines = "gpu,dla7";
  EXPECT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &m), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "dla7")) << ei_last_error();
  ei_model_options_init(&o);
  o.engines = "tpu";
  EXPECT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &m), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "tpu")) << ei_last_error();
  ei_model_options_init(&o);
  o.precision = "int4";
  EXPECT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &m), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "precision 'int4'")) << ei_last_error();
  ei_model_options_init(&o);
  o.struct_size = 8;   // an application built against another layout
  EXPECT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &m), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "struct_size")) << ei_last_error();
  // A file that is neither ONNX nor an engine file.
  const fs::path junk = fs::temp_directory_path() / ("ei_capi_junk_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(junk) << "this is not a protobuf";
  EXPECT_EQ(ei_model_load(session_, junk.c_str(), nullptr, &m), EI_ERR_LOAD);
  EXPECT_TRUE(Contains(ei_last_error(), junk.filename().string())) << ei_last_error();
  fs::remove(junk);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(ei_model_load(nullptr, TinyModel().c_str(), nullptr, &m), EI_ERR_ARGUMENT);
}

TEST_F(CApi, InputErrorsNameTheInputAndTheRule) {
  const std::string name = ei_model_input_name(model_, 0);
  ei_request* r = nullptr;
  // Count.
  EXPECT_EQ(ei_submit(model_, nullptr, 0, &r), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "1 input(s) (" + name + "); 0 given")) << ei_last_error();
  // Shape.
  int64_t dims[8];
  size_t rank = ei_model_input_shape(model_, 0, dims, 8);
  dims[0] = 1;
  dims[rank - 1] += 1;
  ei_tensor* wrong = nullptr;
  ASSERT_EQ(ei_tensor_create(EI_FLOAT32, dims, rank, &wrong), EI_OK);
  EXPECT_EQ(ei_submit(model_, &wrong, 1, &r), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "input '" + name + "' has shape")) << ei_last_error();
  ei_tensor_release(&wrong);
  // Dtype.
  dims[rank - 1] -= 1;
  ASSERT_EQ(ei_tensor_create(EI_INT8, dims, rank, &wrong), EI_OK);
  EXPECT_EQ(ei_submit(model_, &wrong, 1, &r), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "input '" + name + "' has dtype int8")) << ei_last_error();
  ei_tensor_release(&wrong);
  // Batch 2: the runtime forms batches itself.
  dims[0] = 2;
  ASSERT_EQ(ei_tensor_create(EI_FLOAT32, dims, rank, &wrong), EI_OK);
  EXPECT_EQ(ei_submit(model_, &wrong, 1, &r), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "batch 2")) << ei_last_error();
  ei_tensor_release(&wrong);
  // NaN and Inf, named with the element index; no request is made.
  ei_tensor* x = Input();
  static_cast<float*>(ei_tensor_data(x))[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(ei_submit(model_, &x, 1, &r), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "input '" + name + "' element 7 is NaN (rule: inputs must be finite)")) << ei_last_error();
  EXPECT_EQ(r, nullptr);
  static_cast<float*>(ei_tensor_data(x))[7] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ei_submit_callback(model_, &x, 1, [](ei_request*, ei_status, void*) { std::abort(); }, nullptr), EI_ERR_INPUT);
  EXPECT_TRUE(Contains(ei_last_error(), "element 7 is infinite")) << ei_last_error();
  ei_tensor* null_input = nullptr;
  EXPECT_EQ(ei_submit(model_, &null_input, 1, &r), EI_ERR_ARGUMENT);
  EXPECT_TRUE(Contains(ei_last_error(), "'" + name + "') is a NULL tensor")) << ei_last_error();
  ei_tensor_release(&x);
}

TEST_F(CApi, CheckFiniteCanBeTurnedOff) {
  ei_model_options o;
  ei_model_options_init(&o);
  o.engines = "gpu";
  o.precision = "fp32";
  o.check_finite = 0;
  ei_model* m = nullptr;
  ASSERT_EQ(ei_model_load(session_, TinyModel().c_str(), &o, &m), EI_OK) << ei_last_error();
  ei_tensor* x = Input();
  static_cast<float*>(ei_tensor_data(x))[0] = std::numeric_limits<float>::quiet_NaN();
  ei_request* r = nullptr;
  ASSERT_EQ(ei_submit(m, &x, 1, &r), EI_OK) << ei_last_error();
  ei_request_wait(r, -1);   // the engine may compute NaNs or refuse: either way it completes
  ei_request_release(&r);
  ei_tensor_release(&x);
}

TEST_F(CApi, WaitPollAndCallbackGiveTheSameOutputs) {
  ei_tensor* x = Input(0.5f);
  ei_request* r = nullptr;
  ASSERT_EQ(ei_submit(model_, &x, 1, &r), EI_OK) << ei_last_error();
  ASSERT_EQ(ei_request_wait(r, -1), EI_OK) << ei_last_error();
  const std::vector<float> waited = Output0(r);
  ASSERT_FALSE(waited.empty());
  for (float v : waited) ASSERT_TRUE(std::isfinite(v));
  int64_t odims[8];
  size_t orank = ei_model_output_shape(model_, 0, odims, 8);
  size_t per_sample = 1;
  for (size_t i = 1; i < orank; ++i) per_sample *= static_cast<size_t>(odims[i]);
  EXPECT_EQ(waited.size(), per_sample);
  EXPECT_EQ(ei_request_output_count(r), ei_model_output_count(model_));
  ei_tensor* none = nullptr;
  EXPECT_EQ(ei_request_output(r, 99, &none), EI_ERR_ARGUMENT);
  ei_request_release(&r);
  ei_request_release(&r);   // no-op

  // Poll until done.
  ASSERT_EQ(ei_submit(model_, &x, 1, &r), EI_OK);
  ei_status s;
  while ((s = ei_request_poll(r)) == EI_ERR_NOT_READY) std::this_thread::sleep_for(std::chrono::microseconds(50));
  ASSERT_EQ(s, EI_OK) << ei_last_error();
  EXPECT_EQ(Output0(r), waited);
  ei_request_release(&r);

  // Callback.
  struct Got {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ei_status status = EI_ERR_INTERNAL;
    std::vector<float> out;
  } got;
  ASSERT_EQ(ei_submit_callback(model_, &x, 1, [](ei_request* req, ei_status st, void* user) {
              auto* g = static_cast<Got*>(user);
              ei_tensor* y = nullptr;
              std::vector<float> v;
              if (ei_request_output(req, 0, &y) == EI_OK) {
                const float* p = static_cast<const float*>(ei_tensor_data(y));
                v.assign(p, p + ei_tensor_element_count(y));
              }
              ei_tensor_release(&y);
              std::lock_guard<std::mutex> lock(g->mu);
              g->status = st;
              g->out = std::move(v);
              g->done = true;
              g->cv.notify_all();
            }, &got), EI_OK) << ei_last_error();
  {
    std::unique_lock<std::mutex> lock(got.mu);
    got.cv.wait(lock, [&] { return got.done; });
  }
  EXPECT_EQ(got.status, EI_OK);
  EXPECT_EQ(got.out, waited);

  // A different input gives a different output (the outputs are computed, not cached).
  ei_tensor* x2 = Input(1.5f);
  ASSERT_EQ(ei_submit(model_, &x2, 1, &r), EI_OK);
  ASSERT_EQ(ei_request_wait(r, -1), EI_OK);
  EXPECT_NE(Output0(r), waited);
  ei_request_release(&r);
  ei_tensor_release(&x2);
  ei_tensor_release(&x);
}

TEST_F(CApi, OutputsOutliveTheirRequestAndWrappedMemoryIsReleasedOnceAfterUse) {
  ei_tensor* created = Input();
  std::vector<float> mine(ei_tensor_element_count(created));
  std::memcpy(mine.data(), ei_tensor_data(created), mine.size() * sizeof(float));
  int64_t dims[8];
  size_t rank = ei_model_input_shape(model_, 0, dims, 8);
  dims[0] = 1;
  static std::atomic<int> released{0};
  released = 0;
  ei_tensor* wrapped = nullptr;
  ASSERT_EQ(ei_tensor_wrap(EI_FLOAT32, dims, rank, mine.data(), [](void*, void* user) { ++*static_cast<std::atomic<int>*>(user); },
                           &released, &wrapped), EI_OK);
  EXPECT_EQ(ei_tensor_data(wrapped), mine.data());   // no copy
  ei_request* r = nullptr;
  ASSERT_EQ(ei_submit(model_, &wrapped, 1, &r), EI_OK);
  ei_tensor_release(&wrapped);      // the request still reads it
  ASSERT_EQ(ei_request_wait(r, -1), EI_OK);
  EXPECT_EQ(released.load(), 1);    // completed and no handle left: released exactly once
  ei_tensor* y = nullptr;
  ASSERT_EQ(ei_request_output(r, 0, &y), EI_OK);
  ei_request_release(&r);
  const float* py = static_cast<const float*>(ei_tensor_data(y));
  std::vector<float> from_wrapped(py, py + ei_tensor_element_count(y));   // still valid after the request
  ei_tensor_release(&y);
  ASSERT_EQ(ei_submit(model_, &created, 1, &r), EI_OK);
  ASSERT_EQ(ei_request_wait(r, -1), EI_OK);
  EXPECT_EQ(Output0(r), from_wrapped);
  ei_request_release(&r);
  ei_tensor_release(&created);
  EXPECT_EQ(released.load(), 1);
}

TEST_F(CApi, ReleasingARunningRequestAndDestroyingTheSessionAreSafe) {
  ei_tensor* x = Input();
  for (int i = 0; i < 8; ++i) {
    ei_request* r = nullptr;
    ASSERT_EQ(ei_submit(model_, &x, 1, &r), EI_OK);
    ei_request_release(&r);   // the result is dropped when it arrives
  }
  std::atomic<int> calls{0};
  for (int i = 0; i < 8; ++i)
    ASSERT_EQ(ei_submit_callback(model_, &x, 1, [](ei_request*, ei_status, void* u) { ++*static_cast<std::atomic<int>*>(u); }, &calls), EI_OK);
  ei_tensor_release(&x);
  ei_session_destroy(&session_);   // drains: every callback has run when it returns
  EXPECT_EQ(calls.load(), 8);
}

TEST_F(CApi, EngineFilesLoad) {
  const std::string cli = std::string(EDGEINFER_BINARY_DIR) + "/apps/edgeinfer";
  if (!fs::exists(cli)) GTEST_SKIP() << "CLI not built: " << cli;
  const fs::path written = fs::temp_directory_path() / ("ei_capi_" + std::to_string(::getpid()) + ".plan");
  const std::string cmd = cli + " compile " + TinyModel() + " --soc orin-agx --precision fp32 -o " + written.string() + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const fs::path plan = fs::path(written).replace_extension(".model");   // any name: the magic decides
  fs::rename(written, plan);
  ei_model* m = nullptr;
  ei_model_options o;
  ei_model_options_init(&o);   // precision int8 here: an engine file keeps its own (fp32)
  o.engines = "gpu";
  ASSERT_EQ(ei_model_load(session_, plan.c_str(), &o, &m), EI_OK) << ei_last_error();
  fs::remove(plan);
  ei_tensor* x = Input();
  ei_request* r = nullptr;
  ASSERT_EQ(ei_submit(m, &x, 1, &r), EI_OK) << ei_last_error();
  ASSERT_EQ(ei_request_wait(r, -1), EI_OK) << ei_last_error();
  ei_request* r2 = nullptr;
  ASSERT_EQ(ei_submit(model_, &x, 1, &r2), EI_OK);
  ASSERT_EQ(ei_request_wait(r2, -1), EI_OK);
  EXPECT_EQ(Output0(r), Output0(r2));   // the FP32 plan computes what the FP32 ONNX compile computes
  ei_request_release(&r);
  ei_request_release(&r2);
  ei_tensor_release(&x);
}

TEST_F(CApi, WaitWithAZeroTimeout) {
  // A zero timeout on a request that cannot have run yet: EI_ERR_TIMEOUT, then it completes.
  ei_tensor* x = Input();
  ei_request* r = nullptr;
  ASSERT_EQ(ei_submit(model_, &x, 1, &r), EI_OK);
  ei_status s = ei_request_wait(r, 0);
  EXPECT_TRUE(s == EI_OK || s == EI_ERR_TIMEOUT) << ei_status_name(s);
  if (s == EI_ERR_TIMEOUT) {
    EXPECT_TRUE(Contains(ei_last_error(), "not completed within 0 us"));
  }
  EXPECT_EQ(ei_request_wait(r, -1), EI_OK);
  ei_request_release(&r);
  ei_tensor_release(&x);
}

TEST(CppApi, ThrowsErrorsWithTheirCode) {
  try {
    ei::Session s("no-such-soc");
    FAIL() << "no error";
  } catch (const ei::Error& e) {
    EXPECT_EQ(e.code(), EI_ERR_NOT_FOUND);
    EXPECT_TRUE(Contains(e.what(), "no-such-soc")) << e.what();
  }
  if (!fs::exists(TinyModel())) GTEST_SKIP() << "zoo model not generated";
  ei::Session s("orin-agx", "MAXN");
  ei::ModelOptions o;
  o.engines = "gpu";
  o.precision = "fp32";
  ei::Model net = s.Load(TinyModel(), o);
  ei::Tensor x = ei::Tensor::Create(EI_FLOAT32, net.InputShape(0, 1));
  for (size_t i = 0; i < x.ElementCount(); ++i) x.Data<float>()[i] = 0.25f;
  std::vector<ei::Tensor> y = net.Submit({&x}).Get();
  ASSERT_EQ(y.size(), net.OutputCount());
  EXPECT_EQ(y[0].Shape(), net.OutputShape(0, 1));
  ei::Tensor bad = ei::Tensor::Create(EI_FLOAT32, {1, 1});
  try {
    net.Submit({&bad});
    FAIL() << "no error";
  } catch (const ei::Error& e) {
    EXPECT_EQ(e.code(), EI_ERR_INPUT);
    EXPECT_TRUE(Contains(e.what(), net.InputName(0))) << e.what();
  }
  // Callback form; an exception thrown in it stays in the worker's trampoline.
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<float> got;
  net.Submit({&x}, [&](ei::Request& r) {
    std::vector<ei::Tensor> out = r.Get();
    std::lock_guard<std::mutex> lock(mu);
    got.assign(out[0].Data<float>(), out[0].Data<float>() + out[0].ElementCount());
    ++done;
    cv.notify_all();
  });
  net.Submit({&x}, [&](ei::Request&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      cv.notify_all();
    }
    throw std::runtime_error("thrown in a callback");
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == 2; });
  EXPECT_EQ(got, std::vector<float>(y[0].Data<float>(), y[0].Data<float>() + y[0].ElementCount()));
}

}  // namespace
