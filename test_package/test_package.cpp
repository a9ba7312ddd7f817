// Smallest real use of the package: parse an event from memory (and, with the optional components: sign and verify
// it, ask a Redis store with no Redis, count it as a Prometheus metric). Exits non-zero when anything is off.
#include <qurable/webhooks.hpp>
#if defined(QW_WITH_SIGNATURE) && __has_include(<qurable/webhooks/auth/standard_webhooks.hpp>)
#include <qurable/webhooks/auth/standard_webhooks.hpp>
#define QW_TEST_SIGNATURE 1
#endif
#if defined(QW_WITH_REDIS) && __has_include(<qurable/webhooks/idempotency/redis_store.hpp>)
#include <qurable/webhooks/idempotency/redis_store.hpp>
#define QW_TEST_REDIS 1
#endif
#if defined(QW_WITH_PROMETHEUS)
#include <prometheus/registry.h>
#include <qurable/webhooks/observe/prometheus.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <string>

int main() {
  namespace qw = qurable::webhooks;
  const std::string body = R"({"event":{"eventType":"some-future-event","status":"success",
    "loyaltyEventKey":"ev_test","systemUniqueKey":"00000000-0000-0000-0000-000000000000",
    "createdAt":"2025-04-24T13:23:50.586Z","updatedAt":"2025-04-24T13:23:50.586Z"}})";

  qw::parser parser;
  const auto result = parser.parse(body);
  if (!result || result->type() != qw::event_type::unknown || result->envelope().event_type != "some-future-event") {
    std::fprintf(stderr, "test_package: unexpected parse result\n");
    return 1;
  }

#if defined(QW_TEST_SIGNATURE)
  const char* secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const auto signature = qw::sign_standard_webhooks(secret, "msg_1", "1714000000", body);
  const qw::standard_webhooks_verifier verifier(secret);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1714000000));
  if (!signature || !verifier.verify("msg_1", "1714000000", *signature, body, now)) {
    std::fprintf(stderr, "test_package: the signature round trip failed\n");
    return 1;
  }
#endif

#if defined(QW_TEST_REDIS)
  // No Redis here: the store must answer store_error (the receiver's 503), which also proves hiredis is linked.
  qw::redis_store_options redis;
  redis.unix_socket = "/nonexistent/qurable-test-package.sock";
  qw::redis_store store(redis);
  if (store.reserve("ev_test").status != qw::reserve_status::store_error) {
    std::fprintf(stderr, "test_package: a Redis store without Redis did not report store_error\n");
    return 1;
  }
#endif

#if defined(QW_WITH_PROMETHEUS)
  // One unknown-type request counted: the series exists with the sender's type name and the value 1.
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  qw::request_record record;
  record.kind = qw::outcome_kind::unhandled;
  record.http_status = 200;
  record.event_type = result->envelope().event_type;
  metrics.on_request(record);
  bool counted = false;
  for (const auto& family : registry.Collect()) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        counted = counted || (family.name == "qurable_webhooks_requests_total" && label.value == "some-future-event" &&
                              metric.counter.value == 1);
      }
    }
  }
  if (!counted) {
    std::fprintf(stderr, "test_package: the Prometheus observer did not count the request\n");
    return 1;
  }
#endif

  std::printf("qurable-webhooks %s: ok\n", QURABLE_WEBHOOKS_VERSION);
  return 0;
}
