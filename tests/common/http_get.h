// A minimal blocking HTTP/1.0 GET client for tests: scraping /metrics and
// querying a local Prometheus server on loopback.
#ifndef EDGENAS_TESTS_COMMON_HTTP_GET_H_
#define EDGENAS_TESTS_COMMON_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace edgenas::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:<port><path>; `path` must already be URL-encoded.
// UNAVAILABLE when the connection fails; the whole response is read (the
// server closes the connection after an HTTP/1.0 reply).
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path);

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(const std::string& text);

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_COMMON_HTTP_GET_H_
