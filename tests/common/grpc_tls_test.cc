// TLS credentials from PEM files: a client trusting the server's CA
// connects; a plaintext client does not; with mutual TLS a certificate from
// another CA is refused; bad flag combinations and files are refused naming
// the flag; the environment fills empty client flags; loopback addresses.
// Certificates are made with the openssl tool.
#include "common/grpc_tls.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/async_generic_service.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_pki.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("tls-test-" + std::to_string(::getpid())))
               .string();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A self-signed certificate for 127.0.0.1; false when openssl is missing.
  bool MakeCertificate() {
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + dir_ + "/tls.key -out " +
        dir_ + "/tls.crt >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }
  bool Connects(int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), credentials, args);
    // A bound on a loopback handshake, not a timing assertion.
    return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  std::string dir_;
};

// Only a client that trusts the server's certificate gets a connection.
TEST_F(GrpcTlsTest, TrustingClientConnectsPlaintextClientDoesNot) {
  if (!MakeCertificate()) GTEST_SKIP() << "the openssl tool is not installed";
  auto server_credentials = ServerCredentials(dir_ + "/tls.crt", dir_ + "/tls.key");
  ASSERT_TRUE(server_credentials.ok()) << server_credentials.status();
  grpc::CallbackGenericService service;  // a server needs one service
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(&service);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", *server_credentials, &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto client = ClientCredentials(dir_ + "/tls.crt");
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE(Connects(port, *client));
  EXPECT_FALSE(Connects(port, grpc::InsecureChannelCredentials()));
  server->Shutdown();
}

// Empty paths mean plaintext; half a key pair or an unreadable or non-PEM
// file is INVALID_ARGUMENT naming the flag.
TEST_F(GrpcTlsTest, RefusesIncompleteOrUnreadableFiles) {
  EXPECT_TRUE(ServerCredentials("", "").ok());
  EXPECT_TRUE(ClientCredentials("").ok());
  auto half = ServerCredentials(dir_ + "/tls.crt", "");
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = ClientCredentials(dir_ + "/nope.crt");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("--tls_ca_file"));
  std::ofstream(dir_ + "/junk.crt") << "not a certificate\n";
  auto junk = ClientCredentials(dir_ + "/junk.crt");
  ASSERT_FALSE(junk.ok());
  EXPECT_THAT(std::string(junk.status().message()), HasSubstr("no PEM block"));
}

// Mutual TLS: a client certificate from the trusted CA or none at all
// connects (services decide about certificate-less callers); one from
// another CA fails the handshake.
TEST_F(GrpcTlsTest, MutualTlsRefusesCertificatesFromAnotherCa) {
  if (!testing::TestPki::OpensslAvailable()) GTEST_SKIP() << "the openssl tool is not installed";
  testing::TestPki pki(dir_);
  ASSERT_TRUE(pki.MakeCa("ca").ok());
  ASSERT_TRUE(pki.MakeCa("other-ca").ok());
  ASSERT_TRUE(pki.MakeLeaf("server", "ca", "localhost", {"DNS:localhost", "IP:127.0.0.1"}).ok());
  ASSERT_TRUE(pki.MakeLeaf("client", "ca", "worker", {}).ok());
  ASSERT_TRUE(pki.MakeLeaf("stranger", "other-ca", "worker", {}).ok());
  auto server_credentials = ServerCredentials(pki.Cert("server"), pki.Key("server"), pki.Cert("ca"));
  ASSERT_TRUE(server_credentials.ok()) << server_credentials.status();
  grpc::CallbackGenericService service;
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(&service);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", *server_credentials, &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto with = [&](const std::string& name) {
    auto credentials = ClientCredentials(ClientTlsFiles{
        pki.Cert("ca"), name.empty() ? "" : pki.Cert(name), name.empty() ? "" : pki.Key(name)});
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return *credentials;
  };
  EXPECT_TRUE(Connects(port, with("client")));
  EXPECT_TRUE(Connects(port, with("")));
  EXPECT_FALSE(Connects(port, with("stranger")));
  server->Shutdown();
}

// A client certificate needs its key and a CA; a client CA needs a server
// certificate. Each refusal names the flag.
TEST_F(GrpcTlsTest, RefusesIncompleteClientCertificateSettings) {
  std::ofstream(dir_ + "/a.pem") << "-----BEGIN CERTIFICATE-----\n";
  auto no_key = ClientCredentials(ClientTlsFiles{dir_ + "/a.pem", dir_ + "/a.pem", ""});
  EXPECT_THAT(std::string(no_key.status().message()), HasSubstr("--tls_key_file"));
  auto no_ca = ClientCredentials(ClientTlsFiles{"", dir_ + "/a.pem", dir_ + "/a.pem"});
  EXPECT_THAT(std::string(no_ca.status().message()), HasSubstr("--tls_ca_file"));
  auto missing_cert =
      ClientCredentials(ClientTlsFiles{dir_ + "/a.pem", dir_ + "/nope.pem", dir_ + "/a.pem"});
  EXPECT_THAT(std::string(missing_cert.status().message()), HasSubstr("--tls_cert_file"));
  auto client_ca_alone = ServerCredentials("", "", dir_ + "/a.pem");
  EXPECT_THAT(std::string(client_ca_alone.status().message()), HasSubstr("--tls_client_ca_file"));
  auto missing_client_ca = ServerCredentials(dir_ + "/a.pem", dir_ + "/a.pem", dir_ + "/nope.pem");
  EXPECT_THAT(std::string(missing_client_ca.status().message()),
              HasSubstr("--tls_client_ca_file"));
}

TEST(FlagOrEnvTest, FlagWinsThenEnvironment) {
  ::setenv("EDGENAS_TEST_FLAG_OR_ENV", "/from/env", 1);
  EXPECT_EQ(FlagOrEnv("/from/flag", "EDGENAS_TEST_FLAG_OR_ENV"), "/from/flag");
  EXPECT_EQ(FlagOrEnv("", "EDGENAS_TEST_FLAG_OR_ENV"), "/from/env");
  ::unsetenv("EDGENAS_TEST_FLAG_OR_ENV");
  EXPECT_EQ(FlagOrEnv("", "EDGENAS_TEST_FLAG_OR_ENV"), "");
  ::setenv(kTlsCaFileEnv, "ca.pem", 1);
  ::setenv(kTlsCertFileEnv, "cert.pem", 1);
  ::setenv(kTlsKeyFileEnv, "key.pem", 1);
  ClientTlsFiles files = ClientTlsFilesFromFlagsOrEnv("", "mine.pem", "");
  EXPECT_EQ(files.ca_file, "ca.pem");
  EXPECT_EQ(files.cert_file, "mine.pem");
  EXPECT_EQ(files.key_file, "key.pem");
  for (const char* name : {kTlsCaFileEnv, kTlsCertFileEnv, kTlsKeyFileEnv}) ::unsetenv(name);
}

TEST(IsLoopbackListenAddressTest, OnlyLoopbackAddressesAndUnixSockets) {
  for (const char* address : {"127.0.0.1:50051", "127.1.2.3:0", "localhost:50051",
                              "LOCALHOST:1", "[::1]:50051", "unix:/run/edgenas.sock"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(address)) << address;
  }
  for (const char* address : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:50051",
                              "coordinator.lab:50051", "127.0.0.1.example.com:1", "[::1:50051",
                              "128.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(address)) << address;
  }
}

}  // namespace
}  // namespace edgenas
