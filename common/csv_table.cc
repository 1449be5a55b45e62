#include "common/csv_table.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Cell text quoted into messages is cut here (keys and cells come from files).
constexpr size_t kMaxQuoted = 120;

std::string Quoted(absl::string_view text) {
  if (text.size() <= kMaxQuoted) return absl::StrCat("\"", text, "\"");
  return absl::StrCat("\"", text.substr(0, kMaxQuoted), "...\"");
}

// Splits CSV text into records, one call per record. Handles quoted fields
// (with "" for a quote and embedded separators or newlines), \n and \r\n.
class RecordReader {
 public:
  RecordReader(absl::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 BOM
  }

  // Reads the next non-empty record into *fields; false at the end of text.
  // *line is the (1-based) line where the record starts.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields, int* line) {
    while (pos_ < text_.size()) {
      *line = line_;
      fields->clear();
      ASSIGN_OR_RETURN(const bool blank, ReadRecord(fields));
      if (!blank) return true;
    }
    return false;
  }

 private:
  // Reads one record; returns true when the line was empty.
  absl::StatusOr<bool> ReadRecord(std::vector<std::string>* fields) {
    const size_t start = pos_;
    std::string field;
    while (true) {
      field.clear();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        RETURN_IF_ERROR(ReadQuoted(&field));
      } else {
        const size_t end = text_.find_first_of(",\r\n", pos_);
        const size_t stop = end == absl::string_view::npos ? text_.size() : end;
        field.assign(text_.data() + pos_, stop - pos_);
        pos_ = stop;
      }
      fields->push_back(field);
      if (pos_ >= text_.size()) return pos_ == start;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
      if (c == '\r' || c == '\n') {
        const bool blank = pos_ == start || (c == '\r' && pos_ == start + 1);
        ++pos_;
        ++line_;
        return blank;
      }
    }
  }

  // Reads a quoted field starting at pos_ (on the opening quote).
  absl::Status ReadQuoted(std::string* field) {
    const int open_line = line_;
    ++pos_;
    while (true) {
      const size_t quote = text_.find('"', pos_);
      if (quote == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, " line ", open_line, ": unterminated quoted field"));
      }
      const absl::string_view chunk = text_.substr(pos_, quote - pos_);
      for (char c : chunk) line_ += c == '\n';
      field->append(chunk.data(), chunk.size());
      pos_ = quote + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {  // "" is a literal quote
        field->push_back('"');
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n') {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, " line ", line_, ": unexpected text after a closing quote"));
      }
      return absl::OkStatus();
    }
  }

  absl::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

absl::StatusOr<CsvTable> CsvTable::Load(const std::string& path, const std::string& key_column) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open table ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("cannot read table ", path, ": read error"));
  }
  return Parse(text.str(), path, key_column);
}

absl::StatusOr<CsvTable> CsvTable::Parse(absl::string_view text, const std::string& source,
                                         const std::string& key_column) {
  CsvTable table;
  table.source_ = source;
  table.key_column_ = key_column;
  RecordReader reader(text, source);
  std::vector<std::string> fields;
  int line = 0;
  ASSIGN_OR_RETURN(const bool has_header, reader.Next(&fields, &line));
  if (!has_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": empty file; a header row is required"));
  }
  table.columns_ = fields;
  ASSIGN_OR_RETURN(const int key, table.ColumnIndex(key_column));
  const size_t width = table.columns_.size();
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader.Next(&fields, &line));
    if (!more) break;
    if (fields.size() != width) {
      return absl::InvalidArgumentError(absl::StrCat(source, " line ", line, ": ", fields.size(),
                                                     " fields, the header has ", width));
    }
    const int row = table.NumRows();
    if (fields[key].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, " line ", line, ": empty ", key_column, " (the key column)"));
    }
    auto [it, inserted] = table.row_of_key_.emplace(fields[key], row);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, " line ", line, ": duplicate ", key_column, " ", Quoted(fields[key]),
                       " (first on line ", table.lines_[it->second], ")"));
    }
    table.keys_.push_back(fields[key]);
    table.lines_.push_back(line);
    for (std::string& f : fields) table.cells_.push_back(std::move(f));
  }
  return table;
}

absl::StatusOr<int> CsvTable::ColumnIndex(absl::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(source_, ": unknown column ", Quoted(name),
                                                 "; columns: ", absl::StrJoin(columns_, ", ")));
}

absl::StatusOr<int> CsvTable::RowOf(absl::string_view key) const {
  auto it = row_of_key_.find(key);
  if (it == row_of_key_.end()) {
    return absl::NotFoundError(
        absl::StrCat(source_, ": no row with ", key_column_, " ", Quoted(key)));
  }
  return it->second;
}

const std::string& CsvTable::Cell(int row, int column) const {
  return cells_[static_cast<size_t>(row) * columns_.size() + static_cast<size_t>(column)];
}

absl::StatusOr<double> CsvTable::Number(int row, int column) const {
  const std::string& text = Cell(row, column);
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_, " line ", lines_[row], " (", key_column_, " ", Quoted(keys_[row]), "), column ",
        Quoted(columns_[column]), ": ", Quoted(text), " is not a finite number"));
  }
  return value;
}

absl::StatusOr<double> CsvTable::Value(absl::string_view key, absl::string_view column) const {
  ASSIGN_OR_RETURN(const int col, ColumnIndex(column));
  ASSIGN_OR_RETURN(const int row, RowOf(key));
  return Number(row, col);
}

absl::StatusOr<std::vector<double>> CsvTable::NumericColumn(absl::string_view column) const {
  ASSIGN_OR_RETURN(const int col, ColumnIndex(column));
  std::vector<double> values;
  values.reserve(keys_.size());
  for (int row = 0; row < NumRows(); ++row) {
    ASSIGN_OR_RETURN(const double v, Number(row, col));
    values.push_back(v);
  }
  return values;
}

}  // namespace edgenas
