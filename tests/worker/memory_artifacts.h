// A worker's artifact access (worker/accuracy_plan.h ArtifactAccess) kept in
// a map, for tests: what the coordinator's ArtifactService stores, by
// "<job>/<name>". Free of LibTorch and protobuf.
#ifndef EDGENAS_TESTS_WORKER_MEMORY_ARTIFACTS_H_
#define EDGENAS_TESTS_WORKER_MEMORY_ARTIFACTS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/accuracy_plan.h"

namespace edgenas::testing {

struct MemoryArtifacts {
  std::map<std::string, std::string> blobs;  // "<job>/<name>" -> bytes

  // Upload and download over `blobs` (NOT_FOUND for a name never stored);
  // valid while this object lives.
  ArtifactAccess Access() {
    ArtifactAccess access;
    access.upload = [this](const std::string& job, const std::string& name,
                           const std::string& bytes) {
      blobs[job + "/" + name] = bytes;
      return absl::OkStatus();
    };
    access.download = [this](const std::string& job,
                             const std::string& name) -> absl::StatusOr<std::string> {
      auto it = blobs.find(job + "/" + name);
      if (it == blobs.end()) return absl::NotFoundError(name + " not stored");
      return it->second;
    };
    return access;
  }
};

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_WORKER_MEMORY_ARTIFACTS_H_
