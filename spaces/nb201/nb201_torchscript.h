// TorchScript source of an NB201 network's forward (the network of
// nb201_model.cc, reading the parameters the built module names: stem_conv,
// stem_bn, body.<i>..., head_bn, classifier), for the generic TorchScript
// exporter (common/model/model_export.cc). No LibTorch needed to write it.
#ifndef EDGENAS_SPACES_NB201_NB201_TORCHSCRIPT_H_
#define EDGENAS_SPACES_NB201_NB201_TORCHSCRIPT_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// `def forward(self, x)` for a valid `arch` with the space's options;
// INVALID_ARGUMENT for a bad option.
absl::StatusOr<std::string> Nb201TorchScriptSource(const Architecture& arch,
                                                   const SpaceConfig& space);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_TORCHSCRIPT_H_
