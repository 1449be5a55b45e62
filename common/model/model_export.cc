#include "common/model/model_export.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <torch/script.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/model/checkpoint.h"
#include "common/model/model_registry.h"
#include "common/model/onnx_export.h"
#include "common/model/onnx_writer.h"
#include "common/model/space_networks.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// TorchScript attribute names cannot hold dots: "body.0.conv_a.bn.weight"
// becomes "body_0_conv_a_bn_weight" (unique: module names hold no '_'-dot
// ambiguities that collide, checked when registering).
std::string AttrName(const std::string& name) { return absl::StrReplaceAll(name, {{".", "_"}}); }

absl::Status WriteFile(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("export: cannot write ", path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return absl::InternalError(absl::StrCat("export: cannot write ", path));
  return absl::OkStatus();
}

// A JSON string literal of `text` (RFC 8259 escapes).
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

absl::Status CheckMetadataKeys(const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::set<std::string> keys;
  for (const auto& [key, value] : metadata) {
    if (key.empty() || !keys.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata: key \"", key, "\" is empty or repeated"));
    }
  }
  return absl::OkStatus();
}

absl::Status ExportChecked(const SpaceConfig& space, const std::string& arch_text,
                           const std::string& checkpoint, const std::string& format,
                           const std::string& out_path, const InputShape& input,
                           const ModelExportOptions& export_options) {
  if (export_options.dynamic_batch && format != "onnx") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dynamic_batch: only for format onnx, got \"", format, "\" (TorchScript takes any batch)"));
  }
  RETURN_IF_ERROR(CheckMetadataKeys(export_options.metadata));
  if (format == "onnx") {
    // ExportOnnx reads "" as "initial weights"; a trained network has bytes.
    if (checkpoint.empty()) return absl::DataLossError("export: the checkpoint is empty");
    OnnxExportOptions options;
    options.in_channels = input.channels;
    options.height = input.height;
    options.width = input.width;
    options.num_classes = input.classes;
    options.dynamic_batch = export_options.dynamic_batch;
    ASSIGN_OR_RETURN(OnnxModel model, ExportOnnx(space, arch_text, checkpoint, options));
    if (!export_options.metadata.empty()) {
      ASSIGN_OR_RETURN(model.bytes, AddOnnxMetadata(model.bytes, export_options.metadata));
    }
    return WriteFile(out_path, std::vector<char>(model.bytes.begin(), model.bytes.end()));
  }
  if (format != "torchscript" && format != "state_dict") {
    return absl::InvalidArgumentError(absl::StrCat(
        "format: unknown \"", format, "\"; known: torchscript, state_dict, onnx"));
  }
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(space, arch_text, input));
  RETURN_IF_ERROR(LoadCheckpoint(checkpoint, *model.ptr(), arch_text));
  model.ptr()->eval();
  const auto params = model.ptr()->named_parameters(/*recurse=*/true);
  const auto buffers = model.ptr()->named_buffers(/*recurse=*/true);

  if (format == "state_dict") {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& p : params) dict.insert(p.key(), p.value().detach().clone());
    for (const auto& b : buffers) dict.insert(b.key(), b.value().detach().clone());
    RETURN_IF_ERROR(WriteFile(out_path, torch::pickle_save(c10::IValue(dict))));
    if (export_options.metadata.empty()) return absl::OkStatus();
    const std::string json = ExportMetadataJson(export_options.metadata);
    return WriteFile(absl::StrCat(out_path, ".json"), std::vector<char>(json.begin(), json.end()));
  }

  ASSIGN_OR_RETURN(
      const SpaceNetworks* networks,
      RequireNetworks(space.name, &SpaceNetworks::torchscript_source, "torchscript exporter"));
  ASSIGN_OR_RETURN(const Architecture arch, ParseArchitecture(space, arch_text));
  ASSIGN_OR_RETURN(const std::string source, networks->torchscript_source(arch, space));
  torch::jit::Module script(absl::StrCat("edgenas_", space.name));
  for (const auto& p : params) {
    const std::string name = AttrName(p.key());
    if (script.hasattr(name)) return absl::InternalError(absl::StrCat("export: name clash ", name));
    script.register_parameter(name, p.value().detach().clone(), /*is_buffer=*/false);
  }
  for (const auto& b : buffers) {
    const std::string name = AttrName(b.key());
    if (name.size() > 20 && name.compare(name.size() - 20, 20, "_num_batches_tracked") == 0) {
      continue;  // bookkeeping, unused in inference
    }
    if (script.hasattr(name)) return absl::InternalError(absl::StrCat("export: name clash ", name));
    script.register_buffer(name, b.value().detach().clone());
  }
  script.define(source);
  script.eval();
  std::ostringstream bytes;
  torch::jit::ExtraFilesMap extra;
  if (!export_options.metadata.empty()) {
    extra["edgenas.json"] = ExportMetadataJson(export_options.metadata);
  }
  script.save(bytes, extra);
  const std::string data = bytes.str();
  return WriteFile(out_path, std::vector<char>(data.begin(), data.end()));
}

}  // namespace

std::string ExportMetadataJson(const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string out = "{";
  for (size_t i = 0; i < metadata.size(); ++i) {
    const auto& [key, value] = metadata[i];
    const bool array = !value.empty() && value.front() == '[' && value.back() == ']';
    absl::StrAppend(&out, i == 0 ? "\n  " : ",\n  ", JsonString(key), ": ",
                    array ? value : JsonString(value));
  }
  return absl::StrCat(out, metadata.empty() ? "}" : "\n}", "\n");
}

absl::Status ExportTrainedModel(const SpaceConfig& space, const std::string& arch,
                                const std::string& checkpoint, const std::string& format,
                                const std::string& out_path, const InputShape& input,
                                const ModelExportOptions& options) {
  try {
    return ExportChecked(space, arch, checkpoint, format, out_path, input, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("export: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("export: ", e.what()));
  }
}

}  // namespace edgenas
