// The deployment files agree with the binaries they run: every flag in the
// Kubernetes manifests (args and ConfigMap flagfiles, the TLS overlay
// included), the systemd flagfiles and the container files' CMD is a flag
// of that binary (`--helpfull` of the real build); images name a binary
// with a container file; container ports match --listen/--metrics_listen;
// volume mounts name declared volumes and the database lives on the
// persistent one; Services target declared ports; Prometheus scrapes the
// binaries' default metrics ports.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/dashboards.h"

namespace edgenas::testing {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kBinaries = {"edgenas-coordinator", "edgenas-worker",
                                         "edgenas-agent"};

// Where the binaries are: $EDGENAS_BIN_DIR when it holds them, else beside
// this test (both are build/bin).
std::string BinDir() {
  const char* dir = std::getenv("EDGENAS_BIN_DIR");
  if (dir != nullptr && fs::exists(std::string(dir) + "/edgenas-coordinator")) return dir;
  std::error_code error;
  return fs::read_symlink("/proc/self/exe", error).parent_path().string();
}

// `binary --helpfull`: flag name -> its help entry (with the default).
const std::map<std::string, std::string>& Flags(const std::string& binary) {
  static std::map<std::string, std::map<std::string, std::string>> cache;
  auto it = cache.find(binary);
  if (it != cache.end()) return it->second;
  std::map<std::string, std::string>& flags = cache[binary];
  const std::string command = BinDir() + "/" + binary + " --helpfull 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return flags;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  ::pclose(pipe);
  std::string current;
  for (absl::string_view piece : absl::StrSplit(text, '\n')) {
    const std::string line(piece);
    const size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, 2, "--") == 0) {
      const size_t end = line.find_first_of(" \t", start);
      current = line.substr(start + 2, end == std::string::npos ? std::string::npos : end - start - 2);
      flags[current] = line;
    } else if (!current.empty()) {
      flags[current] += line;
    }
  }
  return flags;
}

// "--name=value" -> {name, value}; {"", ""} for something else.
std::pair<std::string, std::string> SplitFlag(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return {"", ""};
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) return {arg.substr(2), ""};
  return {arg.substr(2, eq - 2), arg.substr(eq + 1)};
}

int PortOf(const std::string& host_port) {
  int port = -1;
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) return -1;
  return port;
}

// The default of a flag from its --helpfull entry (`default: "..."`).
std::string DefaultOf(const std::string& binary, const std::string& flag) {
  const auto& flags = Flags(binary);
  auto it = flags.find(flag);
  if (it == flags.end()) return "";
  static const std::regex kDefault(R"(default: \"([^\"]*)\")");
  std::smatch m;
  return std::regex_search(it->second, m, kDefault) ? m[1].str() : "";
}

void ExpectFlagsExist(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& where) {
  const auto& flags = Flags(binary);
  ASSERT_FALSE(flags.empty()) << binary << " --helpfull printed no flags (is it built in "
                              << BinDir() << "?)";
  for (const std::string& arg : args) {
    const auto [name, value] = SplitFlag(arg);
    ASSERT_FALSE(name.empty()) << where << ": \"" << arg << "\" is not a --flag";
    EXPECT_TRUE(flags.count(name)) << where << ": " << binary << " has no flag --" << name;
  }
}

std::vector<std::string> FlagLines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::string l(absl::StripAsciiWhitespace(line));
    if (!l.empty() && l[0] != '#') out.push_back(l);
  }
  return out;
}

std::vector<YAML::Node> LoadManifests() {
  std::vector<YAML::Node> docs;
  for (const auto& entry : fs::directory_iterator(DeployDir() + "/kubernetes/base")) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "kustomization.yaml") {
      continue;
    }
    for (const YAML::Node& doc : YAML::LoadAllFromFile(entry.path().string())) {
      if (doc && doc["kind"]) docs.push_back(doc);
    }
  }
  return docs;
}

std::string BinaryOfImage(const std::string& image) {
  std::string name = image.substr(image.rfind('/') + 1);
  return name.substr(0, name.find(':'));
}

