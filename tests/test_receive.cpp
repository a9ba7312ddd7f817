// receive(): every body ends as exactly one outcome with the right HTTP status, and every rejected or failed body
// reaches the dead-letter hook exactly as it was received.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fixtures.hpp"

namespace qw = qurable::webhooks;

namespace {

struct dead_letter_record {
  std::string body;
  const char* data = nullptr;  // where the hook's view pointed
  qw::outcome_kind kind{};
  int http_status = 0;
  qw::error_code code{};
  std::string message;
  std::string path;
};

struct recording_dead_letter {
  std::vector<dead_letter_record>* records;
  void operator()(std::string_view body, const qw::outcome& out) const {
    records->push_back({std::string(body), body.data(), out.kind, out.http_status, out.code, out.message, out.path});
  }
};

auto handle_all() {
  return qw::overloaded{[](const qw::member_created&) {}, [](const qw::coupon_event&) {}};
}

}  // namespace

TEST_CASE("a valid event is dispatched: 200, with its type and key", "[receive]") {
  qw::parser parser;
  std::vector<dead_letter_record> dead;
  struct expected {
    std::string_view file, type, key;
  };
  for (const expected& ex :
       {expected{qtest::member_created_file, "member-created", "ev_01JSKZG24NMDB0RRQHF247NSCX"},
        expected{qtest::coupon_code_assigned_file, "coupon-code-assigned", "ev_01JSG9YM0YZHBS9X3G0VMVMAW6"},
        expected{qtest::coupon_code_used_file, "coupon-code-used", "ev_c11viQYM0YZHBS9X3G0VMVyfMQ"}}) {
    const std::string body = qtest::read_fixture(ex.file);
    int calls = 0;
    const qw::outcome out = qw::receive(
        parser, body,
        qw::overloaded{[&](const qw::member_created&) { ++calls; }, [&](const qw::coupon_event&) { ++calls; }},
        recording_dead_letter{&dead});
    CHECK(calls == 1);
    CHECK(out.kind == qw::outcome_kind::dispatched);
    CHECK(qw::to_string(out.kind) == "dispatched");
    CHECK(out.http_status == 200);
    CHECK(out.acknowledged());
    CHECK(out.code == qw::error_code::none);
    CHECK(out.message.empty());
    CHECK(out.path.empty());
    CHECK(out.event_type == ex.type);
    CHECK(out.loyalty_event_key == ex.key);
  }
  CHECK(dead.empty());  // not called for dispatched events
}

TEST_CASE("an unhandled event is acknowledged and not dead-lettered", "[receive]") {
  qw::parser parser;
  std::vector<dead_letter_record> dead;
  const std::string body = qtest::read_fixture(qtest::coupon_code_used_file);
  const qw::outcome out =
      qw::receive(parser, body, qw::overloaded{[](const qw::member_created&) {}}, recording_dead_letter{&dead});
  CHECK(out.kind == qw::outcome_kind::unhandled);
  CHECK(out.http_status == 200);
  CHECK(out.acknowledged());
  CHECK(out.event_type == "coupon-code-used");
  CHECK(out.loyalty_event_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
  CHECK(dead.empty());
}

TEST_CASE("rejected bodies: status, code, path, and the dead-letter hook gets the exact body", "[receive]") {
  qw::parser_options options;
  options.max_body_size = 4096;
  qw::parser parser(options);
  const std::string member = qtest::read_fixture(qtest::member_created_file);
  struct sample {
    std::string body;
    qw::error_code code;
    int status;
    std::string path;
  };
  const sample samples[] = {
      {"", qw::error_code::empty_body, 400, ""},
      {"  \n", qw::error_code::empty_body, 400, ""},
      {std::string(5000, '{'), qw::error_code::body_too_large, 413, ""},
      {"{\"event\": ", qw::error_code::invalid_json, 400, ""},
      {"{\"event\": {\"eventType\": \"x\"}} {}", qw::error_code::trailing_content, 400, ""},
      {"{\"event\": {\"eventType\": \"\xFF\"}}", qw::error_code::invalid_utf8, 400, ""},
      {"[1, 2]", qw::error_code::not_an_object, 422, ""},
      {"{\"other\": 1}", qw::error_code::missing_event, 422, ""},
      {"{\"event\": {\"status\": \"success\"}}", qw::error_code::missing_event_type, 422, "/event"},
      {qtest::replace_first(member, "\"loyaltyEventKey\": \"ev_01JSKZG24NMDB0RRQHF247NSCX\"", "\"loyaltyEventKey\": 7"),
       qw::error_code::wrong_type, 422, "/event/loyaltyEventKey"},
      {qtest::replace_first(member, "\"loyaltyEventKey\"", "\"loyaltyEventKeys\""), qw::error_code::missing_field, 422,
       "/event/loyaltyEventKey"},
      {std::string("{\"event\": {\"eventType\": \"x\", \"a\": ") + std::string(100, '[') + std::string(100, ']') + "}}",
       qw::error_code::nesting_too_deep, 400, "/event/a/0/0/0"},
  };
  std::vector<dead_letter_record> dead;
  int handler_calls = 0;
  auto visitor = qw::overloaded{[&](const qw::member_created&) { ++handler_calls; },
                                [&](const qw::event_envelope&) { ++handler_calls; }};
  for (const sample& s : samples) {
    INFO(qw::to_string(s.code) << ": " << s.body.substr(0, 80));
    const std::size_t before = dead.size();
    const qw::outcome out = qw::receive(parser, s.body, visitor, recording_dead_letter{&dead});
    CHECK(out.kind == qw::outcome_kind::rejected);
    CHECK(qw::to_string(out.kind) == "rejected");
    CHECK(out.code == s.code);
    CHECK(out.http_status == s.status);
    CHECK(out.http_status == qw::http_status_for(s.code));
    CHECK_FALSE(out.acknowledged());
    if (s.code == qw::error_code::nesting_too_deep) {
      CHECK(out.path.rfind(s.path, 0) == 0);
    } else {
      CHECK(out.path == s.path);
    }
    CHECK_FALSE(out.message.empty());
    CHECK(out.event_type.empty());
    CHECK(out.loyalty_event_key.empty());
    REQUIRE(dead.size() == before + 1);
    const dead_letter_record& d = dead.back();
    CHECK(d.body == s.body);
    CHECK(d.data == s.body.data());  // the caller's bytes, not the parser's padded copy
    CHECK(d.kind == out.kind);
    CHECK(d.http_status == out.http_status);
    CHECK(d.code == out.code);
    CHECK(d.message == out.message);
    CHECK(d.path == out.path);
  }
  CHECK(handler_calls == 0);
}

TEST_CASE("a failed handler is dead-lettered with the body and its message", "[receive]") {
  qw::parser parser;
  const std::string body = qtest::read_fixture(qtest::coupon_code_assigned_file);
  std::vector<dead_letter_record> dead;
  const qw::outcome out = qw::receive(
      parser, body, qw::overloaded{[](const qw::coupon_event&) { return qw::handler_result::failure("no stock"); }},
      recording_dead_letter{&dead});
  CHECK(out.kind == qw::outcome_kind::handler_failed);
  CHECK(qw::to_string(out.kind) == "handler_failed");
  CHECK(out.http_status == 500);
  CHECK_FALSE(out.acknowledged());
  CHECK(out.message == "no stock");
  CHECK(out.event_type == "coupon-code-assigned");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].body == body);
  CHECK(dead[0].kind == qw::outcome_kind::handler_failed);
  CHECK(dead[0].message == "no stock");
}

