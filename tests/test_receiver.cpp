// The framework-agnostic receiver: every check and its status, idempotency around dispatch, the dead-letter hook,
// and concurrent requests from real threads. No HTTP library: the receiver takes method, headers and body.
#include "catch.hpp"
#include "support/threads.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

using qtest::dead_letters;
using qtest::gate;

struct counters {
  std::atomic<int> member{0};
  std::atomic<int> assigned{0};
  std::atomic<int> used{0};
  std::atomic<int> other{0};
  int total() const { return member + assigned + used + other; }
};

auto counting_visitor(counters& c) {
  return qw::overloaded{
      [&c](const qw::member_created&) { ++c.member; },
      [&c](const qw::coupon_code_assigned&) { ++c.assigned; },
      [&c](const qw::coupon_code_used&) { ++c.used; },
      [&c](const qw::event_envelope&) { ++c.other; },
  };
}

// A string member of the response's JSON body ("" when absent); also proves the body is JSON.
std::string body_field(std::string_view body, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(body.data(), body.size(), true).get(root) == simdjson::SUCCESS);
  std::string_view value;
  if (root[name].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

std::optional<std::string_view> find_header(const qw::response& r, std::string_view name) {
  for (const qw::http_header& h : r.headers()) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

// The key each thread is delivering right now; a handler seeing another thread's key would mean a shared parser.
// (At namespace scope: g++ captures a function-local thread_local by reference in a [&] lambda.)
thread_local std::string expected_key;

}  // namespace

TEST_CASE("each documented example is dispatched to its handler and answered 200", "[receiver]") {
  counters c;
  const qw::receiver rx(counting_visitor(c), no_auth);

  const struct {
    std::string_view body;
    std::atomic<int>* counter;
    std::string_view type;
  } cases[] = {
      {qwt::examples::member_created, &c.member, "member-created"},
      {qwt::examples::coupon_code_assigned, &c.assigned, "coupon-code-assigned"},
      {qwt::examples::coupon_code_used, &c.used, "coupon-code-used"},
  };
  for (const auto& k : cases) {
    const int before = *k.counter;
    const qw::response r = rx.handle("POST", qwt::json_headers(), k.body);
    CHECK(r.status() == 200);
    CHECK(r.acknowledged());
    CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
    CHECK(r.content_type() == "application/json");
    CHECK(r.headers().empty());
    CHECK(r.body() == R"({"outcome":"dispatched"})");
    CHECK(r.outcome().event_type == k.type);  // copies that outlive the request's parser
    CHECK_FALSE(r.outcome().loyalty_event_key.empty());
    CHECK(r.outcome().message.empty());
    CHECK(*k.counter == before + 1);
  }
  CHECK(c.total() == 3);
}

TEST_CASE("the handler sees the decoded event", "[receiver]") {
  std::string code;
  std::int64_t amount_used = -1;
  const qw::receiver rx(qw::overloaded{[&](const qw::coupon_code_used& e) {
                          code = std::string(e.execution_results.coupon.code);
                          amount_used = e.execution_results.amount_used;
                        }},
                        no_auth);
  const qw::response r = rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used);
  CHECK(r.status() == 200);
  CHECK(code == "PyMsNLgHR3yfMQAAc11viQ");
  CHECK(amount_used == 1);
  CHECK(r.outcome().loyalty_event_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
}

TEST_CASE("every body type is accepted", "[receiver]") {
  counters c;
  const qw::receiver rx(counting_visitor(c), no_auth);
  const std::string plain(qwt::examples::member_created);
  std::string padded = plain;
  padded.reserve(plain.size() + simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string owned(plain);
  const std::string c_string = plain;

  CHECK(rx.handle("POST", qwt::json_headers(), plain).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), padded).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), std::string_view(plain)).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), owned).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), simdjson::padded_string_view(padded)).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), c_string.c_str()).status() == 200);
  CHECK(c.member == 6);
}