// Checks one workload (Deployment or StatefulSet); its flags go to *flags_seen.
void CheckWorkload(const YAML::Node& workload, const std::map<std::string, YAML::Node>& config_maps) {
  const std::string where = workload["kind"].as<std::string>() + "/" +
                            workload["metadata"]["name"].as<std::string>();
  const YAML::Node spec = workload["spec"]["template"]["spec"];
  std::map<std::string, YAML::Node> volumes;  // name -> volume
  for (const auto& v : spec["volumes"]) {
    volumes[v["name"].as<std::string>()] = static_cast<const YAML::Node&>(v);
  }
  std::set<std::string> claims;
  for (const auto& c : workload["spec"]["volumeClaimTemplates"]) {
    claims.insert(c["metadata"]["name"].as<std::string>());
  }
  std::set<std::string> mounted;
  for (const auto& container : spec["containers"]) {
    const std::string binary = BinaryOfImage(container["image"].as<std::string>());
    ASSERT_TRUE(kBinaries.count(binary)) << where << ": image of unknown binary " << binary;
    EXPECT_TRUE(fs::exists(DeployDir() + "/docker/" + binary + ".Dockerfile"))
        << where << ": no container file for " << binary;
    // Every mount names a declared volume; remember where each is.
    std::map<std::string, std::string> mount_of;  // mountPath -> volume name
    std::string persistent_path;
    for (const auto& m : container["volumeMounts"]) {
      const std::string name = m["name"].as<std::string>();
      EXPECT_TRUE(volumes.count(name) || claims.count(name))
          << where << ": volumeMount " << name << " names no volume";
      mounted.insert(name);
      mount_of[m["mountPath"].as<std::string>()] = name;
      if (claims.count(name)) persistent_path = m["mountPath"].as<std::string>();
    }
    // Flags: args, then each --flagfile resolved through its ConfigMap.
    std::vector<std::string> args;
    for (const auto& a : container["args"]) args.push_back(a.as<std::string>());
    std::vector<std::string> all = args;
    for (const std::string& arg : args) {
      const auto [name, path] = SplitFlag(arg);
      if (name != "flagfile") continue;
      const std::string dir = fs::path(path).parent_path().string();
      ASSERT_TRUE(mount_of.count(dir)) << where << ": " << path << " is on no mounted volume";
      const YAML::Node volume = volumes[mount_of[dir]];
      ASSERT_TRUE(volume["configMap"]) << where << ": " << path << " is not from a ConfigMap";
      const std::string cm = volume["configMap"]["name"].as<std::string>();
      ASSERT_TRUE(config_maps.count(cm)) << where << ": ConfigMap " << cm << " is not defined";
      const std::string key = fs::path(path).filename().string();
      ASSERT_TRUE(config_maps.at(cm)["data"][key]) << where << ": ConfigMap " << cm
                                                   << " has no key " << key;
      // Every .flags key of the ConfigMap (tls.flags for the overlay too).
      for (const auto& entry : config_maps.at(cm)["data"]) {
        const std::string k = entry.first.as<std::string>();
        if (!absl::EndsWith(k, ".flags")) continue;
        std::vector<std::string> lines = FlagLines(entry.second.as<std::string>());
        ExpectFlagsExist(binary, lines, where + " ConfigMap " + cm + "/" + k);
        if (k == key) all.insert(all.end(), lines.begin(), lines.end());
        // Files the flags name must be on a mounted volume.
        for (const std::string& line : lines) {
          const auto [flag, value] = SplitFlag(line);
          if (absl::EndsWith(flag, "_file") && !value.empty()) {
            EXPECT_TRUE(mount_of.count(fs::path(value).parent_path().string()))
                << where << ": --" << flag << "=" << value << " is on no mounted volume";
          }
        }
      }
    }
    ExpectFlagsExist(binary, all, where);
    // Ports agree with the listening flags.
    std::map<std::string, int> ports;
    for (const auto& p : container["ports"]) {
      ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
    }
    for (const std::string& arg : all) {
      const auto [name, value] = SplitFlag(arg);
      if (name == "listen") EXPECT_EQ(PortOf(value), ports["grpc"]) << where << ": " << arg;
      if (name == "metrics_listen") {
        EXPECT_EQ(PortOf(value), ports["metrics"]) << where << ": " << arg;
        const YAML::Node annotations = workload["spec"]["template"]["metadata"]["annotations"];
        if (annotations && annotations["prometheus.io/port"]) {
          EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(),
                    std::to_string(ports["metrics"]))
              << where;
        }
      }
      // The database and artifacts must survive a pod restart.
      if (name == "db" || name == "artifact_dir") {
        EXPECT_FALSE(persistent_path.empty()) << where << ": --" << name << " without a volume";
        EXPECT_EQ(value.rfind(persistent_path + "/", 0), 0u)
            << where << ": --" << name << "=" << value << " is not on the persistent volume "
            << persistent_path;
      }
    }
  }
  for (const auto& [name, volume] : volumes) {
    EXPECT_TRUE(mounted.count(name)) << where << ": volume " << name << " is never mounted";
  }
}

