#include "bench/onnx_runner/pytorch_side.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/model/checkpoint.h"
#include "common/model/model_export.h"
#include "common/model/model_registry.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// `text` as one single-quoted shell word.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

double ParseNumber(absl::string_view text) {
  double value = NAN;
  if (!absl::SimpleAtod(text, &value)) return NAN;
  return value;
}

// Writes network `index`'s exports and reference tensors; returns its
// manifest line.
absl::StatusOr<std::string> WriteNetwork(const SpaceConfig& space, const std::string& options_text,
                                         const std::string& arch, int index,
                                         const InputShape& dataset,
                                         const PytorchSideOptions& options) {
  torch::manual_seed(index + 1);
  ASSIGN_OR_RETURN(torch::nn::AnyModule model, BuildModel(space, arch, dataset));
  model.ptr()->eval();
  const std::string checkpoint = SaveCheckpoint(*model.ptr());
  const std::string base = absl::StrCat(options.dir, "/net", index);
  const std::string script = base + ".pt";
  const std::string state = base + ".state_dict.pt";
  const std::string io = base + ".io.pt";
  RETURN_IF_ERROR(ExportTrainedModel(space, arch, checkpoint, "torchscript", script, dataset));
  RETURN_IF_ERROR(ExportTrainedModel(space, arch, checkpoint, "state_dict", state, dataset));
  ASSIGN_OR_RETURN(const Architecture parsed, ParseArchitecture(space, arch));
  const InputShape input = NetworkInputShape(space, parsed, dataset);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({options.batch, input.channels, input.height, input.width});
  c10::Dict<std::string, at::Tensor> tensors;
  tensors.insert("input", x);
  tensors.insert("logits", model.forward(x));
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(tensors));
  std::ofstream out(io, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", io));
  return absl::StrCat(index, "\t", space.name, "\t", options_text, "\t", arch, "\t", script, "\t",
                      state, "\t", io, "\n");
}

absl::StatusOr<std::vector<PytorchFigure>> TimeChecked(const SpaceConfig& space,
                                                       const std::vector<std::string>& archs,
                                                       const InputShape& dataset,
                                                       const PytorchSideOptions& options) {
  std::string options_text;
  for (const auto& [key, value] : space.options) {
    absl::StrAppend(&options_text, options_text.empty() ? "" : ";", key, "=", value);
  }
  const std::string manifest_path = options.dir + "/manifest.tsv";
  {
    std::ofstream manifest(manifest_path, std::ios::trunc);
    for (size_t i = 0; i < archs.size(); ++i) {
      ASSIGN_OR_RETURN(const std::string line,
                       WriteNetwork(space, options_text, archs[i], static_cast<int>(i), dataset,
                                    options));
      manifest << line;
    }
    if (!manifest.flush()) return absl::InternalError(absl::StrCat("cannot write ", manifest_path));
  }
  const std::string command =
      absl::StrCat(ShellQuote(options.python), " ", ShellQuote(options.script), " --manifest ",
                   ShellQuote(manifest_path), " --threads ", options.threads);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot run ", command));
  std::vector<PytorchFigure> figures(archs.size());
  std::vector<bool> seen(archs.size(), false);
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    const absl::string_view line = absl::StripTrailingAsciiWhitespace(buffer);
    if (absl::StartsWith(line, "#")) {
      std::printf("%s\n", std::string(line).c_str());  // the script's own header
      continue;
    }
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    size_t index = 0;
    if (fields.size() != 5 || !absl::SimpleAtoi(fields[0], &index) || index >= archs.size()) {
      ::pclose(pipe);
      return absl::InternalError(absl::StrCat("pytorch_latency.py printed \"", line, "\""));
    }
    figures[index] = PytorchFigure{ParseNumber(fields[1]), ParseNumber(fields[2]),
                                   ParseNumber(fields[3]), ParseNumber(fields[4])};
    seen[index] = true;
  }
  const int status = ::pclose(pipe);
  if (status != 0) {
    return absl::InternalError(absl::StrCat(command, " failed (wait status ", status, ")"));
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) return absl::InternalError(absl::StrCat("pytorch_latency.py skipped network ", i));
  }
  return figures;
}

}  // namespace

absl::StatusOr<std::vector<PytorchFigure>> TimeInPytorch(const SpaceConfig& space,
                                                         const std::vector<std::string>& archs,
                                                         const InputShape& dataset,
                                                         const PytorchSideOptions& options) {
  try {
    return TimeChecked(space, archs, dataset, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("pytorch side: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("pytorch side: ", e.what()));
  }
}

}  // namespace edgenas
