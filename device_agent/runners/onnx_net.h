// OnnxNet: an ONNX model (bytes from the exporter, onnx_export.h)
// through OpenCV DNN on the CPU (OpenCV's own backend). The device agent's
// --runner=onnx (onnx_runner.h) times RunOnce with the shared latency measurement; the
// exporter's test compares Forward with LibTorch. No OpenCV, LibTorch or
// protobuf headers here.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_NET_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_NET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgenas {

// A dense float tensor, row-major.
struct FloatTensor {
  std::vector<int64_t> dims;
  std::vector<float> values;
};

class OnnxNet {
 public:
  // Imports `onnx_bytes` with cv::dnn::readNetFromONNX, backend OpenCV,
  // target CPU. INVALID_ARGUMENT (quoting OpenCV) when the importer refuses it.
  static absl::StatusOr<std::unique_ptr<OnnxNet>> Create(const std::string& onnx_bytes);

  // OpenCV's worker thread count (cv::setNumThreads, process-wide); >= 1.
  static void SetThreads(int threads);
  // The OpenCV version the runner is built with (CV_VERSION, e.g. "4.6.0").
  static std::string Version();

  ~OnnxNet();
  OnnxNet(const OnnxNet&) = delete;
  OnnxNet& operator=(const OnnxNet&) = delete;

  // Binds the network input (kept for RunOnce and Forward). INVALID_ARGUMENT
  // when values do not fill dims or a dimension is not in [1, 2^31).
  absl::Status SetInput(const FloatTensor& input);
  // One forward pass on the bound input, output discarded (latency runs).
  // FAILED_PRECONDITION without an input; INTERNAL when OpenCV fails.
  absl::Status RunOnce();
  // One forward pass on the bound input; returns the network output.
  absl::StatusOr<FloatTensor> Forward();

 private:
  struct Impl;
  explicit OnnxNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_NET_H_
