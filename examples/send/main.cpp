// qurable-send: delivers webhook events to an endpoint the way the Qurable platform does: POST, Content-Type
// application/json, Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) signed with the
// endpoint's secret, and retries of every answer that is not 2xx with exponential backoff, a bounded number of times.
// Use it to try your endpoint before the platform does, or in your own end-to-end tests.
//
//   QURABLE_WEBHOOK_SECRET=whsec_... qurable-send --url http://127.0.0.1:8080/webhooks              # the 3 examples
//   QURABLE_WEBHOOK_SECRET=whsec_... qurable-send --url http://127.0.0.1:8080/webhooks captured.json
//
// Each attempt prints one line with its status; exit status 0 when every event was acknowledged (2xx), 1 when one
// was not after the last attempt, 2 for a usage error.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include <qurable/webhooks.hpp>
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>  // the platform's documented example events, sent when no file is given

#include "../common/example_support.hpp"  // log lines, demo handlers, argument helpers

namespace qw = qurable::webhooks;

namespace {

// From examples/common/example_support.hpp.
using qurable_examples::parse_number;
using qurable_examples::secret_env;
using qurable_examples::split_secrets;

struct options {
  std::string url;
  int max_attempts = 5;
  long long initial_backoff_ms = 1000;
  long long max_backoff_ms = 60'000;
  int timeout_s = 10;
  std::vector<std::string> files;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: qurable-send --url URL [--max-attempts N] [--initial-backoff-ms MS] [--max-backoff-ms MS]\n"
               "                    [--timeout-s S] [FILE...]\n"
               "\n"
               "Posts each FILE (its exact bytes), or the platform's three example events when none is given, to URL,\n"
               "signed as the platform signs (Standard Webhooks), and retries every answer that is not 2xx.\n"
               "\n"
               "  --url URL               the endpoint, http://host[:port]/path (https:// when cpp-httplib has TLS)\n"
               "  --max-attempts N        attempts per event, the first included (default 5)\n"
               "  --initial-backoff-ms MS wait before the second attempt; doubles after each (default 1000)\n"
               "  --max-backoff-ms MS     longest wait between attempts, Retry-After included (default 60000)\n"
               "  --timeout-s S           connect and read timeout of each attempt (default 10)\n"
               "\n"
               "environment:\n"
               "  %s  the endpoint's signing secret, whsec_<base64>; with several (separated by\n"
               "                          spaces, while rotating) each delivery carries one signature per secret\n"
               "\n"
               "Exit status: 0 when every event got a 2xx, 1 when one did not after its last attempt, 2 on usage\n"
               "errors.\n",
               secret_env);
}

std::optional<int> parse_arguments(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string_view v;
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--url" && value(v)) {
      o.url = std::string(v);
    } else if (arg == "--max-attempts" && value(v) && parse_number(v, o.max_attempts) && o.max_attempts > 0) {
    } else if (arg == "--initial-backoff-ms" && value(v) && parse_number(v, o.initial_backoff_ms) &&
               o.initial_backoff_ms >= 0) {
    } else if (arg == "--max-backoff-ms" && value(v) && parse_number(v, o.max_backoff_ms) && o.max_backoff_ms >= 0) {
    } else if (arg == "--timeout-s" && value(v) && parse_number(v, o.timeout_s) && o.timeout_s > 0) {
    } else if (!arg.empty() && arg.front() != '-') {
      o.files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "qurable-send: bad or incomplete argument: %s\n\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (o.url.empty()) {
    std::fprintf(stderr, "qurable-send: --url is required\n\n");
    usage(stderr);
    return 2;
  }
  return std::nullopt;
}

// "http://host:port/path?query" → {"http://host:port", "/path?query"}; nothing when it is not http(s).
std::optional<std::pair<std::string, std::string>> split_url(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::size_t path = url.find('/', scheme_end + 3);
  if (path == scheme_end + 3) return std::nullopt;  // no host
  if (path == std::string::npos) return std::pair<std::string, std::string>(url, "/");
  return std::pair<std::string, std::string>(url.substr(0, path), url.substr(path));
}

// One event to deliver: its exact bytes and how to name it in the output.
struct delivery {
  std::string body;
  std::string label;  // "<eventType> <loyaltyEventKey>", or the file's name when it is not a valid event
  std::string id;     // webhook-id: one per event, the same for all its attempts (receivers may dedupe on it)
};

std::string random_id() {
  std::random_device random;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id = "msg_";
  for (int i = 0; i < 24; ++i) id += "0123456789abcdef"[digit(random)];
  return id;
}

std::string label_of(const std::string& body, const std::string& fallback) {
  qw::parser parser;
  const qw::parse_result parsed = parser.parse(body);
  if (!parsed) return fallback + " (not a valid event: " + std::string(qw::to_string(parsed.error().code)) + ")";
  const qw::event_envelope& e = parsed->envelope();
  return std::string(e.event_type) + " " + std::string(e.loyalty_event_key);
}