TEST_CASE("an unknown event type is acknowledged: unhandled without a fallback, dispatched with one", "[receiver]") {
  const std::string body = qwt::event_builder(qwt::examples::member_created).event_type("points-earned").body();

  int member = 0;
  const qw::receiver without_fallback(qw::overloaded{[&member](const qw::member_created&) { ++member; }}, no_auth);
  qw::response r = without_fallback.handle("POST", qwt::json_headers(), body);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::unhandled);
  CHECK(r.body() == R"({"outcome":"unhandled"})");
  CHECK(r.outcome().event_type == "points-earned");
  CHECK(member == 0);

  counters c;
  const qw::receiver with_fallback(counting_visitor(c), no_auth);
  r = with_fallback.handle("POST", qwt::json_headers(), body);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
  CHECK(c.other == 1);
}

TEST_CASE("methods other than POST are answered 405 with Allow: POST", "[receiver][checks]") {
  counters c;
  dead_letters dl;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  options.dead_letter_unauthenticated = true;  // so that the hook shows each refusal
  const qw::receiver rx(counting_visitor(c), no_auth, options);

  for (const char* method : {"GET", "PUT", "DELETE", "HEAD", "post", ""}) {
    INFO(method);
    const qw::response r = rx.handle(method, qwt::json_headers(), qwt::examples::member_created);
    CHECK(r.status() == 405);
    CHECK(r.outcome().kind == qw::outcome_kind::method_not_allowed);
    CHECK(find_header(r, "Allow") == std::optional<std::string_view>("POST"));
    CHECK(body_field(r.body(), "outcome") == "method_not_allowed");
  }
  CHECK(c.total() == 0);
  const auto items = dl.items();
  REQUIRE(items.size() == 6);
  CHECK(items[0].kind == qw::outcome_kind::method_not_allowed);
  CHECK(items[0].body == qwt::examples::member_created);
}

TEST_CASE("413 from check_content_length before the body is read, and from the body itself", "[receiver][checks]") {
  counters c;
  dead_letters dl;
  std::atomic<int> auth_calls{0};
  qw::receiver_options options;
  options.parser.max_body_size = 4096;
  options.dead_letter = dl.hook();
  options.dead_letter_unauthenticated = true;  // 413 before authentication: dead-lettered on request only
  const qw::receiver rx(counting_visitor(c),
                        qw::authentication::with([&auth_calls](const qw::header_lookup&, std::string_view) {
                          ++auth_calls;
                          return true;
                        }),
                        options);
  CHECK(rx.max_body_size() == 4096);

  SECTION("declared Content-Length") {
    CHECK_FALSE(rx.check_content_length(std::nullopt));  // chunked: decided when the body is there
    CHECK_FALSE(rx.check_content_length(0));
    CHECK_FALSE(rx.check_content_length(4096));
    const std::optional<qw::response> r = rx.check_content_length(4097);
    REQUIRE(r);
    CHECK(r->status() == 413);
    CHECK(r->outcome().kind == qw::outcome_kind::rejected);
    CHECK(r->outcome().code == qw::error_code::body_too_large);
    CHECK(body_field(r->body(), "code") == "body_too_large");
    CHECK(body_field(r->body(), "outcome") == "rejected");
    REQUIRE(dl.items().size() == 1);
    CHECK(dl.items()[0].body.empty());  // the body was never read
  }

  SECTION("body_too_large(): a chunked body that grew past the limit while it arrived") {
    const qw::response r = rx.body_too_large();
    CHECK(r.status() == 413);
    CHECK(r.outcome().kind == qw::outcome_kind::rejected);
    CHECK(r.outcome().code == qw::error_code::body_too_large);
    CHECK(body_field(r.body(), "code") == "body_too_large");
    CHECK(body_field(r.body(), "message") == "the body is larger than max_body_size");
    CHECK(auth_calls == 0);
    CHECK(c.total() == 0);
    REQUIRE(dl.items().size() == 1);
    CHECK(dl.items()[0].kind == qw::outcome_kind::rejected);
    CHECK(dl.items()[0].body.empty());
  }

  SECTION("the body, checked before Content-Type and authentication") {
    const std::string big =
        qwt::event_builder(qwt::examples::member_created).set("/event/description", std::string(5000, 'x')).body();
    qw::response r = rx.handle("POST", qwt::headers(), big);  // no Content-Type either: size comes first
    CHECK(r.status() == 413);
    CHECK(r.outcome().code == qw::error_code::body_too_large);
    CHECK(body_field(r.body(), "code") == "body_too_large");
    CHECK(auth_calls == 0);
    CHECK(c.total() == 0);

    const std::string fits = qwt::event_builder(qwt::examples::member_created).body();
    REQUIRE(fits.size() <= 4096);
    r = rx.handle("POST", qwt::json_headers(), fits);
    CHECK(r.status() == 200);
    CHECK(auth_calls == 1);
  }
}

