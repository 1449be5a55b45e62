#include "device_agent/profile/profile_table.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"

namespace edgenas {
namespace {

void SetDeadline(grpc::ClientContext* ctx, int timeout_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
}

}  // namespace

v1::LatencyTable MakeLatencyTable(const ProfileResult& profile, const std::string& space,
                                  const std::string& device_class,
                                  const ProfileSettings& settings, int64_t created_unix_ms,
                                  v1::DeviceDescriptor device) {
  v1::LatencyTable table;
  table.set_space(space);
  table.set_device_class(device_class);
  device.set_device_class(device_class);
  *table.mutable_device() = std::move(device);
  table.set_batch_size(settings.batch_size);
  table.set_threads(settings.threads);
  table.set_created_unix_ms(created_unix_ms);
  table.set_overhead_ms(profile.overhead_ms);
  for (const MeasuredOp& m : profile.ops) {
    v1::LatencyTableEntry* e = table.add_entries();
    e->set_op(m.shape.op);
    e->set_in_channels(m.shape.in_channels);
    e->set_out_channels(m.shape.out_channels);
    e->set_resolution(m.shape.resolution);
    e->set_stride(m.shape.stride);
    e->set_latency_ms(m.stats.median_ms);
    // Only a valid interval that contains the median is stored (0/0 = none).
    if (m.stats.ci_valid && m.stats.ci_low_ms <= m.stats.median_ms &&
        m.stats.median_ms <= m.stats.ci_high_ms) {
      e->set_ci_low(m.stats.ci_low_ms);
      e->set_ci_high(m.stats.ci_high_ms);
    }
    e->set_unstable(m.stats.unstable);
  }
  return table;
}

absl::Status WriteLatencyTableFile(const v1::LatencyTable& table, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--out: empty path");
  std::string bytes;
  if (absl::EndsWith(path, ".json")) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    auto status = google::protobuf::util::MessageToJsonString(table, &bytes, options);
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("--out: cannot encode JSON: ", status.ToString()));
    }
  } else if (!table.SerializeToString(&bytes)) {
    return absl::InternalError("--out: cannot serialize the table");
  }
  if (absl::Status s = WriteFileAtomically(path, bytes); !s.ok()) {
    return absl::InternalError(absl::StrCat("--out: ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::LatencyTable> ReadLatencyTableFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  v1::LatencyTable table;
  if (absl::EndsWith(path, ".json")) {
    auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &table);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.ToString()));
    }
  } else if (!table.ParseFromString(buffer.str())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a serialized LatencyTable"));
  }
  return table;
}

absl::Status UploadLatencyTable(const v1::LatencyTable& table, const UploadOptions& options) {
  auto channel = grpc::CreateChannel(
      options.coordinator,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials());
  auto stub = v1::TaskService::NewStub(channel);
  v1::RegisterRequest reg;
  reg.set_kind(v1::DEVICE_AGENT);
  reg.set_name(options.name);
  reg.set_device_class(table.device_class());
  *reg.mutable_device() = table.device();
  v1::RegisterResponse registered;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, options.timeout_ms);
    ctx.set_wait_for_ready(true);
    RETURN_IF_ERROR(FromGrpcStatus(stub->Register(&ctx, reg, &registered),
                                absl::StrCat("register with ", options.coordinator)));
  }
  v1::PutLatencyTableRequest put;
  put.set_executor_id(registered.executor_id());
  *put.mutable_table() = table;
  v1::PutLatencyTableResponse response;
  grpc::ClientContext ctx;
  SetDeadline(&ctx, options.timeout_ms);
  return FromGrpcStatus(stub->PutLatencyTable(&ctx, put, &response), "PutLatencyTable");
}

}  // namespace edgenas
