// The LibTorch side of the image-folder integration test: one forward pass
// of an exported TorchScript file, behind a header free of LibTorch and
// protobuf so the gRPC test can call it.
#ifndef EDGENAS_TESTS_INTEGRATION_TORCHSCRIPT_FORWARD_H_
#define EDGENAS_TESTS_INTEGRATION_TORCHSCRIPT_FORWARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgenas::testing {

// Loads `path` with torch::jit::load (CPU, eval) and runs it on `values`
// shaped `dims` (row-major float); the output flattened. INTERNAL quoting
// LibTorch when the file does not load or run.
absl::StatusOr<std::vector<float>> TorchScriptForward(const std::string& path,
                                                      const std::vector<int64_t>& dims,
                                                      const std::vector<float>& values);

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_INTEGRATION_TORCHSCRIPT_FORWARD_H_
