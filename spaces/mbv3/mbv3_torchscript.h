// The mbv3 space's TorchScript capability: the source of an mbv3 network's
// forward (the network of mbv3_model.cc, blocks of mbv3_blocks.h) reading
// the built module's tensors as attributes, for the generic TorchScript
// exporter (common/model/model_export.cc). No LibTorch needed to write it.
#ifndef EDGENAS_SPACES_MBV3_MBV3_TORCHSCRIPT_H_
#define EDGENAS_SPACES_MBV3_MBV3_TORCHSCRIPT_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// `def forward(self, x)` for `arch` in the mbv3 space of `space`'s options,
// with the same arithmetic as Mbv3Network::forward in eval mode: an input
// whose height or width is not the architecture's resolution is resized
// bilinearly first (align_corners false), batch norm uses the running
// statistics (eps 1e-5). Tensors are read as self.<dotted name with '.' as
// '_'> (e.g. self.s0b1_dw_bn_running_var). INVALID_ARGUMENT naming
// space.options.<key> for bad options, arch.genes[i] for a bad architecture.
absl::StatusOr<std::string> Mbv3TorchScriptSource(const Architecture& arch,
                                                  const SpaceConfig& space);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_TORCHSCRIPT_H_