TEST_CASE("Content-Type must be application/json; parameters and case do not matter", "[receiver][checks]") {
  counters c;
  std::atomic<int> auth_calls{0};
  const qw::receiver rx(counting_visitor(c),
                        qw::authentication::with([&auth_calls](const qw::header_lookup&, std::string_view) {
                          ++auth_calls;
                          return true;
                        }));

  const char* accepted[] = {"application/json",
                            "Application/JSON",
                            "application/json; charset=utf-8",
                            "application/json;charset=UTF-8",
                            "application/json; charset=\"utf-8\"",
                            " application/json ",
                            "application/json; foo=bar",
                            "application/json;"};
  for (const char* type : accepted) {
    INFO(type);
    const qw::response r = rx.handle("POST", qwt::headers().set("Content-Type", type), qwt::examples::member_created);
    CHECK(r.status() == 200);
  }
  CHECK(c.member == static_cast<int>(std::size(accepted)));
  const int auth_before = auth_calls;

  const char* refused[] = {"text/plain",
                           "application/xml",
                           "application/jsonp",
                           "application/json-patch+json",
                           "application/x-www-form-urlencoded",
                           "application/json; charset=iso-8859-1",
                           "application/json; charset=utf-16",
                           "json",
                           ""};
  for (const char* type : refused) {
    INFO(type);
    const qw::response r = rx.handle("POST", qwt::headers().set("Content-Type", type), qwt::examples::member_created);
    CHECK(r.status() == 415);
    CHECK(r.outcome().kind == qw::outcome_kind::unsupported_media_type);
    CHECK(find_header(r, "Accept") == std::optional<std::string_view>("application/json"));
    CHECK(body_field(r.body(), "outcome") == "unsupported_media_type");
  }
  const qw::response missing = rx.handle("POST", qwt::headers(), qwt::examples::member_created);
  CHECK(missing.status() == 415);
  CHECK(missing.outcome().message == "no Content-Type header");
  CHECK(auth_calls == auth_before);  // refused before authentication
  CHECK(c.member == static_cast<int>(std::size(accepted)));
}

TEST_CASE("authentication failures are 401 'unauthorized'; the reason goes to the dead-letter hook only",
          "[receiver][checks]") {
  counters c;
  dead_letters dl;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  options.dead_letter_unauthenticated = true;  // the reason is visible in the hook only when asked for
  const auto bearer = [](const qw::header_lookup& headers, std::string_view) {
    const std::optional<std::string_view> token = headers("authorization");
    if (!token) return qw::auth_result{false, "missing_header", "no Authorization header"};
    if (*token != "Bearer good") return qw::auth_result{false, "bad_token", "the token does not match"};
    return qw::auth_result{true, "ok", {}};
  };
  const qw::receiver rx(counting_visitor(c), qw::authentication::with(bearer), options);
  CHECK(qw::authentication::with(bearer).verifies());
  CHECK_FALSE(no_auth.verifies());

  qw::response r =
      rx.handle("POST", qwt::json_headers().set("Authorization", "Bearer bad"), qwt::examples::coupon_code_used);
  CHECK(r.status() == 401);
  CHECK(r.outcome().kind == qw::outcome_kind::unauthorized);
  CHECK(r.body() == R"({"outcome":"unauthorized"})");
  CHECK(r.outcome().message == "bad_token: the token does not match");

  r = rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used);
  CHECK(r.status() == 401);
  CHECK(r.body() == R"({"outcome":"unauthorized"})");

  // An unauthenticated body is not even parsed: garbage is 401, not 400.
  r = rx.handle("POST", qwt::json_headers(), std::string_view("{not json"));
  CHECK(r.status() == 401);

  r = rx.handle("POST", qwt::json_headers().set("authorization", "Bearer good"), qwt::examples::coupon_code_used);
  CHECK(r.status() == 200);
  CHECK(c.used == 1);
  CHECK(c.total() == 1);

  const auto items = dl.items();
  REQUIRE(items.size() == 3);
  CHECK(items[0].kind == qw::outcome_kind::unauthorized);
  CHECK(items[0].message == "bad_token: the token does not match");
  CHECK(items[0].body == qwt::examples::coupon_code_used);
  CHECK(items[1].message == "missing_header: no Authorization header");
  CHECK(items[2].body == "{not json");
}

