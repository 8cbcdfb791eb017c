// The few entries of ONNX Runtime's public C ABI that edgeinfer's peer benchmark calls, declared by
// us (the npm package carries the library but no headers). The layout follows the public
// onnxruntime_c_api.h: OrtGetApiBase() -> OrtApiBase -> GetApi(version) -> OrtApi, a struct of
// function pointers whose order is frozen by ORT's ABI policy (new entries are only appended).
// Slots we do not call are untyped placeholders that keep the offsets; the static_asserts pin each
// typed slot to its index in the public header (API version 13 and later).
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {

struct OrtEnv;
struct OrtStatus;
struct OrtMemoryInfo;
struct OrtSession;
struct OrtValue;
struct OrtRunOptions;
struct OrtTypeInfo;
struct OrtTensorTypeAndShapeInfo;
struct OrtSessionOptions;

enum OrtLoggingLevel { ORT_LOGGING_LEVEL_VERBOSE, ORT_LOGGING_LEVEL_INFO, ORT_LOGGING_LEVEL_WARNING, ORT_LOGGING_LEVEL_ERROR, ORT_LOGGING_LEVEL_FATAL };
enum GraphOptimizationLevel { ORT_DISABLE_ALL = 0, ORT_ENABLE_BASIC = 1, ORT_ENABLE_EXTENDED = 2, ORT_ENABLE_ALL = 99 };
enum ExecutionMode { ORT_SEQUENTIAL = 0, ORT_PARALLEL = 1 };
// Same numbers as ONNX TensorProto.DataType (FLOAT = 1, INT8 = 3, INT64 = 7, ...).
enum ONNXTensorElementDataType { ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED = 0, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1 };
enum OrtAllocatorType { OrtInvalidAllocator = -1, OrtDeviceAllocator = 0, OrtArenaAllocator = 1 };
enum OrtMemType { OrtMemTypeCPUInput = -2, OrtMemTypeCPUOutput = -1, OrtMemTypeDefault = 0 };

struct OrtAllocator {
  uint32_t version;
  void* (*Alloc)(OrtAllocator* self, size_t size);
  void (*Free)(OrtAllocator* self, void* p);
  const OrtMemoryInfo* (*Info)(const OrtAllocator* self);
};

using OrtSlot = void*;   // an entry we do not call

struct OrtApi {
  OrtSlot CreateStatus;                                                               // 0
  OrtSlot GetErrorCode;                                                               // 1
  const char* (*GetErrorMessage)(const OrtStatus* status);                            // 2
  OrtStatus* (*CreateEnv)(OrtLoggingLevel level, const char* logid, OrtEnv** out);    // 3
  OrtSlot CreateEnvWithCustomLogger, EnableTelemetryEvents, DisableTelemetryEvents;  // 4-6
  OrtStatus* (*CreateSession)(const OrtEnv* env, const char* model_path, const OrtSessionOptions* options,
                              OrtSession** out);                                      // 7
  OrtSlot CreateSessionFromArray;                                                     // 8
  OrtStatus* (*Run)(OrtSession* session, const OrtRunOptions* run_options, const char* const* input_names,
                    const OrtValue* const* inputs, size_t input_len, const char* const* output_names,
                    size_t output_names_len, OrtValue** outputs);                     // 9
  OrtStatus* (*CreateSessionOptions)(OrtSessionOptions** options);                    // 10
  OrtSlot SetOptimizedModelFilePath, CloneSessionOptions;                             // 11-12
  OrtStatus* (*SetSessionExecutionMode)(OrtSessionOptions* options, ExecutionMode mode);   // 13
  OrtSlot EnableProfiling, DisableProfiling, EnableMemPattern, DisableMemPattern, EnableCpuMemArena,
      DisableCpuMemArena, SetSessionLogId, SetSessionLogVerbosityLevel, SetSessionLogSeverityLevel;   // 14-22
  OrtStatus* (*SetSessionGraphOptimizationLevel)(OrtSessionOptions* options, GraphOptimizationLevel level);  // 23
  OrtStatus* (*SetIntraOpNumThreads)(OrtSessionOptions* options, int n);              // 24
  OrtStatus* (*SetInterOpNumThreads)(OrtSessionOptions* options, int n);              // 25
  OrtSlot CreateCustomOpDomain, CustomOpDomain_Add, AddCustomOpDomain, RegisterCustomOpsLibrary;  // 26-29
  OrtStatus* (*SessionGetInputCount)(const OrtSession* session, size_t* out);         // 30
  OrtStatus* (*SessionGetOutputCount)(const OrtSession* session, size_t* out);        // 31
  OrtSlot SessionGetOverridableInitializerCount;                                      // 32
  OrtStatus* (*SessionGetInputTypeInfo)(const OrtSession* session, size_t index, OrtTypeInfo** out);   // 33
  OrtSlot SessionGetOutputTypeInfo, SessionGetOverridableInitializerTypeInfo;         // 34-35
  OrtStatus* (*SessionGetInputName)(const OrtSession* session, size_t index, OrtAllocator* allocator, char** out);   // 36
  OrtStatus* (*SessionGetOutputName)(const OrtSession* session, size_t index, OrtAllocator* allocator, char** out);  // 37
  OrtSlot SessionGetOverridableInitializerName;                                       // 38
  OrtSlot CreateRunOptions, RunOptionsSetRunLogVerbosityLevel, RunOptionsSetRunLogSeverityLevel, RunOptionsSetRunTag,
      RunOptionsGetRunLogVerbosityLevel, RunOptionsGetRunLogSeverityLevel, RunOptionsGetRunTag, RunOptionsSetTerminate,
      RunOptionsUnsetTerminate;                                                       // 39-47
  OrtSlot CreateTensorAsOrtValue;                                                     // 48
  OrtStatus* (*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo* info, void* data, size_t data_bytes,
                                               const int64_t* shape, size_t shape_len, ONNXTensorElementDataType type,
                                               OrtValue** out);                       // 49
  OrtSlot IsTensor;                                                                   // 50
  OrtStatus* (*GetTensorMutableData)(OrtValue* value, void** out);                    // 51
  OrtSlot FillStringTensor, GetStringTensorDataLength, GetStringTensorContent;        // 52-54
  OrtStatus* (*CastTypeInfoToTensorInfo)(const OrtTypeInfo* info, const OrtTensorTypeAndShapeInfo** out);   // 55
  OrtSlot GetOnnxTypeFromTypeInfo, CreateTensorTypeAndShapeInfo, SetTensorElementType, SetDimensions;  // 56-59
  OrtStatus* (*GetTensorElementType)(const OrtTensorTypeAndShapeInfo* info, ONNXTensorElementDataType* out);  // 60
  OrtStatus* (*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo* info, size_t* out);                      // 61
  OrtStatus* (*GetDimensions)(const OrtTensorTypeAndShapeInfo* info, int64_t* dims, size_t len);             // 62
  OrtSlot GetSymbolicDimensions;                                                      // 63
  OrtStatus* (*GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo* info, size_t* out);              // 64
  OrtStatus* (*GetTensorTypeAndShape)(const OrtValue* value, OrtTensorTypeAndShapeInfo** out);               // 65
  OrtSlot GetTypeInfo, GetValueType, CreateMemoryInfo;                                // 66-68
  OrtStatus* (*CreateCpuMemoryInfo)(OrtAllocatorType type, OrtMemType mem_type, OrtMemoryInfo** out);         // 69
  OrtSlot CompareMemoryInfo, MemoryInfoGetName, MemoryInfoGetId, MemoryInfoGetMemType, MemoryInfoGetType,
      AllocatorAlloc, AllocatorFree, AllocatorGetInfo;                                // 70-77
  OrtStatus* (*GetAllocatorWithDefaultOptions)(OrtAllocator** out);                   // 78
  OrtSlot AddFreeDimensionOverride, GetValue, GetValueCount, CreateValue, CreateOpaqueValue, GetOpaqueValue,
      KernelInfoGetAttribute_float, KernelInfoGetAttribute_int64, KernelInfoGetAttribute_string,
      KernelContext_GetInputCount, KernelContext_GetOutputCount, KernelContext_GetInput, KernelContext_GetOutput;  // 79-91
  void (*ReleaseEnv)(OrtEnv*);                                                        // 92
  void (*ReleaseStatus)(OrtStatus*);                                                  // 93
  void (*ReleaseMemoryInfo)(OrtMemoryInfo*);                                          // 94
  void (*ReleaseSession)(OrtSession*);                                                // 95
  void (*ReleaseValue)(OrtValue*);                                                    // 96
  void (*ReleaseRunOptions)(OrtRunOptions*);                                          // 97
  void (*ReleaseTypeInfo)(OrtTypeInfo*);                                              // 98
  void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo*);                  // 99
  void (*ReleaseSessionOptions)(OrtSessionOptions*);                                  // 100
  OrtSlot ReleaseCustomOpDomain, GetDenotationFromTypeInfo, CastTypeInfoToMapTypeInfo, CastTypeInfoToSequenceTypeInfo,
      GetMapKeyType, GetMapValueType, GetSequenceElementType, ReleaseMapTypeInfo, ReleaseSequenceTypeInfo,
      SessionEndProfiling, SessionGetModelMetadata, ModelMetadataGetProducerName, ModelMetadataGetGraphName,
      ModelMetadataGetDomain, ModelMetadataGetDescription, ModelMetadataLookupCustomMetadataMap, ModelMetadataGetVersion,
      ReleaseModelMetadata, CreateEnvWithGlobalThreadPools, DisablePerSessionThreads, CreateThreadingOptions,
      ReleaseThreadingOptions, ModelMetadataGetCustomMetadataMapKeys, AddFreeDimensionOverrideByName,
      GetAvailableProviders, ReleaseAvailableProviders, GetStringTensorElementLength, GetStringTensorElement,
      FillStringTensorElement;                                                        // 101-129
  // Keys as in onnxruntime_session_options_config_keys.h ("session.intra_op.allow_spinning").
  OrtStatus* (*AddSessionConfigEntry)(OrtSessionOptions* options, const char* key, const char* value);   // 130
};

