/* The C ABI between edgeinfer and its image-decoding plugin (libedgeinfer_imageio.so, built from
 * fusions/imageio/ against OpenCV). fusions/calib_data.cc dlopen's the plugin only when calibration
 * data is a folder of images, so no other process maps OpenCV (~50 MB). Only C types cross here. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEINFER_IMAGEIO_PLUGIN_ABI 1
#define EDGEINFER_IMAGEIO_PLUGIN_FILE "libedgeinfer_imageio.so"
#define EDGEINFER_IMAGEIO_PLUGIN_ENTRY "edgeinfer_imageio_plugin_api"

typedef struct EiImageioApi {
  uint32_t abi_version;   /* EDGEINFER_IMAGEIO_PLUGIN_ABI */
  uint32_t struct_size;   /* sizeof(EiImageioApi) */
  const char* (*library_info)(void);   /* e.g. "OpenCV 4.6.0" */
  /* Decodes the image at `path` as 8-bit BGR, resizes it (resize_n = 0: no resize; 1: shorter side
   * to resize[0], aspect kept; 2: exactly resize[0] x resize[1] (H, W)), takes the centre
   * crop_h x crop_w (upscaling first when the image is smaller) and scales that to out_h x out_w,
   * all bilinear. Writes out_h*out_w*3 bytes (HWC, BGR) to `bgr`. 0 on success, else nonzero with
   * the reason in err (NUL-terminated, at most err_len bytes). Thread-safe. */
  int (*load_bgr)(const char* path, int resize_n, const int64_t* resize, int64_t crop_h, int64_t crop_w,
                  int64_t out_h, int64_t out_w, uint8_t* bgr, char* err, size_t err_len);
} EiImageioApi;

typedef const EiImageioApi* (*EiImageioEntry)(void);

#ifdef __cplusplus
}
#endif