TEST_CASE("a verifier object with verify(headers, body) and one returning bool plug in", "[receiver][checks]") {
  struct body_prefix_verifier {
    std::string prefix;
    bool verify(const qw::header_lookup& headers, std::string_view body) const {
      return headers("x-test") == std::optional<std::string_view>("1") && body.substr(0, prefix.size()) == prefix;
    }
  };
  counters c;
  dead_letters dl;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  options.dead_letter_unauthenticated = true;
  const qw::receiver rx(counting_visitor(c), qw::authentication::with(body_prefix_verifier{"{\n  \"event\""}), options);
  CHECK(rx.handle("POST", qwt::json_headers().set("X-Test", "1"), qwt::examples::member_created).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers().set("X-Test", "2"), qwt::examples::member_created).status() == 401);
  REQUIRE(dl.items().size() == 1);
  CHECK(dl.items()[0].message == "rejected: authentication failed");
}

TEST_CASE("header lookups may return views, strings by value, optionals or pointers", "[receiver][headers]") {
  // A verifier that holds three header values at once, like Standard Webhooks does: values returned by value must
  // all stay alive until the request is done.
  const auto three = [](const qw::header_lookup& headers, std::string_view) {
    const std::optional<std::string_view> a = headers("x-a");
    const std::optional<std::string_view> b = headers("x-b");
    const std::optional<std::string_view> missing = headers("x-missing");
    const std::optional<std::string_view> empty = headers("x-empty");
    return a == std::optional<std::string_view>("first-value-longer-than-sso-buffer") &&
           b == std::optional<std::string_view>("second-value-longer-than-sso-buffer") && !missing && !empty;
  };
  int handled = 0;
  const qw::receiver rx(qw::overloaded{[&handled](const qw::member_created&) { ++handled; }},
                        qw::authentication::with(three));
  const std::map<std::string, std::string> fields = {{"content-type", "application/json"},
                                                     {"x-a", "first-value-longer-than-sso-buffer"},
                                                     {"x-b", "second-value-longer-than-sso-buffer"},
                                                     {"x-empty", ""}};
  const auto body = qwt::examples::member_created;

  // std::string by value (like cpp-httplib's get_header_value): kept alive by the receiver.
  CHECK(rx.handle(
              "POST",
              [&fields](std::string_view name) {
                const auto it = fields.find(std::string(name));
                return it == fields.end() ? std::string() : it->second;
              },
              body)
            .status() == 200);
  // std::optional<std::string> by value.
  CHECK(rx.handle(
              "POST",
              [&fields](std::string_view name) -> std::optional<std::string> {
                const auto it = fields.find(std::string(name));
                if (it == fields.end()) return std::nullopt;
                return it->second;
              },
              body)
            .status() == 200);
  // A C string, null when absent (like civetweb's mg_get_header).
  CHECK(rx.handle(
              "POST",
              [&fields](std::string_view name) -> const char* {
                const auto it = fields.find(std::string(name));
                return it == fields.end() ? nullptr : it->second.c_str();
              },
              body)
            .status() == 200);
  // A pointer to the stored string.
  CHECK(rx.handle(
              "POST",
              [&fields](std::string_view name) -> const std::string* {
                const auto it = fields.find(std::string(name));
                return it == fields.end() ? nullptr : &it->second;
              },
              body)
            .status() == 200);
  // A view, empty when absent.
  CHECK(rx.handle(
              "POST",
              [&fields](std::string_view name) -> std::string_view {
                const auto it = fields.find(std::string(name));
                return it == fields.end() ? std::string_view() : std::string_view(it->second);
              },
              body)
            .status() == 200);
  CHECK(handled == 5);
}

