#include "worker/datasets/image_decode.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgenas {
namespace {

constexpr size_t kTailSearch = 1024;  // bytes after the end marker tolerated

bool IsPng(absl::string_view b) {
  return b.size() >= 8 && b.substr(0, 8) == absl::string_view("\x89PNG\r\n\x1a\n", 8);
}
bool IsJpeg(absl::string_view b) {
  return b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF &&
         static_cast<uint8_t>(b[1]) == 0xD8 && static_cast<uint8_t>(b[2]) == 0xFF;
}

// True when `marker` occurs in the last kTailSearch bytes of `b`.
bool EndsWithMarker(absl::string_view b, absl::string_view marker) {
  const size_t from = b.size() > kTailSearch ? b.size() - kTailSearch : 0;
  return b.substr(from).find(marker) != absl::string_view::npos;
}

}  // namespace

absl::StatusOr<DecodeResult> DecodeImageBytes(const std::string& bytes, const std::string& name,
                                              int channels, int side, uint8_t* out) {
  const absl::string_view b(bytes);
  if (b.empty()) return absl::DataLossError(absl::StrCat(name, ": empty file"));
  if (IsPng(b)) {
    if (!EndsWithMarker(b, "IEND")) {
      return absl::DataLossError(absl::StrCat(name, ": truncated PNG (no IEND chunk)"));
    }
  } else if (IsJpeg(b)) {
    if (!EndsWithMarker(b, absl::string_view("\xFF\xD9", 2))) {
      return absl::DataLossError(absl::StrCat(name, ": truncated JPEG (no end-of-image marker)"));
    }
  } else {
    return absl::DataLossError(absl::StrCat(name, ": not a JPEG or PNG image (by its content)"));
  }
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1,
                         const_cast<char*>(bytes.data()));
    decoded = cv::imdecode(buffer, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat(name, ": corrupt image: ", e.what()));
  }
  if (decoded.empty() || decoded.depth() != CV_8U) {
    return absl::DataLossError(absl::StrCat(name, ": corrupt image (cannot be decoded)"));
  }
  DecodeResult result;
  result.source_width = decoded.cols;
  result.source_height = decoded.rows;
  const int shorter = std::min(decoded.cols, decoded.rows);
  result.upscaled = shorter < side;
  const double scale = static_cast<double>(side) / shorter;
  // The shorter side becomes exactly `side`; the longer one at least that.
  const int w = decoded.cols == shorter
                    ? side
                    : std::max(side, static_cast<int>(std::lround(decoded.cols * scale)));
  const int h = decoded.rows == shorter
                    ? side
                    : std::max(side, static_cast<int>(std::lround(decoded.rows * scale)));
  cv::Mat resized;
  try {
    if (w == decoded.cols && h == decoded.rows) {
      resized = decoded;
    } else {
      cv::resize(decoded, resized, cv::Size(w, h), 0, 0,
                 scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const cv::Mat crop = resized(cv::Rect((w - side) / 2, (h - side) / 2, side, side));
    if (channels == 1) {
      for (int y = 0; y < side; ++y) std::memcpy(out + y * side, crop.ptr<uint8_t>(y), side);
    } else {
      // BGR (OpenCV's order) -> RGB planes.
      const size_t plane = static_cast<size_t>(side) * side;
      for (int y = 0; y < side; ++y) {
        const uint8_t* row = crop.ptr<uint8_t>(y);
        for (int x = 0; x < side; ++x) {
          const size_t at = static_cast<size_t>(y) * side + x;
          out[at] = row[3 * x + 2];
          out[plane + at] = row[3 * x + 1];
          out[2 * plane + at] = row[3 * x];
        }
      }
    }
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat(name, ": cannot resize: ", e.what()));
  }
  return result;
}

absl::StatusOr<DecodeResult> DecodeImageFile(const std::string& path, int channels, int side,
                                             uint8_t* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = std::strerror(err);
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat(path, ": ", why));
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", why));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return DecodeImageBytes(buffer.str(), path, channels, side, out);
}

}  // namespace edgenas
