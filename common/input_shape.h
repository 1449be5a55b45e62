// The shape every network of a job is built for: what one input image is
// (channels x height x width) and how many classes the classifier has. It
// comes from the job's dataset (common/datasets.h) and travels with every
// task, so the worker, the agent's runners, the profiler and the exporters
// build the same network. Plain data: no protobuf, no LibTorch.
#ifndef EDGENAS_COMMON_INPUT_SHAPE_H_
#define EDGENAS_COMMON_INPUT_SHAPE_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace edgenas {

struct InputShape {
  int channels = 0;
  int height = 0;
  int width = 0;
  int classes = 0;

  bool operator==(const InputShape& o) const {
    return channels == o.channels && height == o.height && width == o.width &&
           classes == o.classes;
  }
  bool operator!=(const InputShape& o) const { return !(*this == o); }
  // "1x28x28, 10 classes".
  std::string ToString() const {
    return absl::StrCat(channels, "x", height, "x", width, ", ", classes, " classes");
  }
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_INPUT_SHAPE_H_
