/* edgeinfer C API (C99): the stable interface of libedgeinfer.so.
 *
 *   #include <edgeinfer/edgeinfer.h>
 *   ei_session* s = NULL;  ei_model* m = NULL;  ei_tensor* x = NULL;  ei_request* r = NULL;
 *   if (ei_session_create("orin-agx", "MAXN", &s) != EI_OK) { fprintf(stderr, "%s\n", ei_last_error()); ... }
 *   ei_model_load(s, "model.onnx", NULL, &m);              // or an engine file: "model.plan"
 *   int64_t dims[4] = {1, 3, 224, 224};
 *   ei_tensor_create(EI_FLOAT32, dims, 4, &x);             // runtime storage; fill it in place
 *   float* px = (float*)ei_tensor_data(x);  ...
 *   ei_submit(m, &x, 1, &r);                                // asynchronous; or ei_submit_callback
 *   if (ei_request_wait(r, -1) == EI_OK) { ei_tensor* y = NULL; ei_request_output(r, 0, &y); ...; ei_tensor_release(&y); }
 *   ei_request_release(&r); ei_tensor_release(&x); ei_session_destroy(&s);
 *
 * Conventions
 *   - Every function that can fail returns an ei_status. On failure the message (naming the element
 *     and the rule, e.g. "input 'input' element 7 is NaN (rule: inputs must be finite)") is kept per
 *     thread: ei_last_error() returns it until the next ei_* call on that thread that returns a status
 *     (a call that succeeds clears it to ""). A request keeps its own message (ei_request_error).
 *   - No C++ exception crosses this interface: every entry point catches everything; an unexpected
 *     one becomes EI_ERR_INTERNAL (EI_ERR_OUT_OF_MEMORY for an allocation failure).
 *   - Handles are opaque. Functions that free a handle take its address and set it to NULL, so a
 *     second call through the same variable is a no-op (ei_session_destroy(&s); ei_session_destroy(&s);
 *     is safe). Freeing through a stale copy of a handle is undefined, as with free().
 *   - Strings are UTF-8, NUL-terminated; returned strings are owned by the library and live as long
 *     as the handle they came from (ei_last_error: until the thread's next ei_* call).
 *   - Thread-safety: a session, its models and tensors may be used from any thread; a request handle
 *     may be waited on, polled and read from any thread, but released only once.
 *
 * Copies (what the runtime shares and what it copies)
 *   - ei_tensor_create allocates the tensor's storage in the runtime (64-byte aligned); you write the
 *     input there. ei_tensor_wrap borrows your memory instead. Submitting shares the storage with the
 *     request: no copy at the API. Do not write to an input until its request has completed.
 *   - An engine that runs a batch of N > 1 samples gathers the N inputs into one batch buffer (one
 *     copy in) and slices its outputs per sample (one copy out); at batch 1 the input buffer is handed
 *     to the executor as is and the output tensor is the executor's own buffer.
 *   - ei_request_output gives a tensor that shares the request's output storage (no copy); it stays
 *     valid after the request is released, until you release the tensor.
 *   - Executors that keep their own device memory (the emulated DLA, the CUDA GPU) copy inputs in and
 *     outputs out of it inside the launch, as their hardware would (DMA): that is not an API copy.
 */
#ifndef EDGEINFER_EDGEINFER_H_
#define EDGEINFER_EDGEINFER_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define EI_API
#elif defined(__GNUC__)
#define EI_API __attribute__((visibility("default")))
#else
#define EI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header; ei_version() gives the library's (they match when built together). */
#define EI_VERSION_MAJOR 0
#define EI_VERSION_MINOR 1
#define EI_VERSION_PATCH 0

typedef enum ei_status {
  EI_OK = 0,
  EI_ERR_ARGUMENT = 1,      /* a NULL handle or pointer, an unknown option value, an index out of range */
  EI_ERR_NOT_FOUND = 2,     /* a file, SoC profile, power mode or name that does not exist */
  EI_ERR_LOAD = 3,          /* a model, engine file or profile that exists but cannot be read or compiled */
  EI_ERR_INPUT = 4,         /* submitted tensors do not match the model (count, name, dtype, shape, NaN/Inf) */
  EI_ERR_RUNTIME = 5,       /* inference failed on an engine */
  EI_ERR_NOT_READY = 6,     /* ei_request_poll: not completed yet (not an error; no message) */
  EI_ERR_TIMEOUT = 7,       /* ei_request_wait: the timeout passed first */
  EI_ERR_OUT_OF_MEMORY = 8, /* an allocation failed */
  EI_ERR_INTERNAL = 9       /* an unexpected failure inside the library (a bug: please report it) */
} ei_status;

