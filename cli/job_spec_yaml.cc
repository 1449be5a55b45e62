// Job spec YAML → v1::JobSpec, driven by the message descriptors so that the
// YAML keys are exactly the proto field names and new fields need no code.
#include "cli/job_spec_yaml.h"

#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "cli/yaml_guard.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace edgenas {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// yaml-cpp tags quoted scalars "!" and plain ones "?".
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

// How a node looks to the user, for "got ..." in messages.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar: {
      std::string text = node.Scalar();
      if (text.size() > 60) text = absl::StrCat(text.substr(0, 60), "...");
      return absl::StrCat("\"", absl::CHexEscape(text), "\"",
                          IsQuoted(node) ? " (quoted, so a string)" : "");
    }
    default:
      return "nothing";
  }
}

std::string LineSuffix(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return absl::StrCat(" (line ", mark.line + 1, ")");
}

absl::Status Error(const std::string& path, const YAML::Node& node, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, LineSuffix(node.Mark())));
}

absl::Status Expected(const std::string& path, const YAML::Node& node, absl::string_view type) {
  return Error(path, node, absl::StrCat("expected ", type, ", got ", Describe(node)));
}

// The word users write for an enum value: "MAXIMIZE" → "maximize".
std::string EnumWord(const EnumValueDescriptor* value) {
  return absl::AsciiStrToLower(value->name());
}

std::vector<std::string> EnumWords(const EnumDescriptor* type) {
  std::vector<std::string> words;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) words.push_back(EnumWord(type->value(i)));
  }
  return words;
}

class SpecReader {
 public:
  absl::Status ReadMessage(const YAML::Node& node, const std::string& path, Message* message);

 private:
  absl::Status ReadField(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message);
  // Reads a YAML map into a proto map field ("options: {channels: 8}").
  absl::Status ReadMap(const YAML::Node& node, const std::string& path,
                       const FieldDescriptor* field, Message* message);
  // Reads one value: the field itself, or one element of a repeated field.
  absl::Status ReadValue(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message);
  absl::StatusOr<std::string> ReadScalarText(const YAML::Node& node, const std::string& path,
                                             absl::string_view type, bool allow_quoted);
};

absl::Status SpecReader::ReadMessage(const YAML::Node& node, const std::string& path,
                                     Message* message) {
  if (!node.IsMap()) return Expected(path, node, "a map");
  const Descriptor* descriptor = message->GetDescriptor();
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      return Error(path.empty() ? "job spec" : path, key,
                   absl::StrCat("field names must be plain words, got ", Describe(key)));
    }
    const std::string& name = key.Scalar();
    const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr) {
      std::vector<std::string> known;
      for (int i = 0; i < descriptor->field_count(); ++i) known.push_back(descriptor->field(i)->name());
      return Error(field_path, key,
                   absl::StrCat("unknown field; known: ", absl::StrJoin(known, ", ")));
    }
    if (!seen.insert(name).second) return Error(field_path, key, "field given twice");
    RETURN_IF_ERROR(ReadField(entry.second, field_path, field, message));
  }
  return absl::OkStatus();
}

absl::Status SpecReader::ReadField(const YAML::Node& node, const std::string& path,
                                   const FieldDescriptor* field, Message* message) {
  if (field->is_map()) return ReadMap(node, path, field, message);
  if (!field->is_repeated()) return ReadValue(node, path, field, message);
  if (!node.IsSequence()) return Expected(path, node, "a list");
  for (size_t i = 0; i < node.size(); ++i) {
    RETURN_IF_ERROR(ReadValue(node[i], absl::StrCat(path, "[", i, "]"), field, message));
  }
  return absl::OkStatus();
}

