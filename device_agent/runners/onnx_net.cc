#include "device_agent/runners/onnx_net.h"

#include <exception>
#include <limits>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

// OpenCV messages can be long (a whole graph dump); keep errors readable.
std::string Clip(const std::string& text) {
  constexpr size_t kMax = 1024;
  return text.size() <= kMax ? text : text.substr(0, kMax) + "...";
}

}  // namespace

struct OnnxNet::Impl {
  cv::dnn::Net net;
  cv::Mat input;
};

OnnxNet::OnnxNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnnxNet::~OnnxNet() = default;

absl::StatusOr<std::unique_ptr<OnnxNet>> OnnxNet::Create(const std::string& onnx_bytes) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->net = cv::dnn::readNetFromONNX(onnx_bytes.data(), onnx_bytes.size());
    if (impl->net.empty()) return absl::InvalidArgumentError("opencv dnn: the ONNX model has no layers");
    impl->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    impl->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return std::unique_ptr<OnnxNet>(new OnnxNet(std::move(impl)));
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("opencv dnn import: ", Clip(e.what())));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("opencv dnn import: ", Clip(e.what())));
  }
}

void OnnxNet::SetThreads(int threads) { cv::setNumThreads(threads < 1 ? 1 : threads); }

std::string OnnxNet::Version() { return CV_VERSION; }

absl::Status OnnxNet::SetInput(const FloatTensor& input) {
  std::vector<int> sizes;
  int64_t count = 1;
  for (int64_t d : input.dims) {
    if (d < 1 || d > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("onnx runner input: dimension ", d));
    }
    sizes.push_back(static_cast<int>(d));
    count *= d;
  }
  if (sizes.empty() || count != static_cast<int64_t>(input.values.size())) {
    return absl::InvalidArgumentError(absl::StrCat("onnx runner input: dims hold ", count,
                                                   " values, got ", input.values.size()));
  }
  try {
    // Copy: the Mat must own its data beyond the caller's vector.
    cv::Mat wrapped(static_cast<int>(sizes.size()), sizes.data(), CV_32F,
                    const_cast<float*>(input.values.data()));
    impl_->input = wrapped.clone();
    impl_->net.setInput(impl_->input);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("opencv dnn setInput: ", Clip(e.what())));
  }
  return absl::OkStatus();
}

absl::Status OnnxNet::RunOnce() {
  if (impl_->input.empty()) return absl::FailedPreconditionError("onnx runner: no input set");
  try {
    cv::Mat out = impl_->net.forward();
    if (out.empty()) return absl::InternalError("opencv dnn: empty output");
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("opencv dnn forward: ", Clip(e.what())));
  }
  return absl::OkStatus();
}

absl::StatusOr<FloatTensor> OnnxNet::Forward() {
  if (impl_->input.empty()) return absl::FailedPreconditionError("onnx runner: no input set");
  try {
    cv::Mat out = impl_->net.forward();
    if (out.empty() || out.type() != CV_32F) {
      return absl::InternalError("opencv dnn: output is empty or not float");
    }
    if (!out.isContinuous()) out = out.clone();
    FloatTensor result;
    for (int i = 0; i < out.dims; ++i) result.dims.push_back(out.size[i]);
    const float* data = out.ptr<float>();
    result.values.assign(data, data + out.total());
    return result;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("opencv dnn forward: ", Clip(e.what())));
  }
}

}  // namespace edgenas