TEST_CASE("bodies that are not JSON are 400, JSON that is not an event is 422, with code and path",
          "[receiver][rejected]") {
  counters c;
  dead_letters dl;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  const qw::receiver rx(counting_visitor(c), no_auth, options);

  SECTION("not JSON") {
    const std::string body = R"({"event": {"eventType": "member-created", )";
    const qw::response r = rx.handle("POST", qwt::json_headers(), body);
    CHECK(r.status() == 400);
    CHECK(r.outcome().kind == qw::outcome_kind::rejected);
    CHECK(body_field(r.body(), "outcome") == "rejected");
    CHECK_FALSE(body_field(r.body(), "code").empty());
    CHECK_FALSE(body_field(r.body(), "message").empty());
    REQUIRE(dl.items().size() == 1);
    CHECK(dl.items()[0].body == body);
    CHECK(dl.items()[0].kind == qw::outcome_kind::rejected);
  }
  SECTION("empty body") {
    const qw::response r = rx.handle("POST", qwt::json_headers(), std::string());
    CHECK(r.status() == 400);
    CHECK(body_field(r.body(), "code") == "empty_body");
  }
  SECTION("a field of the wrong type (loyaltyEventKey routes the event: never read as drift)") {
    const std::string body =
        qwt::event_builder(qwt::examples::coupon_code_used).set("/event/loyaltyEventKey", 1).body();
    const qw::response r = rx.handle("POST", qwt::json_headers(), body);
    CHECK(r.status() == 422);
    CHECK(r.outcome().code == qw::error_code::wrong_type);
    CHECK(body_field(r.body(), "code") == "wrong_type");
    CHECK(body_field(r.body(), "path") == "/event/loyaltyEventKey");
    CHECK(body_field(r.body(), "message") == r.outcome().message);
    REQUIRE(dl.items().size() == 1);
    CHECK(dl.items()[0].code == qw::error_code::wrong_type);
  }
  SECTION("a missing required field") {
    const std::string body =
        qwt::event_builder(qwt::examples::coupon_code_assigned).remove("/event/executionResults/coupon/code").body();
    const qw::response r = rx.handle("POST", qwt::json_headers(), body);
    CHECK(r.status() == 422);
    CHECK(body_field(r.body(), "code") == "missing_field");
    CHECK(body_field(r.body(), "path").rfind("/event/executionResults/coupon", 0) == 0);
  }
  SECTION("no event object") {
    const qw::response r = rx.handle("POST", qwt::json_headers(), std::string_view(R"({"evnt":{}})"));
    CHECK(r.status() == 422);
    CHECK(body_field(r.body(), "code") == "missing_event");
  }
  CHECK(c.total() == 0);
}

TEST_CASE("a failing handler is 500, its retry with the same body succeeds, then it is a duplicate",
          "[receiver][idempotency]") {
  qw::memory_store store;
  dead_letters dl;
  qw::receiver_options options;
  options.idempotency = &store;
  options.dead_letter = dl.hook();
  std::atomic<int> calls{0};
  const qw::receiver rx(qw::overloaded{[&calls](const qw::coupon_code_used&) {
                          return ++calls == 1 ? qw::handler_result::failure("ledger unavailable")
                                              : qw::handler_result::success();
                        }},
                        no_auth, options);
  const std::string body(qwt::examples::coupon_code_used);

  qw::response r = rx.handle("POST", qwt::json_headers(), body);
  CHECK(r.status() == 500);
  CHECK(r.outcome().kind == qw::outcome_kind::handler_failed);
  CHECK(r.outcome().message == "ledger unavailable");
  CHECK(r.body() == R"({"outcome":"handler_failed"})");  // internals stay out of the response
  REQUIRE(dl.items().size() == 1);
  CHECK(dl.items()[0].kind == qw::outcome_kind::handler_failed);
  CHECK(dl.items()[0].message == "ledger unavailable");
  CHECK(dl.items()[0].body == body);

  r = rx.handle("POST", qwt::json_headers(), body);  // the platform's retry: released, so it runs again
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);

  r = rx.handle("POST", qwt::json_headers(), body);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::duplicate);
  CHECK(r.body() == R"({"outcome":"duplicate"})");
  CHECK(r.outcome().loyalty_event_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
  CHECK(calls == 2);
  CHECK(dl.items().size() == 1);  // duplicates are not dead letters
}

TEST_CASE("a throwing handler is a failure too", "[receiver]") {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::atomic<int> calls{0};
  const qw::receiver rx(qw::overloaded{[&calls](const qw::member_created&) {
                          if (++calls == 1) throw std::runtime_error("database down");
                        }},
                        no_auth, options);
  qw::response r = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(r.status() == 500);
  CHECK(r.outcome().message == "database down");
  r = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(r.status() == 200);
  CHECK(calls == 2);
}

