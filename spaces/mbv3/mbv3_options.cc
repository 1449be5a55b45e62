#include "spaces/mbv3/mbv3_options.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/field_error.h"
#include "common/status_macros.h"

namespace edgenas {

std::vector<IntOptionSchema> Mbv3OptionSchema() {
  // Scalars: key, default, min, max. Lists: also max_items and default_list;
  // choice lists are sets. Defaults follow MobileNetV3-Large / OFA, with a
  // stride-1 first stage so that 28x28 inputs keep a 2x2 last feature map.
  std::vector<IntOptionSchema> schema = {
      {"stages", 5, 1, 8},
      {"stem_channels", 16, 8, 512},
      {"stem_stride", 2, 1, 2},
      {"head_channels", 960, 8, 4096},
      {"feature_channels", 1280, 8, 4096},
      {"channels", 0, 8, 1024, 8, {24, 40, 80, 112, 160}},
      {"strides", 0, 1, 2, 8, {1, 2, 2, 1, 2}},
      {"kernels", 0, 1, 9, 5, {3, 5, 7}, true},
      {"expands", 0, 1, 8, 6, {3, 4, 6}, true},
      {"depths", 0, 1, 8, 8, {2, 3, 4}, true},
      {"resolutions", 0, 8, 512, 8, {28, 32}, true},
      {"widths", 0, 25, 200, 6, {75, 100}, true},
  };
  return schema;
}

int Mbv3MakeDivisible(double value) {
  const int divisor = 8;
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

absl::StatusOr<Mbv3Options> ReadMbv3Options(const SpaceConfig& config) {
  Mbv3Options o;
  ASSIGN_OR_RETURN(o.stages, SpaceIntOption(config, "stages"));
  ASSIGN_OR_RETURN(o.stem_channels, SpaceIntOption(config, "stem_channels"));
  ASSIGN_OR_RETURN(o.stem_stride, SpaceIntOption(config, "stem_stride"));
  ASSIGN_OR_RETURN(o.head_channels, SpaceIntOption(config, "head_channels"));
  ASSIGN_OR_RETURN(o.feature_channels, SpaceIntOption(config, "feature_channels"));
  ASSIGN_OR_RETURN(o.channels, SpaceIntListOption(config, "channels"));
  ASSIGN_OR_RETURN(o.strides, SpaceIntListOption(config, "strides"));
  ASSIGN_OR_RETURN(o.kernels, SpaceIntListOption(config, "kernels"));
  ASSIGN_OR_RETURN(o.expands, SpaceIntListOption(config, "expands"));
  ASSIGN_OR_RETURN(o.depths, SpaceIntListOption(config, "depths"));
  ASSIGN_OR_RETURN(o.resolutions, SpaceIntListOption(config, "resolutions"));
  ASSIGN_OR_RETURN(o.widths, SpaceIntListOption(config, "widths"));

  for (const char* key : {"channels", "strides"}) {
    const std::vector<int>& list = std::string(key) == "channels" ? o.channels : o.strides;
    if (static_cast<int>(list.size()) != o.stages) {
      return FieldError(absl::StrCat("space.options.", key),
                        absl::StrCat("must list one value per stage (stages is ", o.stages,
                                     "), got ", list.size()));
    }
  }
  for (int k : o.kernels) {
    if (k % 2 == 0) {
      return FieldError("space.options.kernels",
                        absl::StrCat("kernel sides must be odd (\"same\" padding), got ", k));
    }
  }
  // The smallest input must keep a feature map of at least 2x2 after the
  // stem and every stage; say which stride makes it vanish.
  int side = Mbv3Downsample(o.resolutions.front(), o.stem_stride);
  for (int s = 0; s < o.stages; ++s) side = Mbv3Downsample(side, o.strides[s]);
  if (side < 2) {
    return FieldError(
        "space.options.strides",
        absl::StrCat("the smallest resolution (", o.resolutions.front(),
                     ") ends with a ", side, "x", side,
                     " feature map after stem_stride ", o.stem_stride, " and strides ",
                     absl::StrJoin(o.strides, ","),
                     "; the last feature map must be at least 2x2: raise "
                     "space.options.resolutions or lower the strides"));
  }
  return o;
}

}  // namespace edgenas
