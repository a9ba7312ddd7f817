// The Prometheus observer (observe/prometheus.hpp), driven with records as a receiver sends them; the values are read
// back from its text exposition (collect(): the registry, then the histograms), parsed strictly
// (support/prometheus_text.hpp). With cpp-httplib, the
// exposition is also served by examples/common/metrics_server.hpp and scraped over loopback with a real HTTP client,
// and, when promtool is installed, checked by `promtool check metrics`.
#include <prometheus/collectable.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <qurable/webhooks/observe/prometheus.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/prometheus_text.hpp"

#if defined(QURABLE_TEST_HTTPLIB)
#include "../examples/common/metrics_server.hpp"
#endif

namespace qw = qurable::webhooks;
using namespace std::chrono_literals;

namespace {

qurable::test::exposition parse_text(const std::string& text) {
  qurable::test::exposition x;
  const auto problem = qurable::test::parse_exposition(text, x);
  INFO(text);
  REQUIRE_FALSE(problem);
  return x;
}

qurable::test::exposition scrape(const qw::prometheus_observer& metrics) {
  return parse_text(prometheus::TextSerializer().Serialize(metrics.collect()));
}

qw::request_record record(qw::outcome_kind kind, int status, std::string_view type,
                          qw::error_code code = qw::error_code::none) {
  qw::request_record r;
  r.kind = kind;
  r.http_status = status;
  r.event_type = type;
  r.code = code;
  return r;
}

const std::string requests = "qurable_webhooks_requests_total";

std::string request_series(std::string_view type, std::string_view outcome, int status) {
  return requests + "{event_type=\"" + std::string(type) + "\",outcome=\"" + std::string(outcome) + "\",status=\"" +
         std::to_string(status) + "\"}";
}

}  // namespace

TEST_CASE("prometheus: the series that exist from the start are at 0", "[prometheus]") {
  prometheus::Registry registry;
  const qw::prometheus_observer metrics(registry);
  const auto x = scrape(metrics);
  // prometheus-cpp leaves out a family with no series yet: requests and handler times appear with the first request.
  CHECK(x.types.count("qurable_webhooks_requests_total") == 0);
  CHECK(x.types.at("qurable_webhooks_dead_letters_total") == "counter");
  CHECK(x.types.at("qurable_webhooks_parse_seconds") == "histogram");
  CHECK(x.types.at("qurable_webhooks_queue_depth") == "gauge");
  CHECK(x.value("qurable_webhooks_dead_letters_total") == 0);
  CHECK(x.value("qurable_webhooks_duplicates_total") == 0);
  CHECK(x.value("qurable_webhooks_store_errors_total") == 0);
  CHECK(x.value("qurable_webhooks_queue_depth") == 0);
  CHECK(x.value("qurable_webhooks_parse_seconds_count") == 0);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="wrong_type"})") == 0);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="body_too_large"})") == 0);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="unauthorized"})") == 0);
  CHECK_FALSE(x.has(R"(qurable_webhooks_rejections_total{code="handler_failed"})"));  // a 500, not a rejection
  CHECK(x.count(requests) == 0);
}

TEST_CASE("prometheus: exact counts per outcome, event type, status and rejection reason", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  for (int i = 0; i < 3; ++i) metrics.on_request(record(qw::outcome_kind::dispatched, 200, "member-created"));
  metrics.on_request(record(qw::outcome_kind::dispatched, 200, "coupon-code-used"));
  metrics.on_request(record(qw::outcome_kind::unhandled, 200, "some-future-event"));
  metrics.on_request(record(qw::outcome_kind::handler_failed, 500, "member-created", qw::error_code::handler_failed));
  for (int i = 0; i < 2; ++i) {
    metrics.on_request(record(qw::outcome_kind::rejected, 422, "coupon-code-assigned", qw::error_code::wrong_type));
  }
  metrics.on_request(record(qw::outcome_kind::rejected, 400, "", qw::error_code::invalid_json));
  metrics.on_request(record(qw::outcome_kind::unauthorized, 401, ""));
  metrics.on_request(record(qw::outcome_kind::duplicate, 200, "member-created"));
  metrics.on_request(record(qw::outcome_kind::store_unavailable, 503, "member-created"));
  metrics.on_request(record(qw::outcome_kind::dispatched, 299, "member-created"));  // a status with no cache column
  metrics.on_dead_letter({});
  metrics.on_dead_letter({});
  metrics.on_duplicate({"member-created", "ev_1"});
  metrics.on_store_error({"reserve", "down"});
  metrics.on_store_error({"commit", "down"});
  metrics.on_store_error({"release", "down"});
  metrics.on_queue_depth(17, 64);
  metrics.on_queue_depth(5, 64);

  const auto x = scrape(metrics);
  CHECK(x.types.at("qurable_webhooks_requests_total") == "counter");
  CHECK(x.value(request_series("member-created", "dispatched", 200)) == 3);
  CHECK(x.value(request_series("coupon-code-used", "dispatched", 200)) == 1);
  CHECK(x.value(request_series("some-future-event", "unhandled", 200)) == 1);
  CHECK(x.value(request_series("member-created", "handler_failed", 500)) == 1);
  CHECK(x.value(request_series("coupon-code-assigned", "rejected", 422)) == 2);
  CHECK(x.value(request_series("none", "rejected", 400)) == 1);
  CHECK(x.value(request_series("none", "unauthorized", 401)) == 1);
  CHECK(x.value(request_series("member-created", "duplicate", 200)) == 1);
  CHECK(x.value(request_series("member-created", "store_unavailable", 503)) == 1);
  CHECK(x.value(request_series("member-created", "dispatched", 299)) == 1);
  CHECK(x.count(requests) == 10);

  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="wrong_type"})") == 2);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="invalid_json"})") == 1);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="unauthorized"})") == 1);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="missing_field"})") == 0);

  CHECK(x.value("qurable_webhooks_dead_letters_total") == 2);
  CHECK(x.value("qurable_webhooks_duplicates_total") == 1);
  CHECK(x.value("qurable_webhooks_store_errors_total") == 3);
  CHECK(x.value("qurable_webhooks_queue_depth") == 5);
}