TEST_CASE("duplicates are answered 200 without calling the handler again", "[receiver][idempotency]") {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  counters c;
  const qw::receiver rx(counting_visitor(c), no_auth, options);

  SECTION("keyed by loyaltyEventKey: a re-serialized retry is still a duplicate") {
    CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::member_created).outcome().kind ==
          qw::outcome_kind::dispatched);
    const std::string compact = qwt::event_builder(qwt::examples::member_created).body();  // other bytes, same key
    for (int i = 0; i < 5; ++i) {
      const qw::response r =
          rx.handle("POST", qwt::json_headers(), i % 2 ? compact : std::string(qwt::examples::member_created));
      CHECK(r.status() == 200);
      CHECK(r.outcome().kind == qw::outcome_kind::duplicate);
    }
    CHECK(c.member == 1);
    const std::string other = qwt::event_builder(qwt::examples::member_created).loyalty_event_key("ev_other").body();
    CHECK(rx.handle("POST", qwt::json_headers(), other).outcome().kind == qw::outcome_kind::dispatched);
    CHECK(c.member == 2);
  }

  SECTION("an event without loyaltyEventKey falls back to the hash of its bytes") {
    const std::string keyless = qwt::event_builder(qwt::examples::member_created)
                                    .event_type("points-earned")
                                    .remove("/event/loyaltyEventKey")
                                    .body();
    CHECK(rx.handle("POST", qwt::json_headers(), keyless).outcome().kind == qw::outcome_kind::dispatched);
    const qw::response again = rx.handle("POST", qwt::json_headers(), keyless);
    CHECK(again.outcome().kind == qw::outcome_kind::duplicate);
    CHECK(again.outcome().loyalty_event_key.empty());
    CHECK(c.other == 1);
    // Other bytes are another key: the fallback only recognises byte-identical redeliveries.
    const std::string changed = qwt::event_builder(keyless).set("/event/status", "failed").body();
    CHECK(rx.handle("POST", qwt::json_headers(), changed).outcome().kind == qw::outcome_kind::dispatched);
    CHECK(c.other == 2);
    CHECK(store.size() == 2);
  }

  SECTION("rejected bodies never reach the store") {
    const std::string bad = qwt::event_builder(qwt::examples::member_created).set("/event/loyaltyEventKey", 1).body();
    CHECK(rx.handle("POST", qwt::json_headers(), bad).status() == 422);
    CHECK(store.size() == 0);
  }
}

TEST_CASE("a copy delivered while the first is still being handled gets 503 + Retry-After",
          "[receiver][idempotency][threads]") {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  options.retry_after = std::chrono::seconds(7);
  gate entered;
  gate release;
  std::atomic<int> calls{0};
  const qw::receiver rx(qw::overloaded{[&](const qw::member_created&) {
                          ++calls;
                          entered.open();
                          release.wait();
                        }},
                        no_auth, options);

  std::optional<qw::response> first_response;
  std::thread first([&] { first_response = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created); });
  entered.wait();

  const qw::response copy = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(copy.status() == 503);
  CHECK(copy.outcome().kind == qw::outcome_kind::in_flight);
  CHECK(find_header(copy, "Retry-After") == std::optional<std::string_view>("7"));
  CHECK(body_field(copy.body(), "outcome") == "in_flight");
  CHECK_FALSE(copy.acknowledged());

  release.open();
  first.join();
  REQUIRE(first_response);
  CHECK(first_response->status() == 200);
  CHECK(first_response->outcome().kind == qw::outcome_kind::dispatched);

  const qw::response retry = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(retry.status() == 200);
  CHECK(retry.outcome().kind == qw::outcome_kind::duplicate);
  CHECK(calls == 1);
}