/* Element types; the numbers are ONNX's TensorProto.DataType. */
typedef enum ei_dtype {
  EI_DTYPE_UNDEFINED = 0,
  EI_FLOAT32 = 1,
  EI_UINT8 = 2,
  EI_INT8 = 3,
  EI_INT32 = 6,
  EI_INT64 = 7,
  EI_FLOAT16 = 10
} ei_dtype;

typedef struct ei_session ei_session;   /* one SoC profile at one power mode; owns its models */
typedef struct ei_model ei_model;       /* a compiled model in a session (owned by the session) */
typedef struct ei_tensor ei_tensor;     /* a typed, shaped, contiguous buffer with shared storage */
typedef struct ei_request ei_request;   /* one submitted sample and, once completed, its outputs */

/* ---- version and errors ---------------------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH" of the library. Before 1.0 the ABI may change with every MINOR (the SONAME
 * is libedgeinfer.so.MAJOR.MINOR). */
EI_API const char* ei_version(void);
EI_API void ei_version_numbers(int* major, int* minor, int* patch);
/* The message of the last failed call on this thread ("" when the last call succeeded). Never NULL. */
EI_API const char* ei_last_error(void);
/* "EI_OK", "EI_ERR_ARGUMENT", ... ("unknown ei_status" for other values). */
EI_API const char* ei_status_name(ei_status status);
/* "float", "uint8", "int8", "int32", "int64", "float16" (NULL for other values); element size in bytes. */
EI_API const char* ei_dtype_name(ei_dtype dtype);
EI_API size_t ei_dtype_size(ei_dtype dtype);

/* ---- sessions -------------------------------------------------------------------------------- */

/* Opens a session for a SoC profile: a name looked up in $EDGEINFER_CONFIG_DIR, then the installed
 * share/edgeinfer/configs (e.g. "orin-agx"), or a path to a profile YAML. power_mode: one of the
 * profile's modes ("MAXN", "15W", ...) or NULL/"" for the profile's default. */
EI_API ei_status ei_session_create(const char* soc_profile, const char* power_mode, ei_session** out);
/* Drains every model's outstanding requests (their callbacks run), stops the workers, frees the
 * session and its models, sets *session to NULL. NULL or *session == NULL: no-op. Must not be called
 * from a callback. */
EI_API void ei_session_destroy(ei_session** session);
/* The profile's name, the file it was read from, the power mode in effect. */
EI_API const char* ei_session_soc_name(const ei_session* session);
EI_API const char* ei_session_soc_path(const ei_session* session);
EI_API const char* ei_session_power_mode(const ei_session* session);

/* ---- models ---------------------------------------------------------------------------------- */

typedef struct ei_model_options {
  uint32_t struct_size;     /* sizeof(ei_model_options), set by ei_model_options_init (ABI guard) */
  const char* engines;      /* comma-separated: "gpu", "dla0", "dla1", "cpu"; default "gpu,dla0,dla1" */
  const char* precision;    /* "int8" (default), "fp16" or "fp32"; an engine file keeps its own */
  int ordered;              /* 1: results delivered in submission order (default 0) */
  int check_finite;         /* 1 (default): ei_submit refuses float inputs holding NaN or Inf, naming
                               the element (one pass over each float input) */
} ei_model_options;

/* Fills the defaults above. */
EI_API void ei_model_options_init(ei_model_options* options);
/* Loads a model into the session: an ONNX file (imported and compiled; INT8 calibrated on seeded
 * random inputs, so its accuracy is not meaningful: compile with real calibration data into an
 * engine file with `edgeinfer compile --calib DIR --soc S -o model.plan`), or an engine file
 * (recognised by its magic, whatever its name). options NULL: defaults. The model belongs to the
 * session (no separate free). */
EI_API ei_status ei_model_load(ei_session* session, const char* path, const ei_model_options* options,
                               ei_model** out);

/* Inputs and outputs in the model's order. Shapes: the batch (dim 0) is -1 (symbolic); submit one
 * sample (batch 1). ei_model_*_shape writes up to `capacity` dims and returns the rank (0 on a bad
 * argument, with the error set). */
EI_API size_t ei_model_input_count(const ei_model* model);
EI_API size_t ei_model_output_count(const ei_model* model);
EI_API const char* ei_model_input_name(const ei_model* model, size_t index);
EI_API const char* ei_model_output_name(const ei_model* model, size_t index);
EI_API ei_dtype ei_model_input_dtype(const ei_model* model, size_t index);
EI_API ei_dtype ei_model_output_dtype(const ei_model* model, size_t index);
EI_API size_t ei_model_input_shape(const ei_model* model, size_t index, int64_t* dims, size_t capacity);
EI_API size_t ei_model_output_shape(const ei_model* model, size_t index, int64_t* dims, size_t capacity);

