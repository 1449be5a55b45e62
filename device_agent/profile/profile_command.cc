#include "device_agent/profile/profile_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/datasets.h"
#include "common/latency_predictor.h"
#include "common/status_macros.h"
#include "common/space_registry.h"
#include "device_agent/profile/profile_ops.h"
#include "device_agent/profile/profile_table.h"
#include "device_agent/profile/space_options_flag.h"
#include "device_agent/speed_reference.h"
#include "edgenas/v1/job.pb.h"

ABSL_FLAG(std::string, space, "",
          "profile: the search space to profile, e.g. nb201 or mbv3 (required when several "
          "registered spaces have a latency model)");
ABSL_FLAG(std::string, space_options, "",
          "profile: the space's options as the jobs' space.options give them, entries separated "
          "by ';' (e.g. \"widths=75,100;resolutions=28,32\"); options not given take their "
          "defaults");
ABSL_FLAG(std::string, dataset, "fashion_mnist",
          "profile: the dataset whose input shape and class count the jobs use");
ABSL_FLAG(std::string, input_shape, "",
          "profile: CxHxW of the jobs' dataset.channels/height/width (\"\" = the dataset's)");
ABSL_FLAG(int, num_classes, 0, "profile: the jobs' dataset.num_classes (0 = the dataset's)");
ABSL_FLAG(int, channels, 0, "profile: the space's channels option (0 = its default)");
ABSL_FLAG(int, cells_per_stage, 0, "profile: the space's cells_per_stage option (0 = its default)");
ABSL_FLAG(std::string, out, "",
          "profile: also write the table here (.json: protobuf JSON; otherwise binary .pb)");
ABSL_FLAG(bool, upload, true,
          "profile: store the table on the coordinator (--coordinator) for --device_class");
ABSL_FLAG(int, profile_batch_size, 1,
          "profile: inference batch (must equal the jobs' latency.batch_size)");
ABSL_FLAG(int, profile_warmup_ms, 300, "profile: warm-up per operator, ms");
ABSL_FLAG(int, profile_max_measure_ms, 3000, "profile: cap on each operator's timed runs, ms");
ABSL_FLAG(double, profile_target_ci_rel, 0.01,
          "profile: stop timing an operator once its median's 95% CI is within +-this");

namespace edgenas {
namespace {

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "edgenas-agent profile: %s\n", message.c_str());
  return code;
}

// --space, or the one registered space with a latency model.
absl::StatusOr<std::string> SpaceName() {
  if (!absl::GetFlag(FLAGS_space).empty()) return absl::GetFlag(FLAGS_space);
  std::vector<std::string> with_model;
  for (const std::string& name : KnownSearchSpaces()) {
    if (SpaceLatencyModel(name).ok()) with_model.push_back(name);
  }
  if (with_model.size() == 1) return with_model.front();
  return absl::InvalidArgumentError(absl::StrCat(
      "--space: required when several spaces have a latency model: ",
      absl::StrJoin(with_model, ", ")));
}

// The jobs' input shape: --dataset's, with --input_shape / --num_classes
// given as a job's dataset fields would be (and refused the same way).
absl::StatusOr<InputShape> InputFromFlags() {
  v1::DatasetSpec dataset;
  dataset.set_name(absl::GetFlag(FLAGS_dataset));
  const std::string shape = absl::GetFlag(FLAGS_input_shape);
  if (!shape.empty()) {
    const std::vector<std::string> parts = absl::StrSplit(shape, 'x');
    int c = 0, h = 0, w = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c) || !absl::SimpleAtoi(parts[1], &h) ||
        !absl::SimpleAtoi(parts[2], &w)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--input_shape: expected CxHxW (e.g. 3x32x32), got \"", shape, "\""));
    }
    dataset.set_channels(c);
    dataset.set_height(h);
    dataset.set_width(w);
  }
  dataset.set_num_classes(absl::GetFlag(FLAGS_num_classes));
  absl::StatusOr<InputShape> input = InputShapeOf(dataset);
  if (!input.ok()) {
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        input.status().message(), {{"dataset.name", "--dataset"},
                                   {"dataset.channels", "--input_shape"},
                                   {"dataset.height", "--input_shape"},
                                   {"dataset.width", "--input_shape"},
                                   {"dataset.num_classes", "--num_classes"}}));
  }
  return input;
}

