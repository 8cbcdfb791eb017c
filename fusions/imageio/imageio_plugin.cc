// libedgeinfer_imageio.so: OpenCV image decoding for calibration data, behind the C ABI of
// fusions/imageio_abi.h. The steps (decode BGR, resize, centre crop, fit to the model input) are
// exactly those calib_data.cc ran in-process before they moved here; the normalisation stays there.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "fusions/imageio_abi.h"

namespace {

int Fail(const std::string& why, char* err, size_t err_len) {
  if (err && err_len) std::snprintf(err, err_len, "%s", why.c_str());
  return 1;
}

const char* LibraryInfo() { return "OpenCV " CV_VERSION; }

int LoadBgr(const char* path, int resize_n, const int64_t* resize, int64_t ch, int64_t cw, int64_t H, int64_t W, uint8_t* bgr,
            char* err, size_t err_len) {
  try {
    cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);   // BGR
    if (img.empty()) return Fail(std::string("calibration image '") + path + "' cannot be decoded", err, err_len);
    if (resize_n == 1) {
      const double s = static_cast<double>(resize[0]) / std::min(img.rows, img.cols);
      cv::resize(img, img, cv::Size(static_cast<int>(std::lround(img.cols * s)), static_cast<int>(std::lround(img.rows * s))), 0, 0, cv::INTER_LINEAR);
    } else if (resize_n == 2) {
      cv::resize(img, img, cv::Size(static_cast<int>(resize[1]), static_cast<int>(resize[0])), 0, 0, cv::INTER_LINEAR);
    }
    if (img.rows < ch || img.cols < cw)
      cv::resize(img, img, cv::Size(static_cast<int>(std::max<int64_t>(cw, img.cols)), static_cast<int>(std::max<int64_t>(ch, img.rows))));
    const int y0 = static_cast<int>((img.rows - ch) / 2), x0 = static_cast<int>((img.cols - cw) / 2);
    img = img(cv::Rect(x0, y0, static_cast<int>(cw), static_cast<int>(ch))).clone();
    if (ch != H || cw != W) cv::resize(img, img, cv::Size(static_cast<int>(W), static_cast<int>(H)));
    for (int64_t y = 0; y < H; ++y) std::memcpy(bgr + y * W * 3, img.ptr<uint8_t>(static_cast<int>(y)), static_cast<size_t>(W * 3));
    return 0;
  } catch (const std::exception& e) {   // OpenCV throws cv::Exception; no exception crosses the plugin boundary
    return Fail(std::string("calibration image '") + path + "': OpenCV: " + e.what(), err, err_len);
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const EiImageioApi* edgeinfer_imageio_plugin_api(void) {
  static const EiImageioApi kApi = {EDGEINFER_IMAGEIO_PLUGIN_ABI, sizeof(EiImageioApi), LibraryInfo, LoadBgr};
  return &kApi;
}