TEST_CASE("prometheus: handler and parse histograms count the stages that ran", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  auto fast = record(qw::outcome_kind::dispatched, 200, "member-created");
  fast.add(qw::observe_stage::parse, 20us);   // le 0.000025
  fast.add(qw::observe_stage::handler, 2ms);  // le 0.0025
  auto slow = record(qw::outcome_kind::dispatched, 200, "member-created");
  slow.add(qw::observe_stage::parse, 3ms);                               // le 0.005
  slow.add(qw::observe_stage::handler, 3s);                              // le 5
  const auto refused = record(qw::outcome_kind::unauthorized, 401, "");  // no stage ran
  metrics.on_request(fast);
  metrics.on_request(slow);
  metrics.on_request(refused);

  const auto x = scrape(metrics);
  CHECK(x.types.at("qurable_webhooks_handler_seconds") == "histogram");
  const std::string h = "qurable_webhooks_handler_seconds";
  CHECK(x.value(h + R"(_count{event_type="member-created"})") == 2);
  CHECK(x.value(h + R"(_bucket{event_type="member-created",le="0.001"})") == 0);
  CHECK(x.value(h + R"(_bucket{event_type="member-created",le="0.0025"})") == 1);
  CHECK(x.value(h + R"(_bucket{event_type="member-created",le="2.5"})") == 1);
  CHECK(x.value(h + R"(_bucket{event_type="member-created",le="5"})") == 2);
  CHECK(x.value(h + R"(_sum{event_type="member-created"})") == Approx(3.002));
  CHECK_FALSE(x.has(h + R"(_count{event_type="none"})"));  // the refused request ran no handler
  const std::string p = "qurable_webhooks_parse_seconds";
  CHECK(x.value(p + "_count") == 2);
  CHECK(x.value(p + R"(_bucket{le="2.5e-05"})") == 1);
  CHECK(x.value(p + R"(_bucket{le="0.005"})") == 2);
  CHECK(x.value(p + "_sum") == Approx(0.00302));
}

TEST_CASE("prometheus: histogram buckets as prometheus::Histogram counts them (value <= le), bounds sanitized",
          "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer_options options;
  // Unsorted, a bound twice, NaN and +Inf: kept sorted, once, finite (+Inf is always the last bucket).
  options.parse_buckets = {0.00001, 0.000005, 0.00001, std::nan(""), std::numeric_limits<double>::infinity(), 0.001};
  qw::prometheus_observer metrics(registry, options);
  for (const std::chrono::nanoseconds d : {4999ns, 5000ns, 5001ns, 10000ns, 10001ns, 2000000ns}) {
    auto r = record(qw::outcome_kind::dispatched, 200, "member-created");
    r.add(qw::observe_stage::parse, d);
    metrics.on_request(r);
  }
  const auto x = scrape(metrics);
  const std::string p = "qurable_webhooks_parse_seconds";
  CHECK(x.value(p + R"(_bucket{le="5e-06"})") == 2);  // 4999 ns and exactly 5 us
  CHECK(x.value(p + R"(_bucket{le="1e-05"})") == 4);
  CHECK(x.value(p + R"(_bucket{le="0.001"})") == 5);
  CHECK(x.value(p + R"(_bucket{le="+Inf"})") == 6);
  CHECK(x.count(p + "_bucket") == 4);  // three finite bounds and +Inf
  CHECK(x.value(p + "_count") == 6);
  CHECK(x.value(p + "_sum") == Approx(0.002035001).epsilon(1e-12));  // exact in nanoseconds
}

