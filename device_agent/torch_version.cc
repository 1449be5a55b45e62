#include "device_agent/torch_version.h"

#include <torch/version.h>

namespace edgenas {

std::string LibTorchVersion() { return std::string("libtorch ") + TORCH_VERSION; }

}  // namespace edgenas
