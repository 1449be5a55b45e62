// A network's parameters and buffers as bytes (torch::serialize archive), the
// form in which checkpoints travel as artifacts, and back with every tensor's
// shape checked (LibTorch's own load silently takes the stored shape).
#ifndef EDGENAS_COMMON_MODEL_CHECKPOINT_H_
#define EDGENAS_COMMON_MODEL_CHECKPOINT_H_

#include <string>

#include <torch/torch.h>

#include "absl/status/status.h"

namespace edgenas {

// The module's tensors in torch::save format (the module may be on any
// device; the bytes hold CPU tensors when it is on the CPU).
std::string SaveCheckpoint(torch::nn::Module& module);

// Loads `bytes` into `module` (onto the CPU). DATA_LOSS naming `what` when
// the bytes do not parse, a tensor is missing, or a tensor's shape differs
// from the module's; the module is unusable after an error.
absl::Status LoadCheckpoint(const std::string& bytes, torch::nn::Module& module,
                            const std::string& what);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_CHECKPOINT_H_
