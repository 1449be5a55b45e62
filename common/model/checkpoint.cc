#include "common/model/checkpoint.h"

#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgenas {
namespace {

std::map<std::string, std::vector<int64_t>> Shapes(torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    shapes[p.key()] = p.value().sizes().vec();
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    shapes[b.key()] = b.value().sizes().vec();
  }
  return shapes;
}

}  // namespace

std::string SaveCheckpoint(torch::nn::Module& module) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

absl::Status LoadCheckpoint(const std::string& bytes, torch::nn::Module& module,
                            const std::string& what) {
  const auto expected = Shapes(module);
  try {
    std::istringstream in(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(in, torch::kCPU);
    module.load(archive);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat(what, ": checkpoint does not load: ", e.what_without_backtrace()));
  }
  for (const auto& [name, shape] : Shapes(module)) {
    auto it = expected.find(name);
    if (it == expected.end() || it->second != shape) {
      return absl::DataLossError(absl::StrCat(
          what, ": checkpoint tensor ", name, " has shape [", absl::StrJoin(shape, ", "),
          "], the network needs [",
          it == expected.end() ? "" : absl::StrJoin(it->second, ", "), "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace edgenas