TEST_CASE("receive() takes every body type parse() takes", "[receive]") {
  qw::parser parser;
  const std::string text = qtest::read_fixture(qtest::member_created_file);
  int calls = 0;
  auto visitor = qw::overloaded{[&](const qw::member_created& e) {
    ++calls;
    CHECK(e.execution_results.ledger_wallet_id.value_or(0) == 16069);
  }};
  std::vector<std::string> seen_bodies;
  auto dead_letter = [&](std::string_view body, const qw::outcome&) { seen_bodies.emplace_back(body); };

  CHECK(qw::receive(parser, text, visitor, dead_letter).kind == qw::outcome_kind::dispatched);
  CHECK(qw::receive(parser, std::string_view(text), visitor, dead_letter).kind == qw::outcome_kind::dispatched);
  const simdjson::padded_string padded(text);
  CHECK(qw::receive(parser, simdjson::padded_string_view(padded), visitor, dead_letter).kind ==
        qw::outcome_kind::dispatched);
  CHECK(qw::receive(parser, text.c_str(), visitor, dead_letter).kind == qw::outcome_kind::dispatched);
  CHECK(calls == 4);
  // Without a dead-letter hook.
  CHECK(qw::receive(parser, text, visitor).kind == qw::outcome_kind::dispatched);
  CHECK(calls == 5);

  // Rejections through each body type reach the hook with the body as given.
  const std::string bad = "{\"event\": 1}";
  qw::receive(parser, bad, visitor, dead_letter);
  qw::receive(parser, std::string_view(bad), visitor, dead_letter);
  const simdjson::padded_string padded_bad(bad);
  qw::receive(parser, simdjson::padded_string_view(padded_bad), visitor, dead_letter);
  qw::receive(parser, "{\"event\": 1}", visitor, dead_letter);
  REQUIRE(seen_bodies.size() == 4);
  for (const std::string& b : seen_bodies) CHECK(b == bad);
}

TEST_CASE("an outcome is a plain value: its strings survive the next parse", "[receive]") {
  qw::parser parser;
  const qw::outcome rejected = qw::receive(parser, std::string("{\"event\": {\"eventType\": 5}}"), handle_all());
  CHECK(rejected.code == qw::error_code::missing_event_type);
  const std::string message = rejected.message;
  const std::string path = rejected.path;
  // The message and path are owned by the outcome, not the parser.
  const std::string body = qtest::read_fixture(qtest::member_created_file);
  CHECK(qw::receive(parser, body, handle_all()).kind == qw::outcome_kind::dispatched);
  CHECK(rejected.message == message);
  CHECK(rejected.path == "/event/eventType");
  CHECK(rejected.path == path);
}

TEST_CASE("a default outcome is not acknowledged", "[receive]") {
  const qw::outcome out;
  CHECK(out.kind == qw::outcome_kind::rejected);
  CHECK(out.http_status == 500);
  CHECK_FALSE(out.acknowledged());
  qw::outcome ok;
  ok.http_status = 204;
  CHECK(ok.acknowledged());
  ok.http_status = 300;
  CHECK_FALSE(ok.acknowledged());
}

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
TEST_CASE("a dead-letter hook that throws is contained: the outcome stays, the message says so", "[receive]") {
  qw::parser p;
  int calls = 0;
  const auto throwing = [&calls](std::string_view, const qw::outcome&) {
    ++calls;
    throw std::runtime_error("disk full");
  };
  const auto visitor = [](const qw::event_envelope&) {};
  const qw::outcome out = qw::receive(p, std::string_view("{"), visitor, throwing);
  CHECK(calls == 1);
  CHECK(out.kind == qw::outcome_kind::rejected);
  CHECK(out.code == qw::error_code::invalid_json);
  CHECK(out.http_status == 400);
  CHECK(out.message.find("the dead-letter hook threw: disk full") != std::string::npos);
}
#endif
