// TLS credentials from PEM files: a client trusting the server's CA
// connects; a plaintext client does not; bad flag combinations and files
// are refused naming the flag. Certificates are made with the openssl tool.
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

}  // namespace
}  // namespace edgenas