absl::Status SpecReader::ReadMap(const YAML::Node& node, const std::string& path,
                                 const FieldDescriptor* field, Message* message) {
  if (!node.IsMap()) return Expected(path, node, "a map");
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  std::set<std::string> seen;
  for (const auto& item : node) {
    const YAML::Node& key = item.first;
    if (!key.IsScalar()) return Expected(path, key, "plain keys");
    const std::string entry_path = absl::StrCat(path, ".", key.Scalar());
    if (!seen.insert(key.Scalar()).second) return Error(entry_path, key, "key given twice");
    Message* entry = message->GetReflection()->AddMessage(message, field);
    RETURN_IF_ERROR(ReadValue(key, path, key_field, entry));
    // A list of plain values in space.options (a list option,
    // "kernels: [3, 5, 7]") is stored as its comma-joined text.
    if (path == "space.options" && item.second.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& element : item.second) {
        if (!element.IsScalar()) return Expected(entry_path, element, "plain values");
        items.push_back(element.Scalar());
      }
      entry->GetReflection()->SetString(entry, value_field, absl::StrJoin(items, ","));
      continue;
    }
    RETURN_IF_ERROR(ReadValue(item.second, entry_path, value_field, entry));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SpecReader::ReadScalarText(const YAML::Node& node,
                                                       const std::string& path,
                                                       absl::string_view type, bool allow_quoted) {
  if (!node.IsScalar() || (!allow_quoted && IsQuoted(node))) return Expected(path, node, type);
  return node.Scalar();
}

absl::Status SpecReader::ReadValue(const YAML::Node& node, const std::string& path,
                                   const FieldDescriptor* field, Message* message) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = repeated ? reflection->AddMessage(message, field)
                                : reflection->MutableMessage(message, field);
      return ReadMessage(node, path, child);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, "a string", true));
      repeated ? reflection->AddString(message, field, std::move(text))
               : reflection->SetString(message, field, std::move(text));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, "an integer", false));
      int64_t wide = 0;
      if (!absl::SimpleAtoi(text, &wide)) return Expected(path, node, "an integer");
      if (wide < INT32_MIN || wide > INT32_MAX) {
        return Error(path, node, absl::StrCat("integer ", text, " is out of the 32-bit range"));
      }
      const int32_t value = static_cast<int32_t>(wide);
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, "an integer", false));
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return Expected(path, node, "an integer");
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      ASSIGN_OR_RETURN(std::string text,
                       ReadScalarText(node, path, "a non-negative integer", false));
      uint64_t value = 0;
      if (absl::StartsWith(text, "-") || !absl::SimpleAtoi(text, &value) ||
          (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 && value > UINT32_MAX)) {
        return Expected(path, node, "a non-negative integer");
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        const auto narrow = static_cast<uint32_t>(value);
        repeated ? reflection->AddUInt32(message, field, narrow)
                 : reflection->SetUInt32(message, field, narrow);
      } else {
        repeated ? reflection->AddUInt64(message, field, value)
                 : reflection->SetUInt64(message, field, value);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, "a number", false));
      double value = 0;
      if (!absl::SimpleAtod(text, &value)) return Expected(path, node, "a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(message, field, static_cast<float>(value))
                 : reflection->SetFloat(message, field, static_cast<float>(value));
      } else {
        repeated ? reflection->AddDouble(message, field, value)
                 : reflection->SetDouble(message, field, value);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, "true or false", false));
      bool value = false;
      if (text == "true") {
        value = true;
      } else if (text != "false") {
        return Expected(path, node, "true or false");
      }
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* type = field->enum_type();
      const std::string one_of = absl::StrCat("one of ", absl::StrJoin(EnumWords(type), ", "));
      ASSIGN_OR_RETURN(std::string text, ReadScalarText(node, path, one_of, true));
      for (int i = 0; i < type->value_count(); ++i) {
        const EnumValueDescriptor* value = type->value(i);
        if (value->number() != 0 && absl::EqualsIgnoreCase(text, EnumWord(value))) {
          repeated ? reflection->AddEnum(message, field, value)
                   : reflection->SetEnum(message, field, value);
          return absl::OkStatus();
        }
      }
      return Expected(path, node, one_of);
    }
  }
  return Error(path, node, "field type not supported in YAML");
}

}  // namespace

absl::StatusOr<v1::JobSpec> ParseJobSpecYaml(std::string_view yaml_text) {
  RETURN_IF_ERROR(CheckYamlGuards(yaml_text));  // yaml-cpp 0.7 hangs on some input
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("job spec is not valid YAML: ", e.msg, LineSuffix(e.mark)));
  }
  if (documents.empty() || documents[0].IsNull()) {
    return absl::InvalidArgumentError("job spec is empty");
  }
  if (documents.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job spec: expected one YAML document, got ", documents.size(), LineSuffix(documents[1].Mark())));
  }
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) {
    return Expected("job spec", root, "a map of fields at the top level");
  }
  v1::JobSpec spec;
  try {
    RETURN_IF_ERROR(SpecReader().ReadMessage(root, "", &spec));
  } catch (const YAML::Exception& e) {
    // Node access should not throw on a parsed tree; refuse rather than crash.
    return absl::InvalidArgumentError(absl::StrCat("job spec: ", e.msg, LineSuffix(e.mark)));
  }
  return spec;
}

absl::StatusOr<v1::JobSpec> LoadJobSpecFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open the job spec file"));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(text.str());
  if (!spec.ok()) {
    return absl::Status(spec.status().code(), absl::StrCat(path, ": ", spec.status().message()));
  }
  return spec;
}

}  // namespace edgenas
