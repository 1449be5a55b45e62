#include "tests/deploy/dashboards.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace edgenas::testing {

absl::StatusOr<std::vector<DashboardFile>> LoadDashboards(const std::string& dir) {
  std::vector<DashboardFile> out;
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    DashboardFile file;
    file.path = path;
    auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &file.json);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON: ", parsed.ToString()));
    }
    out.push_back(std::move(file));
  }
  return out;
}

std::vector<PanelQuery> PanelQueries(const DashboardFile& dashboard) {
  std::vector<PanelQuery> out;
  const auto& fields = dashboard.json.fields();
  const std::string title = fields.count("title") ? fields.at("title").string_value() : "";
  if (!fields.count("panels")) return out;
  for (const auto& panel : fields.at("panels").list_value().values()) {
    const auto& p = panel.struct_value().fields();
    if (!p.count("targets")) continue;
    for (const auto& target : p.at("targets").list_value().values()) {
      const auto& t = target.struct_value().fields();
      PanelQuery q;
      q.dashboard = title;
      q.panel_id = p.count("id") ? static_cast<int>(p.at("id").number_value()) : 0;
      q.panel_title = p.count("title") ? p.at("title").string_value() : "";
      q.expr = t.count("expr") ? t.at("expr").string_value() : "";
      out.push_back(std::move(q));
    }
  }
  return out;
}

std::string ExpandVariables(const std::string& expr, const std::string& rate_interval) {
  std::string out;
  for (size_t i = 0; i < expr.size();) {
    if (expr[i] != '$') {
      out.push_back(expr[i++]);
      continue;
    }
    size_t j = i + 1;
    while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
    const std::string name = expr.substr(i + 1, j - i - 1);
    out += (name == "__rate_interval" || name == "__interval") ? rate_interval : ".+";
    i = j;
  }
  return out;
}

std::string DeployDir() { return std::string(EDGENAS_SOURCE_DIR) + "/deploy"; }

}  // namespace edgenas::testing