absl::StatusOr<SpaceConfig> SpaceFromFlags() {
  v1::SearchSpaceSpec spec;
  ASSIGN_OR_RETURN(const std::string name, SpaceName());
  spec.set_name(name);
  ASSIGN_OR_RETURN(const auto options, ParseSpaceOptionsFlag(absl::GetFlag(FLAGS_space_options)));
  spec.mutable_options()->insert(options.begin(), options.end());
  const std::pair<const char*, int> scalar_flags[] = {
      {"channels", absl::GetFlag(FLAGS_channels)},
      {"cells_per_stage", absl::GetFlag(FLAGS_cells_per_stage)}};
  for (const auto& [key, value] : scalar_flags) {
    if (value == 0) continue;
    if (options.count(key) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", key, ": also given in --space_options; give it once"));
    }
    (*spec.mutable_options())[key] = absl::StrCat(value);
  }
  absl::StatusOr<SpaceConfig> config = SpaceConfigFromSpec(spec);
  if (!config.ok()) {
    // "space.options.channels: ..." -> the flag the user typed: --channels
    // or --cells_per_stage when given alone, else --space_options.
    std::string message(config.status().message());
    for (const char* key : {"channels", "cells_per_stage"}) {
      if (options.count(key) == 0) {
        message = absl::StrReplaceAll(
            message, {{absl::StrCat("space.options.", key, ":"), absl::StrCat("--", key, ":")}});
      }
    }
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        message, {{"space.options.", "--space_options "}, {"space.name", "--space"}}));
  }
  return config;
}

}  // namespace

int RunProfileCommand(const ProfileCommandOptions& options) {
  const std::string out = absl::GetFlag(FLAGS_out);
  const bool upload = absl::GetFlag(FLAGS_upload);
  if (out.empty() && !upload) return Fail(2, "nothing to do: give --out, or leave --upload on");
  if (options.device_class.empty()) return Fail(2, "--device_class must not be empty");
  absl::StatusOr<SpaceConfig> space = SpaceFromFlags();
  if (!space.ok()) return Fail(2, std::string(space.status().message()));
  absl::StatusOr<InputShape> input = InputFromFlags();
  if (!input.ok()) return Fail(2, std::string(input.status().message()));

  ProfileSettings settings;
  settings.input = *input;
  settings.threads = options.threads;
  settings.batch_size = absl::GetFlag(FLAGS_profile_batch_size);
  settings.latency.warmup_ms = absl::GetFlag(FLAGS_profile_warmup_ms);
  settings.latency.max_measure_ms = absl::GetFlag(FLAGS_profile_max_measure_ms);
  settings.latency.target_ci_rel = absl::GetFlag(FLAGS_profile_target_ci_rel);
  settings.progress = [](const std::string& line) {
    std::fprintf(stderr, "edgenas-agent profile: measuring %s\n", line.c_str());
  };
  if (absl::Status s = ValidateLatencyOptions(settings.latency); !s.ok()) {
    return Fail(2, absl::StrCat("--profile_*: ", s.message()));
  }

  std::unique_ptr<SpeedReference> speed_reference;
  if (options.speed_reference) {
    absl::StatusOr<std::unique_ptr<SpeedReference>> created =
        SpeedReference::Create(options.speed_reference_file, options.device.cpu_model(),
                               settings.input.height, settings.input.width);
    if (!created.ok()) return Fail(1, created.status().ToString());
    speed_reference = std::move(*created);
    settings.speed_reference = speed_reference.get();
  }

  v1::DeviceDescriptor device = options.device;
  if (device.runner().empty()) device.set_runner("libtorch-cpu");
  device.set_threads(options.threads);

  absl::StatusOr<ProfileResult> profile = ProfileSpace(*space, settings);
  if (!profile.ok()) return Fail(1, profile.status().ToString());
  for (const std::string& note : profile->notes) {
    std::fprintf(stderr, "edgenas-agent profile: %s\n", note.c_str());
  }
  const v1::LatencyTable table = MakeLatencyTable(*profile, space->name, options.device_class,
                                                  settings, absl::ToUnixMillis(absl::Now()),
                                                  device);
  if (absl::Status s = ValidateLatencyTable(table); !s.ok()) {
    return Fail(1, absl::StrCat("the profile is not a valid table: ", s.message()));
  }
  int unstable = 0;
  for (const auto& e : table.entries()) unstable += e.unstable() ? 1 : 0;
  std::printf("edgenas-agent profile: %s: %d entries (%d unstable), overhead %.4f ms\n",
              DescribeLatencyTable(table).c_str(), table.entries_size(), unstable,
              table.overhead_ms());
  if (!out.empty()) {
    if (absl::Status s = WriteLatencyTableFile(table, out); !s.ok()) return Fail(1, s.ToString());
    std::printf("edgenas-agent profile: wrote %s\n", out.c_str());
  }
  if (upload) {
    UploadOptions up;
    up.coordinator = options.coordinator;
    up.credentials = options.credentials;
    up.name = options.name;
    if (absl::Status s = UploadLatencyTable(table, up); !s.ok()) return Fail(1, s.ToString());
    std::printf("edgenas-agent profile: stored on %s for device class %s\n",
                options.coordinator.c_str(), options.device_class.c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace edgenas
