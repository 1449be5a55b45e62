// `edgenas-agent profile`: profiles a search space's operators on this
// device (profile_ops.h), then uploads the latency table to the coordinator
// (register as a DEVICE_AGENT of --device_class, PutLatencyTable) and/or
// writes it to --out (binary .pb or .json).
//
// The space comes from flags, as a job spec's `space` section would give it:
//   --space=NAME --space_options="key=value;key=value" (e.g. mbv3's
//   "widths=75,100;resolutions=28,32"; absent keys take their defaults), and
//   for nb201 also --channels=16 --cells_per_stage=5 (0 = the default);
//   --space may be left out only while one registered space has a latency
//   model,
// and the input shape as a job's `dataset` section would: --dataset, and
// --input_shape=CxHxW / --num_classes where the dataset leaves them free.
// and the measurement settings from --threads (the agent's flag) and
// --profile_batch_size, which must match the jobs' latency.threads and
// latency.batch_size for the coordinator to screen with the table. The
// agent stays free of a YAML parser (it is cross-built for boards), so a job
// spec file is not read: copy its space options into the flags.
// The agent's --cpus pins the measurement as for latency tasks.
// Profile-specific flags live in profile_command.cc; the shared ones
// (coordinator, class, threads, cpus, TLS, name) come from agent_main.cc.
#ifndef EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_COMMAND_H_
#define EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_COMMAND_H_

#include <memory>
#include <string>

#include "edgenas/v1/common.pb.h"
#include "grpcpp/security/credentials.h"

namespace edgenas {

struct ProfileCommandOptions {
  std::string coordinator;
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  std::string device_class;
  std::string name;  // shown by the coordinator
  int threads = 1;
  // What the table is stored with (CPU model, runner, ...). device_class,
  // runner ("libtorch-cpu" when empty) and threads are filled in.
  v1::DeviceDescriptor device;
  // The agent's --speed_reference: profile at the reference kernel's speed,
  // with the agent's --speed_reference_file of fastest calibrations.
  bool speed_reference = false;
  std::string speed_reference_file;
};

// Runs the subcommand; returns the process exit code (0 done, 1 failed,
// 2 bad flags) after printing what it did or why it failed.
int RunProfileCommand(const ProfileCommandOptions& options);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_COMMAND_H_