TEST_CASE("a store that cannot answer gives 503 + Retry-After and a dead letter", "[receiver][idempotency]") {
  // A memory_store full of in-flight reservations answers store_error: a real outage of the real store.
  qw::memory_store_options store_options;
  store_options.max_entries = 1;
  qw::memory_store store(store_options);
  REQUIRE(store.reserve("ev_someone_else").status == qw::reserve_status::acquired);

  dead_letters dl;
  counters c;
  qw::receiver_options options;
  options.idempotency = &store;
  options.dead_letter = dl.hook();
  const qw::receiver rx(counting_visitor(c), no_auth, options);

  const qw::response r = rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_assigned);
  CHECK(r.status() == 503);
  CHECK(r.outcome().kind == qw::outcome_kind::store_unavailable);
  CHECK(find_header(r, "Retry-After") == std::optional<std::string_view>("30"));  // the default
  CHECK(body_field(r.body(), "outcome") == "store_unavailable");
  CHECK(c.total() == 0);
  REQUIRE(dl.items().size() == 1);
  CHECK(dl.items()[0].kind == qw::outcome_kind::store_unavailable);
}

TEST_CASE("a commit the store refuses keeps the 200 and says why in the message", "[receiver][idempotency]") {
  // The handler outlives its lease and another delivery takes the key over: the first commit is fenced off.
  auto now = std::make_shared<std::atomic<std::int64_t>>(0);
  qw::memory_store_options store_options;
  store_options.lease = std::chrono::seconds(10);
  store_options.clock = [now] { return std::chrono::steady_clock::time_point(std::chrono::seconds(now->load())); };
  qw::memory_store store(store_options);
  qw::receiver_options options;
  options.idempotency = &store;
  std::uint64_t stolen_token = 0;
  const qw::receiver rx(qw::overloaded{[&](const qw::member_created& e) {
                          *now += 11;  // the lease runs out while we work
                          const qw::reserve_result r =
                              store.reserve("member-created:" + std::string(e.envelope.loyalty_event_key));
                          REQUIRE(r.status == qw::reserve_status::acquired);
                          stolen_token = r.token;
                        }},
                        no_auth, options);
  const qw::response r = rx.handle("POST", qwt::json_headers(), qwt::examples::member_created);
  CHECK(r.status() == 200);
  CHECK(r.outcome().kind == qw::outcome_kind::dispatched);
  CHECK(r.outcome().message.find("not_held") != std::string::npos);
  CHECK(store.commit("member-created:ev_01JSKZG24NMDB0RRQHF247NSCX", stolen_token) == qw::store_status::ok);
}

TEST_CASE("the dead-letter hook sees authenticated deliveries that were refused or failed, and nothing else",
          "[receiver][dead_letter]") {
  dead_letters dl;
  qw::memory_store store;
  qw::receiver_options options;
  options.dead_letter = dl.hook();
  options.idempotency = &store;
  bool opt_in = false;
  SECTION("by default: only what passed authentication") {}
  SECTION("dead_letter_unauthenticated: also what was refused before") {
    options.dead_letter_unauthenticated = true;
    opt_in = true;
  }
  const qw::receiver rx(
      qw::overloaded{[](const qw::member_created&) {},
                     [](const qw::coupon_event&) { return qw::handler_result::failure("no coupons today"); }},
      qw::authentication::with([](const qw::header_lookup& h, std::string_view) { return !h("x-deny"); }), options);

  const auto post = [&rx](const qwt::headers& h, std::string_view body) { return rx.handle("POST", h, body).status(); };
  CHECK(post(qwt::json_headers(), qwt::examples::member_created) == 200);  // dispatched
  CHECK(post(qwt::json_headers(), qwt::examples::member_created) == 200);  // duplicate
  CHECK(post(qwt::json_headers(), qwt::event_builder().event_type("x").loyalty_event_key("k").body()) == 200);
  CHECK(post(qwt::json_headers(), qwt::examples::coupon_code_used) == 500);                   // handler_failed
  CHECK(post(qwt::json_headers(), "[]") == 422);                                              // rejected
  CHECK(post(qwt::json_headers().set("x-deny", "1"), qwt::examples::member_created) == 401);  // unauthorized
  CHECK(post(qwt::headers().set("content-type", "text/plain"), qwt::examples::member_created) == 415);
  CHECK(rx.handle("PATCH", qwt::json_headers(), "{}").status() == 405);
  CHECK(post(qwt::json_headers(), std::string(options.parser.max_body_size + 1, ' ')) == 413);
  CHECK(rx.check_content_length(options.parser.max_body_size + 1)->status() == 413);
  CHECK(rx.body_too_large().status() == 413);

  const auto items = dl.items();
  REQUIRE(items.size() == (opt_in ? 8u : 2u));
  CHECK(items[0].kind == qw::outcome_kind::handler_failed);
  CHECK(items[0].body == qwt::examples::coupon_code_used);
  CHECK(items[1].kind == qw::outcome_kind::rejected);
  CHECK(items[1].body == "[]");
  if (opt_in) {
    CHECK(items[2].kind == qw::outcome_kind::unauthorized);
    CHECK(items[3].kind == qw::outcome_kind::unsupported_media_type);
    CHECK(items[4].kind == qw::outcome_kind::method_not_allowed);
    CHECK(items[5].code == qw::error_code::body_too_large);
    CHECK(items[5].body.size() == options.parser.max_body_size + 1);
    CHECK(items[6].code == qw::error_code::body_too_large);
    CHECK(items[6].body.empty());
    CHECK(items[7].code == qw::error_code::body_too_large);
  }
  CHECK(rx.hook_failures() == 0);
}