TEST_CASE("prometheus: the histograms are a Collectable of their own that outlives the observer", "[prometheus]") {
  prometheus::Registry registry;
  std::shared_ptr<prometheus::Collectable> histograms;
  {
    qw::prometheus_observer metrics(registry);
    histograms = metrics.histograms();
    auto r = record(qw::outcome_kind::dispatched, 200, "coupon-code-used");
    r.add(qw::observe_stage::parse, 30us);
    r.add(qw::observe_stage::handler, 3ms);
    metrics.on_request(r);
    // The registry alone has the counters, not the histograms.
    const auto registry_only = parse_text(prometheus::TextSerializer().Serialize(registry.Collect()));
    CHECK(registry_only.value(request_series("coupon-code-used", "dispatched", 200)) == 1);
    CHECK(registry_only.count("qurable_webhooks_parse_seconds_count") == 0);
  }
  // As prometheus-cpp's Exposer would collect it (it holds it weakly; here it is still held).
  const auto x = parse_text(prometheus::TextSerializer().Serialize(histograms->Collect()));
  CHECK(x.types.at("qurable_webhooks_parse_seconds") == "histogram");
  CHECK(x.value("qurable_webhooks_parse_seconds_count") == 1);
  CHECK(x.value(R"(qurable_webhooks_handler_seconds_bucket{event_type="coupon-code-used",le="0.005"})") == 1);
  CHECK(x.value(R"(qurable_webhooks_handler_seconds_sum{event_type="coupon-code-used"})") == Approx(0.003));
  CHECK(x.count("qurable_webhooks_handler_seconds_count") == 1);
}

TEST_CASE("prometheus: event type labels are bounded", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer_options options;
  options.max_extra_event_types = 2;
  qw::prometheus_observer metrics(registry, options);
  for (const char* type : {"future-a", "future-b", "future-c", "future-d", "future-a"}) {
    metrics.on_request(record(qw::outcome_kind::unhandled, 200, type));
  }
  metrics.on_request(record(qw::outcome_kind::unhandled, 200, "has space"));
  metrics.on_request(record(qw::outcome_kind::unhandled, 200, "quote\"d"));
  metrics.on_request(record(qw::outcome_kind::unhandled, 200, std::string(65, 'x')));
  metrics.on_request(record(qw::outcome_kind::dispatched, 200, "member-created"));  // documented types always kept

  const auto x = scrape(metrics);
  CHECK(x.value(request_series("future-a", "unhandled", 200)) == 2);
  CHECK(x.value(request_series("future-b", "unhandled", 200)) == 1);
  CHECK_FALSE(x.has(request_series("future-c", "unhandled", 200)));
  CHECK(x.value(request_series("other", "unhandled", 200)) == 5);  // c, d, and the three unfit names
  CHECK(x.value(request_series("member-created", "dispatched", 200)) == 1);
  CHECK(x.count(requests) == 4);
  CHECK(metrics.event_type_label("future-b") == "future-b");
  CHECK(metrics.event_type_label("future-z") == "other");
  CHECK(metrics.event_type_label("") == "none");
}

TEST_CASE("prometheus: drift series are bounded", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer_options options;
  options.max_drift_series = 2;
  qw::prometheus_observer metrics(registry, options);
  metrics.on_drift({"member-created", "/event/a", qw::json_kind::string, "number", {}});
  metrics.on_drift({"member-created", "/event/a", qw::json_kind::string, "number", {}});
  metrics.on_drift({"coupon-code-used", "/event/b", qw::json_kind::string, "null", {}});
  metrics.on_drift({"coupon-code-used", "/event/c", qw::json_kind::string, "null", {}});  // over the cap
  metrics.on_drift({"member-created", "/event/d", qw::json_kind::string, "null", {}});    // over the cap
  metrics.on_drift(
      {"member-created", "/event/a", qw::json_kind::string, "number", {}});  // existing series still counted

  const auto x = scrape(metrics);
  const std::string d = "qurable_webhooks_drift_total";
  CHECK(x.value(d + R"({event_type="member-created",path="/event/a"})") == 3);
  CHECK(x.value(d + R"({event_type="coupon-code-used",path="/event/b"})") == 1);
  CHECK(x.value(d + R"({event_type="coupon-code-used",path="other"})") == 1);
  CHECK(x.value(d + R"({event_type="member-created",path="other"})") == 1);
  CHECK(x.count(d) == 4);
}

