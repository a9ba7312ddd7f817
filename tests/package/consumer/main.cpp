// Parses a delivery body read from the file named by argv[1] (tests/fixtures/member-created.json) and checks that it
// is the member-created event it should be. With QW_WITH_SIGNATURE, also signs and verifies the body through the
// signature component, which has to link OpenSSL's libcrypto. With QW_WITH_REDIS, also asks a Redis store pointed at
// a socket nobody listens on, through the redis component, which has to link hiredis. With QW_WITH_PROMETHEUS, counts
// a request with the prometheus component, which has to link prometheus-cpp. Exits non-zero on any mismatch.
#include <qurable/webhooks.hpp>

#if defined(QW_WITH_REDIS)
#include <qurable/webhooks/idempotency/redis_store.hpp>
#endif

#if defined(QW_WITH_PROMETHEUS)
#include <prometheus/registry.h>
#include <qurable/webhooks/observe/prometheus.hpp>
#endif

#if defined(QW_WITH_SIGNATURE)
#if __has_include(<qurable/webhooks/auth/standard_webhooks.hpp>)
#include <qurable/webhooks/auth/standard_webhooks.hpp>

#include <chrono>
#define QW_HAVE_SIGNATURE_HEADER 1
#else
#include <openssl/crypto.h>
#endif
#endif

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace qw = qurable::webhooks;

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "qw_consumer: %s\n", what);
  return 1;
}

#if defined(QW_WITH_SIGNATURE)
int check_signature(const std::string& body) {
#if defined(QW_HAVE_SIGNATURE_HEADER)
  constexpr std::string_view secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const auto signature = qw::sign_standard_webhooks(secret, "msg_1", "1714000000", body);
  if (!signature) return fail("sign_standard_webhooks failed");
  const qw::standard_webhooks_verifier verifier(secret);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1714000000));
  if (!verifier.verify("msg_1", "1714000000", *signature, body, now)) return fail("the signature did not verify");
  if (verifier.verify("msg_1", "1714000000", *signature, body + " ", now)) return fail("a changed body verified");
  std::printf("signature component: ok\n");
#else
  // <qurable/webhooks/auth/standard_webhooks.hpp> is not there yet: at least prove that libcrypto is linked.
  static_cast<void>(body);
  if (OpenSSL_version(OPENSSL_VERSION) == nullptr) return fail("OpenSSL_version returned null");
  std::printf("signature component: linked (no signature.hpp)\n");
#endif
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: qw_consumer <member-created.json>");
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) return fail("cannot open the fixture");
  const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  qw::parser parser;
  const auto result = parser.parse(body);
  if (!result) return fail("the fixture did not parse");
  if (result->type() != qw::event_type::member_created) return fail("the event type is not member-created");
  if (result->envelope().loyalty_event_key != "ev_01JSKZG24NMDB0RRQHF247NSCX") return fail("wrong loyaltyEventKey");
  if (result->get_if<qw::member_created>() == nullptr) return fail("no member_created view");
  std::printf("qurable_webhooks %s: parsed %s\n", QURABLE_WEBHOOKS_VERSION, qw::to_string(result->type()).data());

#if defined(QW_WITH_SIGNATURE)
  if (const int rc = check_signature(body)) return rc;
#endif
#if defined(QW_WITH_REDIS)
  qw::redis_store_options options;
  options.unix_socket = std::string(argv[1]) + ".no-redis-here.sock";
  qw::redis_store store(options);
  if (store.reserve("ev_1").status != qw::reserve_status::store_error) return fail("reserve without Redis");
  if (store.last_error().empty()) return fail("no last_error() from the Redis store");
  std::printf("redis component: ok (%s)\n", store.last_error().c_str());
#endif
#if defined(QW_WITH_PROMETHEUS)
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  qw::request_record record;
  record.kind = qw::outcome_kind::dispatched;
  record.http_status = 200;
  record.event_type = qw::to_string(result->type());
  metrics.on_request(record);
  double counted = -1;
  for (const auto& family : registry.Collect()) {
    if (family.name != "qurable_webhooks_requests_total") continue;
    for (const auto& metric : family.metric) counted = metric.counter.value;
  }
  if (counted != 1) return fail("qurable_webhooks_requests_total is not 1 after one request");
  std::printf("prometheus component: ok\n");
#endif
  return 0;
}
