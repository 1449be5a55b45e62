#include "common/latency_ops.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/datasets.h"
#include "common/field_error.h"
#include "common/status_macros.h"

namespace edgenas {

std::string OpShape::ToString() const {
  return absl::StrFormat("%s %d->%d ch at %dx%d stride %d", op, in_channels, out_channels,
                         resolution, resolution, stride);
}

absl::StatusOr<OpCost> LatencyModel::Cost(const OpShape& shape) const {
  return absl::UnimplementedError(
      absl::StrCat("this latency model has no analytic cost for ", shape.ToString()));
}

InputShape DefaultInputShape() {
  const std::vector<std::string> names = KnownDatasets();
  const DatasetInfo* info = names.empty() ? nullptr : FindDataset(names.front());
  return info == nullptr ? InputShape{} : info->shape;
}

absl::StatusOr<std::vector<std::string>> LatencyTableOps(absl::string_view space) {
  absl::StatusOr<const LatencyModel*> model = SpaceLatencyModel(space);
  if (!model.ok()) {
    // Same message, placed at the table's field.
    std::string message(model.status().message());
    if (message.rfind("space.name: ", 0) == 0) message = message.substr(12);
    return FieldError("table.space", message);
  }
  return (*model)->TableOps();
}

absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(const SpaceConfig& space,
                                                      const InputShape& input) {
  ASSIGN_OR_RETURN(const LatencyModel* model, SpaceLatencyModel(space.name));
  return model->RequiredOpShapes(space, input);
}

absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(const SpaceConfig& space,
                                                     const Architecture& arch,
                                                     const InputShape& input) {
  ASSIGN_OR_RETURN(const LatencyModel* model, SpaceLatencyModel(space.name));
  return model->NetworkOpShapes(space, arch, input);
}

}  // namespace edgenas
