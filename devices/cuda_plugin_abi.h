/* The C ABI between edgeinfer and its CUDA plugin (libedgeinfer_cuda.so, devices/cuda).
 *
 * The plugin exports one function, edgeinfer_cuda_plugin_api(), returning a table of function
 * pointers; devices/cuda_plugin.cc dlopen's the plugin only when a GPU engine is requested, so a
 * process that never uses the GPU never maps the CUDA runtime, cuDNN or cuBLASLt. Only C types cross
 * here, except the Device object: create_device returns an edgeinfer::devices::Device* that the
 * plugin allocated and that only destroy_device may free (caller and plugin are built from the same
 * headers; abi_version guards against mixing builds). Functions returning int: 0 on success, else
 * nonzero with a message written to err (NUL-terminated, at most err_len bytes). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEINFER_CUDA_PLUGIN_ABI 1
#define EDGEINFER_CUDA_PLUGIN_FILE "libedgeinfer_cuda.so"
#define EDGEINFER_CUDA_PLUGIN_ENTRY "edgeinfer_cuda_plugin_api"

typedef struct EiCudaDeviceInfo {
  int present, integrated, can_map_host, sm_major, sm_minor;
  uint64_t total_bytes;
  char name[256];
  char why_absent[512];
} EiCudaDeviceInfo;

typedef struct EiCudaOptions {
  int float_precision;   /* edgeinfer::DType value: kFloat32 or kFloat16 */
  int cuda_graphs, autotune, device_index;
  const char* timing_cache;   /* may be NULL */
  uint64_t max_workspace_bytes;
} EiCudaOptions;

typedef struct EiCudaTransfer {
  int to_device;
  uint64_t bytes;
  double ms;
} EiCudaTransfer;

typedef struct EiCudaPluginApi {
  uint32_t abi_version;   /* EDGEINFER_CUDA_PLUGIN_ABI */
  uint32_t struct_size;   /* sizeof(EiCudaPluginApi) */
  const char* (*build_info)(void);   /* e.g. "CUDA 13.0, cuDNN 9.x" */
  /* Device `index` (cached per process); never fails: absence is in the struct. */
  void (*query_device)(int index, EiCudaDeviceInfo* out);
  /* Memory primitives of runtime::UnifiedMemory (devices/cuda/cuda_memory.h). */
  int (*alloc_mapped_host)(size_t bytes, void** host, void** device, char* err, size_t err_len);
  int (*alloc_pinned_host)(size_t bytes, void** host, char* err, size_t err_len);
  int (*free_host)(void* host, char* err, size_t err_len);
  int (*alloc_device)(size_t bytes, void** device, char* err, size_t err_len);
  int (*free_device)(void* device, char* err, size_t err_len);
  /* One timed asynchronous copy queue; NULL on failure. */
  void* (*copy_queue_create)(char* err, size_t err_len);
  int (*copy_queue_copy)(void* queue, void* dst, const void* src, size_t bytes, int to_device, char* err, size_t err_len);
  /* Waits for every enqueued copy and calls sink once per copy, in enqueue order. */
  int (*copy_queue_drain)(void* queue, void (*sink)(void* ctx, const EiCudaTransfer* t), void* ctx, char* err, size_t err_len);
  void (*copy_queue_destroy)(void* queue);
  /* An edgeinfer::devices::Device* (a CudaDevice), or NULL with err set. */
  void* (*create_device)(const EiCudaOptions* options, char* err, size_t err_len);
  void (*destroy_device)(void* device);
} EiCudaPluginApi;

typedef const EiCudaPluginApi* (*EiCudaPluginEntry)(void);

#ifdef __cplusplus
}
#endif