// Every workload's image, flags, ports and volumes agree with the binaries.
TEST(KubernetesManifests, WorkloadsAgreeWithBinaries) {
  std::map<std::string, YAML::Node> config_maps;
  std::vector<YAML::Node> workloads;
  for (const YAML::Node& doc : LoadManifests()) {
    const std::string kind = doc["kind"].as<std::string>();
    if (kind == "ConfigMap") config_maps[doc["metadata"]["name"].as<std::string>()] = doc;
    if (kind == "Deployment" || kind == "StatefulSet") workloads.push_back(doc);
  }
  ASSERT_GE(workloads.size(), 3u);  // coordinator, CPU workers, GPU workers
  bool stateful_coordinator = false, gpu_request = false;
  for (const YAML::Node& w : workloads) {
    SCOPED_TRACE(w["metadata"]["name"].as<std::string>());
    CheckWorkload(w, config_maps);
    const std::string image = w["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>();
    if (w["kind"].as<std::string>() == "StatefulSet" &&
        BinaryOfImage(image) == "edgenas-coordinator") {
      stateful_coordinator = true;
    }
    const YAML::Node limits = w["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"];
    if (limits && limits["nvidia.com/gpu"]) gpu_request = true;
  }
  EXPECT_TRUE(stateful_coordinator);
  EXPECT_TRUE(gpu_request);
}

// Services select a workload and target ports it declares.
TEST(KubernetesManifests, ServicesTargetDeclaredPorts) {
  std::vector<YAML::Node> docs = LoadManifests();
  int services = 0;
  for (const YAML::Node& service : docs) {
    if (service["kind"].as<std::string>() != "Service") continue;
    ++services;
    bool matched = false;
    for (const YAML::Node& w : docs) {
      const std::string kind = w["kind"].as<std::string>();
      if (kind != "Deployment" && kind != "StatefulSet") continue;
      const YAML::Node labels = w["spec"]["template"]["metadata"]["labels"];
      bool selects = true;
      for (const auto& sel : service["spec"]["selector"]) {
        selects &= labels[sel.first.as<std::string>()] &&
                   labels[sel.first.as<std::string>()].as<std::string>() ==
                       sel.second.as<std::string>();
      }
      if (!selects) continue;
      matched = true;
      std::set<std::string> names;
      for (const auto& p : w["spec"]["template"]["spec"]["containers"][0]["ports"]) {
        names.insert(p["name"].as<std::string>());
      }
      for (const auto& p : service["spec"]["ports"]) {
        EXPECT_TRUE(names.count(p["targetPort"].as<std::string>()))
            << "Service port " << p["name"] << " targets an undeclared port";
      }
    }
    EXPECT_TRUE(matched) << "Service " << service["metadata"]["name"] << " selects nothing";
  }
  EXPECT_GE(services, 1);
}

// The TLS overlay only adds flagfiles that exist in the ConfigMaps.
TEST(KubernetesManifests, TlsOverlayAddsKnownFlagfiles) {
  YAML::Node overlay = YAML::LoadFile(DeployDir() + "/kubernetes/overlays/tls/kustomization.yaml");
  int added = 0;
  for (const auto& patch : overlay["patches"]) {
    for (const auto& op : YAML::Load(patch["patch"].as<std::string>())) {
      if (!op["value"] || !op["value"].IsScalar()) continue;
      const std::string value = op["value"].as<std::string>();
      const auto [name, path] = SplitFlag(value);
      if (name.empty()) continue;
      EXPECT_EQ(name, "flagfile");
      EXPECT_EQ(fs::path(path).filename(), "tls.flags");
      ++added;
    }
  }
  EXPECT_EQ(added, 2);
}

// Container files run a built binary; their CMD flags exist and their
// EXPOSEd ports include the CMD's listening ports.
TEST(ContainerFiles, EntrypointAndCmdAgreeWithBinaries) {
  for (const std::string& binary : kBinaries) {
    SCOPED_TRACE(binary);
    std::ifstream in(DeployDir() + "/docker/" + binary + ".Dockerfile");
    ASSERT_TRUE(in) << "missing container file";
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    EXPECT_THAT(s, ::testing::HasSubstr("FROM debian:"));
    EXPECT_THAT(s, ::testing::HasSubstr("scripts/install_deps.sh"));
    EXPECT_THAT(s, ::testing::HasSubstr("ENTRYPOINT [\"/usr/local/bin/" + binary + "\"]"));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(s, m, std::regex(R"(\nCMD (\[[^\n]*\]))")));
    std::vector<std::string> args;
    for (const auto& a : YAML::Load(m[1].str())) args.push_back(a.as<std::string>());
    ExpectFlagsExist(binary, args, binary + ".Dockerfile CMD");
    ASSERT_TRUE(std::regex_search(s, m, std::regex(R"(\nEXPOSE ([0-9 ]+))")));
    std::set<int> exposed;
    for (absl::string_view p : absl::StrSplit(m[1].str(), ' ', absl::SkipEmpty())) {
      int port;
      if (absl::SimpleAtoi(p, &port)) exposed.insert(port);
    }
    for (const std::string& arg : args) {
      const auto [name, value] = SplitFlag(arg);
      if (name == "listen" || name == "metrics_listen") {
        EXPECT_TRUE(exposed.count(PortOf(value))) << arg << " not EXPOSEd";
      }
    }
  }
}