TEST_CASE("concurrent requests never see each other's event", "[receiver][threads]") {
  constexpr int threads = 8;
  constexpr int per_thread = 400;
  std::atomic<int> mismatches{0};
  std::atomic<int> handled{0};
  const auto check = [&](const qw::event_envelope& e) {
    ++handled;
    if (e.loyalty_event_key != expected_key) ++mismatches;
  };
  const qw::receiver rx(qw::overloaded{[&](const qw::member_created& e) { check(e.envelope); },
                                       [&](const qw::coupon_event& e) { check(e.envelope); }},
                        no_auth);

  std::vector<std::thread> pool;
  std::atomic<int> bad_status{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string_view examples[] = {qwt::examples::member_created, qwt::examples::coupon_code_assigned,
                                           qwt::examples::coupon_code_used};
      for (int i = 0; i < per_thread; ++i) {
        expected_key = "ev_t" + std::to_string(t) + "_" + std::to_string(i);
        const std::string body = qwt::event_builder(examples[i % 3]).loyalty_event_key(expected_key).body();
        const qw::response r = rx.handle("POST", qwt::json_headers(), body);
        if (r.status() != 200 || r.outcome().loyalty_event_key != expected_key) ++bad_status;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(bad_status == 0);
  CHECK(mismatches == 0);
  CHECK(handled == threads * per_thread);
}

TEST_CASE("many threads delivering distinct and duplicate events: each event is handled exactly once",
          "[receiver][idempotency][threads]") {
  constexpr int events = 300;
  constexpr int threads = 8;
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::vector<std::atomic<int>> handled(events);
  const auto index_of = [](std::string_view key) { return std::stoi(std::string(key.substr(3))); };
  const qw::receiver rx(
      qw::overloaded{[&](const qw::member_created& e) { ++handled[index_of(e.envelope.loyalty_event_key)]; },
                     [&](const qw::coupon_event& e) {
                       ++handled[index_of(e.envelope.loyalty_event_key)];
                       std::this_thread::yield();  // widen the in-flight window
                     }},
      no_auth, options);

  std::vector<std::string> bodies;
  const std::string_view examples[] = {qwt::examples::member_created, qwt::examples::coupon_code_assigned,
                                       qwt::examples::coupon_code_used};
  for (int i = 0; i < events; ++i) {
    bodies.push_back(qwt::event_builder(examples[i % 3]).loyalty_event_key("ev_" + std::to_string(i)).body());
  }

  std::atomic<int> dispatched{0}, duplicates{0}, in_flight{0}, other{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<int> order(events);
      for (int i = 0; i < events; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(t)));
      for (int i : order) {
        for (;;) {  // like the platform: retry until acknowledged
          const qw::response r = rx.handle("POST", qwt::json_headers(), bodies[i]);
          if (r.outcome().kind == qw::outcome_kind::dispatched)
            ++dispatched;
          else if (r.outcome().kind == qw::outcome_kind::duplicate)
            ++duplicates;
          else if (r.outcome().kind == qw::outcome_kind::in_flight)
            ++in_flight;
          else
            ++other;
          if (r.acknowledged() || r.outcome().kind != qw::outcome_kind::in_flight) break;
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  int wrong = 0;
  for (const auto& h : handled) wrong += h != 1;
  CHECK(wrong == 0);
  CHECK(dispatched == events);
  CHECK(duplicates == events * (threads - 1));
  CHECK(other == 0);
  CHECK(store.size() == static_cast<std::size_t>(events));
}