/* The model's plan in one line (engines, batch sizes), e.g. "gpu b8 + dla0 b2 + dla1 b2, self-scheduling". */
EI_API const char* ei_model_plan(const ei_model* model);

/* One engine of the model's plan: its name, the host device that computes its numbers (and why),
 * and host-clock counters so far. Strings live as long as the model. */
typedef struct ei_engine_info {
  const char* name;         /* "gpu", "dla0", ... */
  const char* device;       /* e.g. "cpu-fast (no CUDA device: ...)" */
  int64_t samples;          /* samples computed so far */
  int64_t launches;         /* executor launches so far */
  double busy_s;            /* host seconds inside the executor (clock: host) */
} ei_engine_info;
EI_API size_t ei_model_engine_count(const ei_model* model);
EI_API ei_status ei_model_engine(const ei_model* model, size_t index, ei_engine_info* out);

/* Modeled latency of one sample at a time on the model's plan (an MLPerf SingleStream run of
 * `queries` queries simulated on the session's SoC profile; no host work). Clock: target. */
typedef struct ei_latency {
  double mean_ms, p50_ms, p90_ms, p99_ms, max_ms;
} ei_latency;
EI_API ei_status ei_model_target_latency(const ei_model* model, int64_t queries, ei_latency* out);

/* ---- tensors --------------------------------------------------------------------------------- */

/* A zero-filled tensor in runtime storage (64-byte aligned). dims: `rank` static sizes (> 0). */
EI_API ei_status ei_tensor_create(ei_dtype dtype, const int64_t* dims, size_t rank, ei_tensor** out);
/* A tensor over caller memory (not copied): `data` must hold the tensor's bytes and stay valid until
 * the tensor has been released and every request that used it has completed; `release` (may be
 * NULL) is then called once with (data, user_data), on whichever thread let it go last. */
EI_API ei_status ei_tensor_wrap(ei_dtype dtype, const int64_t* dims, size_t rank, void* data,
                                void (*release)(void* data, void* user_data), void* user_data,
                                ei_tensor** out);
/* Drops this handle (storage is freed when no request or tensor shares it), sets *tensor to NULL. */
EI_API void ei_tensor_release(ei_tensor** tensor);
EI_API void* ei_tensor_data(ei_tensor* tensor);        /* the storage (writable) */
EI_API ei_dtype ei_tensor_dtype(const ei_tensor* tensor);
EI_API size_t ei_tensor_rank(const ei_tensor* tensor);
EI_API int64_t ei_tensor_dim(const ei_tensor* tensor, size_t axis);   /* -1 when axis >= rank */
EI_API size_t ei_tensor_element_count(const ei_tensor* tensor);
EI_API size_t ei_tensor_byte_size(const ei_tensor* tensor);

/* ---- requests -------------------------------------------------------------------------------- */

/* Submits one sample: `inputs[i]` is the model's input i (ei_model_input_name), batch 1. The inputs
 * are checked now (count, dtype, shape, finiteness): a mismatch returns EI_ERR_INPUT naming the input
 * and no request is made. Returns at once; the request completes on a runtime worker thread. */
EI_API ei_status ei_submit(ei_model* model, ei_tensor* const* inputs, size_t input_count, ei_request** out);

/* Called once per request on a runtime worker thread, with the completed request (borrowed: valid
 * during the call; take outputs with ei_request_output) and its status. Keep it short; it must not
 * wait for other requests of an ordered model, nor destroy the session. */
typedef void (*ei_callback)(ei_request* request, ei_status status, void* user_data);
/* Like ei_submit, but the result goes to `callback` and the library frees the request after it
 * returns. On an input error the callback is not called. */
EI_API ei_status ei_submit_callback(ei_model* model, ei_tensor* const* inputs, size_t input_count,
                                    ei_callback callback, void* user_data);

/* Blocks until the request completes (timeout_us < 0: no limit) and returns its status, or
 * EI_ERR_TIMEOUT. */
EI_API ei_status ei_request_wait(ei_request* request, int64_t timeout_us);
/* EI_ERR_NOT_READY while running; then the request's status. Never blocks. */
EI_API ei_status ei_request_poll(ei_request* request);
/* The request's failure message ("" when it succeeded or has not completed). */
EI_API const char* ei_request_error(const ei_request* request);
/* Outputs of a completed, successful request, in the model's output order (batch 1). */
EI_API size_t ei_request_output_count(const ei_request* request);
EI_API ei_status ei_request_output(ei_request* request, size_t index, ei_tensor** out);
/* Releases the handle (a running request finishes and its result is dropped), sets *request to NULL. */
EI_API void ei_request_release(ei_request** request);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* EDGEINFER_EDGEINFER_H_ */