// systemd units start an existing binary with a flagfile shipped beside
// them, whose flags that binary has.
TEST(SystemdUnits, FlagfilesAgreeWithBinaries) {
  for (const std::string& role : {std::string("agent"), std::string("worker")}) {
    SCOPED_TRACE(role);
    std::ifstream unit(DeployDir() + "/systemd/edgenas-" + role + ".service");
    ASSERT_TRUE(unit);
    std::stringstream text;
    text << unit.rdbuf();
    std::smatch m;
    const std::string s = text.str();
    ASSERT_TRUE(std::regex_search(
        s, m, std::regex(R"(ExecStart=/usr/local/bin/(edgenas-[a-z]+) --flagfile=/etc/edgenas/([a-z]+\.flags))")));
    EXPECT_EQ(m[1].str(), "edgenas-" + role);
    std::ifstream flags(DeployDir() + "/systemd/" + m[2].str());
    ASSERT_TRUE(flags) << "no deploy/systemd/" << m[2].str();
    std::stringstream lines;
    lines << flags.rdbuf();
    ExpectFlagsExist(m[1].str(), FlagLines(lines.str()), m[2].str());
  }
}

// The board examples beside the agent's unit (agent-rpi5.flags,
// agent-jetson.flags, ...) hold only flags edgenas-agent has.
TEST(SystemdUnits, BoardFlagfilesAgreeWithAgent) {
  int boards = 0;
  for (const auto& entry : fs::directory_iterator(DeployDir() + "/systemd")) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, "agent-") || !absl::EndsWith(name, ".flags")) continue;
    SCOPED_TRACE(name);
    ++boards;
    std::ifstream flags(entry.path());
    std::stringstream lines;
    lines << flags.rdbuf();
    const std::vector<std::string> args = FlagLines(lines.str());
    EXPECT_FALSE(args.empty());
    ExpectFlagsExist("edgenas-agent", args, name);
  }
  EXPECT_GE(boards, 2) << "deploy/systemd/agent-rpi5.flags and agent-jetson.flags";
}

// Prometheus scrapes each binary at its default metrics port.
TEST(PrometheusConfig, ScrapesTheBinariesDefaultPorts) {
  YAML::Node config = YAML::LoadFile(DeployDir() + "/prometheus/prometheus.yml");
  std::map<std::string, int> scraped;
  for (const auto& scrape : config["scrape_configs"]) {
    scraped[scrape["job_name"].as<std::string>()] =
        PortOf(scrape["static_configs"][0]["targets"][0].as<std::string>());
  }
  for (const std::string& binary : kBinaries) {
    const std::string default_listen = DefaultOf(binary, "metrics_listen");
    ASSERT_FALSE(default_listen.empty()) << binary << ": no --metrics_listen default";
    EXPECT_EQ(scraped[binary], PortOf(default_listen)) << binary;
  }
}

}  // namespace
}  // namespace edgenas::testing