// webhook-signature for `body`: "v1,<sig>" per secret, space-separated (what a sender does while rotating).
std::optional<std::string> sign(const std::vector<std::string>& secrets, const std::string& id,
                                const std::string& timestamp, const std::string& body) {
  std::string header;
  for (const std::string& secret : secrets) {
    const std::optional<std::string> signature = qw::sign_standard_webhooks(secret, id, timestamp, body);
    if (!signature) return std::nullopt;
    if (!header.empty()) header += ' ';
    header += *signature;
  }
  return header;
}

// Retry-After in seconds (the HTTP-date form is not used by webhook receivers and is ignored).
std::optional<long long> retry_after_seconds(const httplib::Response& response) {
  long long seconds = 0;
  const std::string value = response.get_header_value("Retry-After");
  if (value.empty() || !parse_number(value, seconds) || seconds < 0) return std::nullopt;
  return seconds;
}

// Delivers one event; true when it was acknowledged (2xx).
bool deliver(httplib::Client& client, const std::string& path, const std::vector<std::string>& secrets,
             const delivery& d, const options& o) {
  long long backoff_ms = o.initial_backoff_ms;
  for (int attempt = 1; attempt <= o.max_attempts; ++attempt) {
    const std::string timestamp = std::to_string(static_cast<long long>(std::time(nullptr)));
    const std::optional<std::string> signature = sign(secrets, d.id, timestamp, d.body);
    if (!signature) {
      std::printf("%s: cannot sign (invalid secret or libcrypto failure)\n", d.label.c_str());
      return false;
    }
    const httplib::Headers headers{
        {"webhook-id", d.id}, {"webhook-timestamp", timestamp}, {"webhook-signature", *signature}};
    const httplib::Result result = client.Post(path.c_str(), headers, d.body, "application/json");

    std::string line =
        d.label + " (" + d.id + "): attempt " + std::to_string(attempt) + "/" + std::to_string(o.max_attempts) + " -> ";
    std::optional<long long> retry_after;
    if (result) {
      line += std::to_string(result->status) + " " + result->body;
      if (result->status >= 200 && result->status < 300) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        return true;
      }
      if (result->status == 503 || result->status == 429) retry_after = retry_after_seconds(*result);
    } else {
      line += "no answer (" + httplib::to_string(result.error()) + ")";
    }
    if (attempt == o.max_attempts) {
      std::printf("%s; giving up\n", line.c_str());
      std::fflush(stdout);
      return false;
    }
    // Exponential backoff; a Retry-After the receiver sent is honoured when longer. Capped by --max-backoff-ms.
    long long wait_ms = backoff_ms;
    if (retry_after) wait_ms = std::max(wait_ms, *retry_after * 1000);
    wait_ms = std::min(wait_ms, o.max_backoff_ms);
    std::printf("%s; retrying in %lld ms\n", line.c_str(), wait_ms);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    backoff_ms = std::min(backoff_ms * 2, o.max_backoff_ms);
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const std::optional<int> stop = parse_arguments(argc, argv, o)) return *stop;

  const char* secret_text = std::getenv(secret_env);
  const std::vector<std::string> secrets = split_secrets(secret_text != nullptr ? secret_text : "");
  if (secrets.empty()) {
    std::fprintf(stderr, "qurable-send: set %s to the endpoint's signing secret (whsec_...)\n", secret_env);
    return 2;
  }
  for (const std::string& secret : secrets) {
    if (!qw::sign_standard_webhooks(secret, "msg_check", "0", "")) {
      std::fprintf(stderr, "qurable-send: %s holds an invalid secret (expected whsec_<base64>)\n", secret_env);
      return 2;
    }
  }
  const std::optional<std::pair<std::string, std::string>> url = split_url(o.url);
  if (!url) {
    std::fprintf(stderr, "qurable-send: --url must be http://host[:port]/path or https://...\n");
    return 2;
  }

  std::vector<delivery> deliveries;
  if (o.files.empty()) {
    for (const std::string_view example :
         {qw::testing::examples::member_created, qw::testing::examples::coupon_code_assigned,
          qw::testing::examples::coupon_code_used}) {
      std::string body(example);
      std::string label = label_of(body, "example");
      deliveries.push_back({std::move(body), std::move(label), random_id()});
    }
  }
  for (const std::string& file : o.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "qurable-send: cannot read %s\n", file.c_str());
      return 2;
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string label = label_of(body, file);
    deliveries.push_back({std::move(body), std::move(label), random_id()});
  }

  httplib::Client client(url->first);
  if (!client.is_valid()) {
    std::fprintf(stderr, "qurable-send: cannot use %s (https needs cpp-httplib built with OpenSSL)\n",
                 url->first.c_str());
    return 2;
  }
  client.set_connection_timeout(std::chrono::seconds(o.timeout_s));
  client.set_read_timeout(std::chrono::seconds(o.timeout_s));
  client.set_write_timeout(std::chrono::seconds(o.timeout_s));

  std::size_t delivered = 0;
  for (const delivery& d : deliveries) delivered += deliver(client, url->second, secrets, d, o) ? 1 : 0;
  std::printf("delivered %zu/%zu\n", delivered, deliveries.size());
  return delivered == deliveries.size() ? 0 : 1;
}
