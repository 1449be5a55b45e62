// Decoding one JPEG or PNG file into a square uint8 image with OpenCV
// (imgcodecs, imgproc): grayscale or RGB, the shorter side resized to the
// target side (INTER_AREA down, INTER_LINEAR up) and centre-cropped.
// Truncated files are caught by their end markers, which OpenCV's decoders
// would otherwise pad over. No LibTorch here.
#ifndef EDGENAS_WORKER_DATASETS_IMAGE_DECODE_H_
#define EDGENAS_WORKER_DATASETS_IMAGE_DECODE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace edgenas {

struct DecodeResult {
  bool upscaled = false;  // the shorter side was below `side`
  int source_width = 0;
  int source_height = 0;
};

// Reads and decodes `path` into `out` (channels * side * side bytes, channel
// planes in R, G, B order for 3 channels). DATA_LOSS naming the file for a
// truncated or corrupt image or a file that is neither JPEG nor PNG by its
// content; NOT_FOUND / PERMISSION_DENIED when it cannot be read.
absl::StatusOr<DecodeResult> DecodeImageFile(const std::string& path, int channels, int side,
                                             uint8_t* out);

// The same on bytes already read (`name` only names the file in errors).
absl::StatusOr<DecodeResult> DecodeImageBytes(const std::string& bytes, const std::string& name,
                                              int channels, int side, uint8_t* out);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_IMAGE_DECODE_H_
