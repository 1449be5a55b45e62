#include "tests/common/test_pki.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgenas::testing {

bool TestPki::OpensslAvailable() {
  return std::system("openssl version >/dev/null 2>&1") == 0;
}

absl::Status TestPki::Run(const std::string& command) const {
  const std::string log = dir_ + "/openssl.log";
  if (std::system(absl::StrCat(command, " >", log, " 2>&1").c_str()) == 0) {
    return absl::OkStatus();
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return absl::InternalError(absl::StrCat("`", command, "` failed:\n", text.str()));
}

absl::Status TestPki::MakeCa(const std::string& name) {
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=",
      name, " -keyout ", Key(name), " -out ", Cert(name)));
}

absl::Status TestPki::MakeLeaf(const std::string& name, const std::string& ca,
                               const std::string& common_name,
                               const std::vector<std::string>& sans) {
  const std::string csr = dir_ + "/" + name + ".csr";
  const std::string ext = dir_ + "/" + name + ".ext";
  {
    std::ofstream out(ext);
    out << "basicConstraints=CA:FALSE\n"
        << "keyUsage=digitalSignature,keyEncipherment\n"
        << "extendedKeyUsage=serverAuth,clientAuth\n";
    if (!sans.empty()) out << "subjectAltName=" << absl::StrJoin(sans, ",") << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", ext));
  }
  if (absl::Status s = Run(absl::StrCat(
          "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=",
          common_name, "' -keyout ", Key(name), " -out ", csr));
      !s.ok()) {
    return s;
  }
  return Run(absl::StrCat("openssl x509 -req -in ", csr, " -CA ", Cert(ca), " -CAkey ", Key(ca),
                          " -CAcreateserial -CAserial ", dir_, "/", ca, ".srl -days 1 -out ",
                          Cert(name), " -extfile ", ext));
}

}  // namespace edgenas::testing
