#include "cli/yaml_guard.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgenas {
namespace {

constexpr int kMaxFlowDepth = 32;
constexpr size_t kMaxIndent = 128;
constexpr int kMaxLeadingDashes = 32;

absl::Status Refuse(size_t line, size_t column, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("job spec is not valid YAML here: ", why, " (line ", line, ", column ",
                   column, ")"));
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Whether a node can start at line[at] (a token start): after only block
// indicators ("- ", "? ") on the line, after "key:", or in a flow
// collection after '[', '{' or ','. Elsewhere (`A "b`) a quote is a
// character of a plain value, not the start of a quoted one.
bool NodeStartsAt(std::string_view line, size_t at, bool in_flow) {
  size_t i = at;
  while (i > 0 && IsSpace(line[i - 1])) --i;
  if (i == 0) return true;
  const char previous = line[i - 1];
  if (previous == ':') return true;
  if (in_flow && (previous == '[' || previous == '{' || previous == ',')) return true;
  // Only "- " / "? " indicators before it?
  for (size_t j = 0; j < i;) {
    if (IsSpace(line[j])) {
      ++j;
    } else if ((line[j] == '-' || line[j] == '?') && j + 1 < line.size() && IsSpace(line[j + 1])) {
      j += 2;
    } else {
      return false;
    }
  }
  return true;
}

// Whether a line's text (from its first non-space character) is a plain
// value with no key: not an indicator (- ? [ { quotes | > % ! & * #) and no
// ':' followed by a space or the line's end before a comment.
bool IsBareValueLine(std::string_view content) {
  if (content.empty()) return false;
  const char c = content[0];
  if (c == '-' && (content.size() == 1 || IsSpace(content[1]))) return false;
  if (std::string_view("?[{\"'|>%!&*#").find(c) != std::string_view::npos) return false;
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '#' && i > 0 && IsSpace(content[i - 1])) break;
    if (content[i] == ':' && (i + 1 == content.size() || IsSpace(content[i + 1]))) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckYamlGuards(std::string_view text) {
  if (text.size() > kMaxJobSpecYamlBytes) {
    return absl::InvalidArgumentError(absl::StrCat("job spec: ", text.size(),
                                                   " bytes; at most ", kMaxJobSpecYamlBytes));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      size_t line = 1 + std::count(text.begin(), text.begin() + i, '\n');
      return absl::InvalidArgumentError(absl::StrCat(
          "job spec is not valid YAML here: control character 0x", absl::Hex(c), " (line ", line,
          ")"));
    }
  }
  char quote = 0;            // the open quote, if any (may span lines)
  int flow_depth = 0;        // inside [...] / {...}
  long block_parent = -1;    // indentation of the line that opened a block scalar
  // The block scalar's text indentation (its first non-blank line; -1 until
  // then) and the deepest blank line before that line.
  long block_indent = -1;
  size_t block_blank_indent = 0;
  // Whether the current document has begun, and whether its root is a plain
  // value (no key) rather than a mapping or sequence.
  bool document_started = false;
  bool root_is_bare_value = false;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    ++line_no;
    start = end + 1;
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const bool blank = indent == line.size() || line.find_first_not_of(" \t\r") == std::string_view::npos;
    if (block_parent >= 0) {
      if (blank) {
        if (block_indent < 0) block_blank_indent = std::max(block_blank_indent, indent);
        continue;
      }
      if (static_cast<long>(indent) > block_parent) {  // block scalar text
        // Text indented less than the block's first line (or than a blank
        // line before it) is an error in YAML, and yaml-cpp loops on it
        // when it reads the rest as tokens (`|` / "  " / " ,").
        if (block_indent < 0) {
          if (indent < block_blank_indent) {
            return Refuse(line_no, indent + 1,
                          "block scalar text indented less than a blank line before it");
          }
          block_indent = static_cast<long>(indent);
        } else if (static_cast<long>(indent) < block_indent) {
          return Refuse(line_no, indent + 1, "block scalar text indented less than its first line");
        }
        continue;
      }
      block_parent = -1;
    }
    if (quote == 0 && flow_depth == 0 && !blank) {
      const std::string_view content = line.substr(indent);
      const size_t first = content.find_first_not_of(" \t\r");
      if (content.substr(0, 3) == "---" || content.substr(0, 3) == "...") {
        document_started = false;  // a new document
        root_is_bare_value = false;
      } else if (content[first] != '#') {
        if (root_is_bare_value) {
          // A plain value at a document's root runs on over the next lines,
          // and yaml-cpp loops on some of them (`n` / `{ #` / `,`).
          return Refuse(line_no, indent + 1,
                        "the document is a bare value continued on this line; a job spec is a "
                        "mapping (key: value lines)");
        }
        if (!document_started) {
          document_started = true;
          root_is_bare_value = IsBareValueLine(content.substr(first));
        }
      }
    }
    if (quote == 0 && flow_depth == 0) {
      if (indent > kMaxIndent) return Refuse(line_no, indent + 1, "indented more than 128 columns");
      int dashes = 0;
      for (size_t i = indent; i + 1 < line.size() && line[i] == '-' && IsSpace(line[i + 1]);) {
        ++dashes;
        i += 2;
        while (i < line.size() && IsSpace(line[i])) ++i;
      }
      if (dashes > kMaxLeadingDashes) return Refuse(line_no, indent + 1, "too many nested '- '");
    }
    bool token_start = true;   // the previous character ends a token
    // The last token on this line was a closed quoted value or a closed
    // top-level [...] / {...}: its node ended there.
    bool after_quote = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quote == '"') {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quote = 0;
          after_quote = true;
          token_start = false;
        }
        continue;
      }
      if (quote == '\'') {
        if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;
        } else if (c == '\'') {
          quote = 0;
          after_quote = true;
          token_start = false;
        }
        continue;
      }
      if (IsSpace(c)) {
        token_start = true;
        continue;
      }
      if (c == '#' && token_start) break;  // a comment
      if (after_quote && flow_depth == 0 && c != ':') {
        return Refuse(line_no, i + 1, "a quoted value must end its node (only ':' may follow)");
      }
      const bool at_token = token_start;
      token_start = false;
      if (at_token && (c == '!' || c == '&' || c == '*' || (c == '%' && i == 0))) {
        // Tags, anchors, aliases and directives: a job spec needs none, and
        // yaml-cpp loops on some of them (`!t, x`) or expands aliases
        // without bound.
        return Refuse(line_no, i + 1,
                      "tags (!), anchors (&), aliases (*) and directives (%) are not used in job "
                      "specs; quote the value");
      }
      if ((c == '"' || c == '\'') && at_token && NodeStartsAt(line, i, flow_depth > 0)) {
        quote = c;
        continue;
      }
      if (c == '[' || c == '{') {
        if (at_token || flow_depth > 0) {
          if (++flow_depth > kMaxFlowDepth) {
            return Refuse(line_no, i + 1, "[...] / {...} nested deeper than 32");
          }
          token_start = true;
        }
        after_quote = false;
        continue;
      }
      if ((c == ']' || c == '}') && flow_depth > 0) {
        --flow_depth;
        after_quote = flow_depth == 0;  // `[a], b` loops yaml-cpp as `"a", b` does
        continue;
      }
      if (c == ',') {
        if (flow_depth > 0) {
          token_start = true;
        } else if (at_token || after_quote) {
          return Refuse(line_no, i + 1,
                        "a ',' outside [...] or {...} must be inside a value; quote the value");
        }
        after_quote = false;
        continue;
      }
      if ((c == '|' || c == '>') && at_token && flow_depth == 0) {
        // A block scalar when only indicators or a comment follow.
        size_t j = i + 1;
        while (j < line.size() && (line[j] == '-' || line[j] == '+' ||
                                   (line[j] >= '0' && line[j] <= '9'))) {
          ++j;
        }
        while (j < line.size() && IsSpace(line[j])) ++j;
        if (j == line.size() || line[j] == '#') {
          block_parent = static_cast<long>(indent);
          block_indent = -1;
          block_blank_indent = 0;
          break;
        }
      }
      after_quote = false;
    }
    if (end == text.size()) break;
  }
  return absl::OkStatus();
}

}  // namespace edgenas
