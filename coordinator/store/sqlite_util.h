// Thin helpers over the sqlite3 C API for the store: result codes turned into
// absl::Status (naming what the statement was for), and an RAII prepared
// statement whose values are always bound, never spliced into SQL text.
#ifndef EDGENAS_COORDINATOR_STORE_SQLITE_UTIL_H_
#define EDGENAS_COORDINATOR_STORE_SQLITE_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgenas {
namespace sqlite {

// Converts a sqlite result code (extended codes welcome) into a status whose
// message names `purpose` and carries sqlite's own message from `db`.
// Constraint violations: UNIQUE/PRIMARY KEY -> ALREADY_EXISTS, FOREIGN KEY ->
// FAILED_PRECONDITION; BUSY/LOCKED -> UNAVAILABLE; CORRUPT/NOTADB -> DATA_LOSS.
absl::Status ToStatus(sqlite3* db, int rc, absl::string_view purpose);

// Runs constant SQL (DDL, pragmas, BEGIN/COMMIT) that binds no values.
absl::Status Exec(sqlite3* db, const char* sql, absl::string_view purpose);

// "INSERT INTO table (columns) VALUES (?1, ...) ON CONFLICT (key) DO UPDATE
// SET c = excluded.c" for every column but `key` and those in `keep`. Names
// are compile-time constants of the caller, never values.
std::string UpsertSql(absl::string_view table, const std::vector<std::string>& columns,
                      absl::string_view key, const std::vector<std::string>& keep = {});

// A prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  // Prepares `sql` on `db`; `purpose` names it in every error it reports.
  static absl::StatusOr<Statement> Prepare(sqlite3* db, const char* sql,
                                           absl::string_view purpose);

  // Wraps a statement owned by a cache (see Store): the destructor resets it
  // and clears its bindings instead of finalizing it.
  static Statement Borrow(sqlite3* db, sqlite3_stmt* stmt, absl::string_view purpose);

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binders copy the value (SQLITE_TRANSIENT). Errors surface at Step/Run.
  Statement& BindText(int index, absl::string_view value);
  // Binds NULL for an empty string (for columns where "" means "none").
  Statement& BindTextOrNull(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindInt64(int index, int64_t value);
  Statement& BindDouble(int index, double value);
  // Binds the serialized message as a blob.
  Statement& BindMessage(int index, const google::protobuf::MessageLite& message);

  // Advances: true when a row is ready, false when done, else the error.
  absl::StatusOr<bool> Step();
  // Calls `on_row` for each row until done or until it fails.
  absl::Status ForEachRow(const std::function<absl::Status()>& on_row);
  // Steps until done, for statements that return no rows.
  absl::Status Run();
  // Rewinds for another run and clears every binding.
  void Reset();

  std::string ColumnText(int col) const;  // "" for NULL
  std::string ColumnBlob(int col) const;
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  // Parses a blob column into `out`; DATA_LOSS naming the column otherwise.
  absl::Status ColumnMessage(int col, google::protobuf::MessageLite* out) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string purpose);
  void Release();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string purpose_;
  int bind_rc_ = 0;  // first failed bind, reported by Step()
  bool owned_ = true;
};

}  // namespace sqlite
}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STORE_SQLITE_UTIL_H_
