// The LibTorch version this agent was built against, without pulling
// LibTorch headers into the caller.
#ifndef EDGENAS_DEVICE_AGENT_TORCH_VERSION_H_
#define EDGENAS_DEVICE_AGENT_TORCH_VERSION_H_

#include <string>

namespace edgenas {

// "libtorch <major>.<minor>.<patch>" from torch/version.h.
std::string LibTorchVersion();

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_TORCH_VERSION_H_
