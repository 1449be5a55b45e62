// The PyTorch column of onnx_runner_bench: each network exported the way
// `edgenas export` writes it (TorchScript and state_dict), with a reference
// input and LibTorch's logits on it, then timed in Python by
// pytorch_latency.py (the TorchScript module, and for mbv3 the network
// rebuilt in eager PyTorch from its architecture string). LibTorch is used
// in the .cc only; no protobuf here.
#ifndef EDGENAS_BENCH_ONNX_RUNNER_PYTORCH_SIDE_H_
#define EDGENAS_BENCH_ONNX_RUNNER_PYTORCH_SIDE_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/space_registry.h"

namespace edgenas {

struct PytorchSideOptions {
  std::string python = "/usr/bin/python3";  // with torch importable
  std::string script;                       // pytorch_latency.py
  std::string dir;                          // scratch folder for the exports (must exist)
  int batch = 1;
  int threads = 1;
};

// One network's figures from Python; NaN where a column does not apply.
struct PytorchFigure {
  double script_ms = NAN;   // median, torch.jit.load of the TorchScript export
  double eager_ms = NAN;    // median, eager rebuild (mbv3 only)
  double script_err = NAN;  // max |logits - LibTorch's| of each
  double eager_err = NAN;
};

// Exports every architecture of `archs` (seeded initial weights, eval mode,
// built for `dataset`) under options.dir and runs the Python script on them;
// one figure per architecture, in order. INVALID_ARGUMENT for a bad
// architecture; INTERNAL when an export fails or the script fails or prints
// something other than one line per network (its exit status quoted).
absl::StatusOr<std::vector<PytorchFigure>> TimeInPytorch(const SpaceConfig& space,
                                                         const std::vector<std::string>& archs,
                                                         const InputShape& dataset,
                                                         const PytorchSideOptions& options);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_ONNX_RUNNER_PYTORCH_SIDE_H_
