// Calibration data: batches of input tensors from .npy files or from a folder of images.
//
// Sources (by what `path` is):
//   *.npy file            one array; split along dim 0 into batches of `batch` (the last may be short)
//   folder of *.npy       each file is one batch (sorted by name)
//   folder of images      *.jpg *.jpeg *.png *.bmp (sorted by name), decoded with OpenCV and
//                         preprocessed as the YAML says, stacked into batches of `batch`
// Preprocessing YAML (every key optional; defaults are ImageNet's torchvision recipe):
//   resize: 256            # shorter side to 256 (aspect kept), or [H, W] for an exact size
//   crop: 224              # centre crop, or [H, W]; defaults to the model input's H, W
//   scale: 255.0           # pixel / scale before mean/std
//   mean: [0.485, 0.456, 0.406]
//   std:  [0.229, 0.224, 0.225]
//   color: RGB             # channel order fed to the model: RGB or BGR
//   layout: NCHW           # or NHWC
// A progress bar goes to stderr while images are decoded.
#pragma once
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/shape.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer::fusions {

struct Preprocess {
  std::vector<int64_t> resize;   // {} none, {s} shorter side, {h, w}
  std::vector<int64_t> crop;     // {} = model input H, W
  float scale = 255.f;
  std::vector<float> mean = {0.485f, 0.456f, 0.406f};
  std::vector<float> std = {0.229f, 0.224f, 0.225f};
  bool rgb = true;
  bool nchw = true;
};

// Parses the YAML text (errors name the key and the rule).
Result<Preprocess> ParsePreprocess(const std::string& yaml_text, const std::string& what);
Result<Preprocess> LoadPreprocess(const std::string& path);

// Loads up to max_samples samples (0 = all) as batches for an input of `input_shape`
// (its leading dim may be symbolic). Float32 tensors.
Result<std::vector<Tensor>> LoadCalibrationBatches(const std::string& path, const Shape& input_shape, int64_t batch,
                                                   const Preprocess& pre, int64_t max_samples, bool progress);

// "[=====>    ] 37/100 label" on stderr, one line redrawn in place with '\r' while stderr is a
// terminal; done=total clears the line, so the next stage reuses it. Prints nothing when stderr is
// not a terminal (piped, redirected to a file, a test): logs keep no progress noise.
void ProgressBar(const std::string& label, int64_t done, int64_t total);
// True when stderr is a terminal (isatty), i.e. when ProgressBar draws.
bool ProgressOnTerminal();

// Seeded uniform [-1, 1) batches of a single-input float32/float16 model (batch 1 each, a symbolic batch
// dimension bound to 1): stand-in calibration data when none is given. Scales calibrated on them
// exercise the INT8 arithmetic and leave placement and target timing unchanged, but carry no
// accuracy; callers must say so.
Result<std::vector<Tensor>> SeededRandomBatches(const Graph& g, int64_t count, uint32_t seed = 1234);

}  // namespace edgeinfer::fusions