struct OrtApiBase {
  const OrtApi* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)();
};

using OrtGetApiBaseFn = const OrtApiBase* (*)();

}  // extern "C"

#define EI_ORT_SLOT(name, index) static_assert(offsetof(OrtApi, name) == (index) * sizeof(void*), #name " is not at slot " #index)
EI_ORT_SLOT(GetErrorMessage, 2);
EI_ORT_SLOT(CreateEnv, 3);
EI_ORT_SLOT(CreateSession, 7);
EI_ORT_SLOT(Run, 9);
EI_ORT_SLOT(CreateSessionOptions, 10);
EI_ORT_SLOT(SetSessionExecutionMode, 13);
EI_ORT_SLOT(SetSessionGraphOptimizationLevel, 23);
EI_ORT_SLOT(SetIntraOpNumThreads, 24);
EI_ORT_SLOT(SetInterOpNumThreads, 25);
EI_ORT_SLOT(SessionGetInputCount, 30);
EI_ORT_SLOT(SessionGetOutputCount, 31);
EI_ORT_SLOT(SessionGetInputTypeInfo, 33);
EI_ORT_SLOT(SessionGetInputName, 36);
EI_ORT_SLOT(SessionGetOutputName, 37);
EI_ORT_SLOT(CreateTensorWithDataAsOrtValue, 49);
EI_ORT_SLOT(GetTensorMutableData, 51);
EI_ORT_SLOT(CastTypeInfoToTensorInfo, 55);
EI_ORT_SLOT(GetTensorElementType, 60);
EI_ORT_SLOT(GetDimensionsCount, 61);
EI_ORT_SLOT(GetDimensions, 62);
EI_ORT_SLOT(GetTensorShapeElementCount, 64);
EI_ORT_SLOT(GetTensorTypeAndShape, 65);
EI_ORT_SLOT(CreateCpuMemoryInfo, 69);
EI_ORT_SLOT(GetAllocatorWithDefaultOptions, 78);
EI_ORT_SLOT(ReleaseEnv, 92);
EI_ORT_SLOT(ReleaseStatus, 93);
EI_ORT_SLOT(ReleaseMemoryInfo, 94);
EI_ORT_SLOT(ReleaseSession, 95);
EI_ORT_SLOT(ReleaseValue, 96);
EI_ORT_SLOT(ReleaseTypeInfo, 98);
EI_ORT_SLOT(ReleaseTensorTypeAndShapeInfo, 99);
EI_ORT_SLOT(ReleaseSessionOptions, 100);
EI_ORT_SLOT(AddSessionConfigEntry, 130);
#undef EI_ORT_SLOT