TEST_CASE("prometheus: concurrent requests are all counted", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  constexpr int threads = 4;
  constexpr int per_thread = 5000;  // bounded: 20000 records, well under a second
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&metrics, t] {
      const std::string type = "future-" + std::to_string(t % 2);  // two threads race to add each new type
      for (int i = 0; i < per_thread; ++i) {
        auto r = record(qw::outcome_kind::unhandled, 200, type);
        r.add(qw::observe_stage::handler, 1us);
        metrics.on_request(r);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  const auto x = scrape(metrics);
  CHECK(x.value(request_series("future-0", "unhandled", 200)) == 2 * per_thread);
  CHECK(x.value(request_series("future-1", "unhandled", 200)) == 2 * per_thread);
  CHECK(x.value(R"(qurable_webhooks_handler_seconds_count{event_type="future-0"})") == 2 * per_thread);
  CHECK(x.count(requests) == 2);
}

TEST_CASE("prometheus: through an observer_slot, as a receiver calls it", "[prometheus]") {
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  const qw::observer_slot slot(&metrics);
  std::optional<qw::request_record> storage;
  qw::request_record* rec = slot.record(storage);
  REQUIRE(rec != nullptr);
  rec->kind = qw::outcome_kind::dispatched;
  rec->http_status = 200;
  rec->event_type = "coupon-code-assigned";
  { qw::stage_timer timer(rec, qw::observe_stage::handler); }
  slot.request(rec);
  slot.duplicate({"coupon-code-assigned", "ev_9"});
  const auto x = scrape(metrics);
  CHECK(x.value(request_series("coupon-code-assigned", "dispatched", 200)) == 1);
  CHECK(x.value(R"(qurable_webhooks_handler_seconds_count{event_type="coupon-code-assigned"})") == 1);
  CHECK(x.value("qurable_webhooks_duplicates_total") == 1);
  CHECK(slot.failures() == 0);
}

TEST_CASE("exposition parser: refuses what Prometheus would refuse", "[prometheus][parser]") {
  const auto bad = [](std::string_view text) {
    qurable::test::exposition x;
    return qurable::test::parse_exposition(text, x).has_value();
  };
  CHECK_FALSE(bad("# TYPE a_total counter\na_total 1\n"));
  CHECK(bad("# TYPE a_total counter\na_total 1"));                                 // no final newline
  CHECK(bad("a_total 1\n"));                                                       // no TYPE
  CHECK(bad("# TYPE a_total counter\nb_total 1\n"));                               // another family
  CHECK(bad("# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"1\"} 2\n"));  // twice
  CHECK(bad("# TYPE a_total counter\na_total{x=\"\\q\"} 1\n"));                    // bad escape
  CHECK(bad("# TYPE a_total counter\na_total{1x=\"1\"} 1\n"));                     // bad label name
  CHECK(bad("# TYPE a_total counter\na_total one\n"));                             // bad value
  CHECK(bad("# TYPE a_total counter\na_total -1\n"));                              // negative counter
  CHECK(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
  CHECK(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));
  CHECK_FALSE(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"));
}

#if defined(QURABLE_TEST_HTTPLIB)
TEST_CASE("prometheus: /metrics served over HTTP and scraped on loopback", "[prometheus][http]") {
  prometheus::Registry registry;
  qw::prometheus_observer metrics(registry);
  qurable::examples::metrics_server server(metrics, "127.0.0.1", 0);
  REQUIRE(server.port() > 0);
  for (int i = 0; i < 4; ++i) metrics.on_request(record(qw::outcome_kind::dispatched, 200, "member-created"));
  metrics.on_request(record(qw::outcome_kind::rejected, 422, "member-created", qw::error_code::missing_field));
  metrics.on_dead_letter({});

  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  const auto response = client.Get("/metrics");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  qurable::test::exposition x;
  const auto problem = qurable::test::parse_exposition(response->body, x);
  INFO(response->body);
  REQUIRE_FALSE(problem);
  CHECK(x.value(request_series("member-created", "dispatched", 200)) == 4);
  CHECK(x.value(request_series("member-created", "rejected", 422)) == 1);
  CHECK(x.value(R"(qurable_webhooks_rejections_total{code="missing_field"})") == 1);
  CHECK(x.value("qurable_webhooks_dead_letters_total") == 1);

  // A second scrape sees new values (the text is made per request, not cached).
  metrics.on_request(record(qw::outcome_kind::dispatched, 200, "member-created"));
  const auto again = client.Get("/metrics");
  REQUIRE(again);
  qurable::test::exposition y;
  REQUIRE_FALSE(qurable::test::parse_exposition(again->body, y));
  CHECK(y.value(request_series("member-created", "dispatched", 200)) == 5);

  CHECK(client.Get("/other")->status == 404);

#if defined(QURABLE_PROMTOOL)
  // promtool reads the exposition from stdin; exit status 0 means it parsed and passed its lint.
  CHECK(qurable::test::promtool_check(QURABLE_PROMTOOL, response->body, "prometheus_tests.metrics.txt") == 0);
#endif
}
#endif
