// Bodies that are not acceptable events: each class is rejected with its code, its HTTP status and, where there is
// one, the JSON Pointer of the offending value; none of them crashes or reads outside the body.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

namespace qw = qurable::webhooks;

namespace {

struct rejection {
  qw::error_code code;
  int status;
  std::string path;
  std::string message;
};

// Parses `body` from a heap buffer of exactly size + SIMDJSON_PADDING bytes (so AddressSanitizer sees any read past
// the padding) and returns why it was rejected; fails the test when it was accepted.
rejection reject(qw::parser& parser, std::string_view body) {
  const std::size_t capacity = body.size() + simdjson::SIMDJSON_PADDING;
  std::unique_ptr<char[]> buffer(new char[capacity]);
  if (!body.empty()) std::memcpy(buffer.get(), body.data(), body.size());
  std::memset(buffer.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  const qw::parse_result r = parser.parse(simdjson::padded_string_view(buffer.get(), body.size(), capacity));
  if (r) FAIL("accepted: " << body.substr(0, 500));
  return {r.error().code, qw::http_status_for(r.error().code), std::string(r.error().path),
          std::string(r.error().message)};
}

rejection reject(std::string_view body) {
  qw::parser parser;
  return reject(parser, body);
}

std::string fixture(std::string_view file = qtest::member_created_file) { return qtest::read_fixture(file); }

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "{}";
  return s + std::string(depth, '}');
}

}  // namespace

TEST_CASE("error codes have stable names and HTTP statuses", "[bad-input]") {
  struct row {
    qw::error_code code;
    std::string_view name;
    int status;
  };
  const row rows[] = {
      {qw::error_code::none, "none", 200},
      {qw::error_code::empty_body, "empty_body", 400},
      {qw::error_code::body_too_large, "body_too_large", 413},
      {qw::error_code::invalid_utf8, "invalid_utf8", 400},
      {qw::error_code::invalid_json, "invalid_json", 400},
      {qw::error_code::trailing_content, "trailing_content", 400},
      {qw::error_code::nesting_too_deep, "nesting_too_deep", 400},
      {qw::error_code::not_an_object, "not_an_object", 422},
      {qw::error_code::missing_event, "missing_event", 422},
      {qw::error_code::missing_event_type, "missing_event_type", 422},
      {qw::error_code::missing_field, "missing_field", 422},
      {qw::error_code::wrong_type, "wrong_type", 422},
      {qw::error_code::invalid_timestamp, "invalid_timestamp", 422},
      {qw::error_code::handler_failed, "handler_failed", 500},
      {qw::error_code::internal, "internal", 500},
  };
  for (const row& r : rows) {
    INFO(r.name);
    CHECK(qw::to_string(r.code) == r.name);
    CHECK(qw::http_status_for(r.code) == r.status);
  }
  static_assert(qw::http_status_for(qw::error_code::body_too_large) == 413);
}

TEST_CASE("an empty or blank body is empty_body", "[bad-input]") {
  for (std::string_view body :
       {std::string_view(""), std::string_view(" "), std::string_view("\n"), std::string_view(" \t\r\n \n\t")}) {
    const rejection r = reject(body);
    CHECK(r.code == qw::error_code::empty_body);
    CHECK(r.status == 400);
    CHECK(r.path.empty());
    CHECK_FALSE(r.message.empty());
  }
  qw::parser parser;
  CHECK(parser.parse("").error().code == qw::error_code::empty_body);
  const std::string empty;
  CHECK(parser.parse(empty).error().code == qw::error_code::empty_body);
  CHECK(parser.parse(std::string_view()).error().code == qw::error_code::empty_body);
  CHECK(parser.parse(nullptr, 0, 0).error().code == qw::error_code::empty_body);
}

TEST_CASE("a body that is not JSON is invalid_json (400)", "[bad-input]") {
  for (std::string_view body : {"hello",
                                "<event/>",
                                "{'event': {}}",
                                "event=member-created&x=1",
                                "{event: {}}",
                                "{\"event\" {}}",
                                "{\"event\": {\"eventType\": \"x\",}}",
                                "{\"event\": {\"eventType\" \"x\"}}",
                                "{,}",
                                "}",
                                "]",
                                "{\"event\": {\"eventType\": \"x\", \"a\": [}}",
                                "\"unterminated",
                                "{\"a\":\"\\x\"}",
                                "{\"a\":\"\\u12\"}",
                                "{\"a\":\"\\ud800\"}",
                                "{\"a\":01}",
                                "{\"a\":1.}",
                                "{\"a\":.5}",
                                "{\"a\":-}",
                                "{\"a\":NaN}",
                                "{\"a\":tru}",
                                "{\"a\":nul}",
                                "{\"a\":True}",
                                "{\"a\" : 'x'}",
                                "/* c */ {}"}) {
    INFO(body);
    const rejection r = reject(body);
    CHECK(r.code == qw::error_code::invalid_json);
    CHECK(r.status == 400);
    CHECK_FALSE(r.message.empty());
  }
}

TEST_CASE("a body that is both malformed and of the wrong shape is invalid_json (400)", "[bad-input]") {
  // Decoding stops at the first shape problem; the syntax error further on still decides the status.
  const std::string member = fixture();
  const std::string samples[] = {
      "{\"event\": [}",
      "{\"event\": {\"eventType\": [}}",
      "{\"event\": {\"x\": [}}",
      "{\"event\": 5, \"x\": tru}",
      "{\"no_event\": 1, \"x\": [1,]}",
      qtest::replace_first(qtest::replace_first(member, "\"status\": \"success\"", "\"status\": 5"), "\"tags\": null",
                           "\"tags\": 01"),
      qtest::replace_first(qtest::replace_first(member, "\"loyaltyEventKey\"", "\"renamedKey\""), "\"tags\": null",
                           "\"tags\": {\"a\" 1}"),
      qtest::replace_first(member, "\"active\": true", "\"active\": tru"),
      qtest::replace_first(member, "\"ledgerWalletId\": 16069", "\"ledgerWalletId\": 0x10"),
  };
  qw::parser parser;
  for (const std::string& body : samples) {
    INFO(body.substr(0, 200));
    const rejection r = reject(parser, body);
    CHECK(r.code == qw::error_code::invalid_json);
    CHECK(r.status == 400);
  }
  // The same shape problems in a well-formed body stay 422, with their path (a required member: for any parser).
  qw::parser_options strict_options;
  strict_options.strict = true;
  qw::parser strict(strict_options);
  const rejection shape = reject(strict, qtest::replace_first(member, "\"status\": \"success\"", "\"status\": 5"));
  CHECK(shape.code == qw::error_code::wrong_type);
  CHECK(shape.path == "/event/status");
  CHECK(shape.message == "expected a string");
}

TEST_CASE("every truncation of the examples is rejected cleanly", "[bad-input][truncated]") {
  qw::parser parser;
  std::size_t prefixes = 0;
  for (std::string_view file : qtest::all_fixture_files) {
    const std::string body = fixture(file);
    const std::size_t end = body.rfind('}');
    REQUIRE(end != std::string::npos);
    // Every prefix that ends before the final closing brace, through the zero-copy path (exact padding) and the
    // copying path; the parser is reused across all of them.
    for (std::size_t n = 0; n <= end; ++n) {
      const std::string_view prefix(body.data(), n);
      INFO(file << " cut at " << n << ": ..." << prefix.substr(n > 60 ? n - 60 : 0));
      const rejection r = reject(parser, prefix);
      const bool blank = prefix.find_first_not_of(" \t\r\n") == std::string_view::npos;
      CHECK(r.code == (blank ? qw::error_code::empty_body : qw::error_code::invalid_json));
      CHECK(r.status == 400);
      const qw::parse_result copied = parser.parse(prefix);
      CHECK_FALSE(copied);
      CHECK(copied.error().code == r.code);
      ++prefixes;
    }
    // And the whole body still parses with the same parser afterwards.
    CHECK(parser.parse(body));
    CHECK(parser.parse(std::string_view(body.data(), end + 1)));
  }
  CHECK(prefixes > 5000);
}

TEST_CASE("content after the top-level object is rejected (400)", "[bad-input]") {
  const std::string body = fixture();
  SECTION("a second JSON value is trailing_content") {
    for (std::string_view tail : {" {}", "{\"event\": {\"eventType\": \"x\"}}", "\n}", "}"}) {
      INFO(tail);
      const rejection r = reject(body + std::string(tail));
      CHECK(r.code == qw::error_code::trailing_content);
      CHECK(r.status == 400);
    }
  }
  SECTION("any other trailing text is trailing_content too") {
    // simdjson reports these as an unterminated root object; the parser tells them apart from a truncated body.
    for (std::string_view tail : {"x", " 1", " []", ",", " null", "\"s\"", "]", " tru", "\"{\"", " // c"}) {
      INFO(tail);
      const rejection r = reject(body + std::string(tail));
      CHECK(r.code == qw::error_code::trailing_content);
      CHECK(r.message == "unexpected content after the JSON document");
      CHECK(r.status == 400);
    }
  }
  SECTION("a truncated body is invalid_json, not trailing_content") {
    for (std::string_view tail : {"\"s", "{", "[\"}\""}) {
      INFO(tail);
      const rejection r = reject(body.substr(0, body.rfind('}')) + std::string(tail));
      CHECK(r.code == qw::error_code::invalid_json);
      CHECK(r.status == 400);
    }
  }
  SECTION("mismatched brackets before the text are invalid_json, not trailing_content") {
    for (std::string_view mismatched : {R"({"a":[1}]}x)", R"({"a":{"b":1]}} 1)", R"([{]} x)", R"({]x)"}) {
      INFO(mismatched);
      const rejection r = reject(mismatched);
      CHECK(r.code == qw::error_code::invalid_json);
      CHECK(r.status == 400);
    }
  }
  SECTION("trailing whitespace is fine") {
    qw::parser parser;
    const std::string padded_with_space = body + " \n\r\t\n";
    CHECK(parser.parse(padded_with_space));
  }
}

TEST_CASE("a body that is not UTF-8 is invalid_utf8 (400)", "[bad-input][utf8]") {
  const std::string body = fixture();
  const std::string_view bad[] = {
      "\xC3\x28",        "\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xF0\x9F\x98", "\x80", "\xF8\x88\x80\x80\x80",
      "\xF4\x90\x80\x80"};
  for (std::string_view bytes : bad) {
    INFO("bytes " << bytes.size());
    // In a decoded string, in a key, in an unknown member, in a free-form value.
    for (const auto& [anchor, replacement] : std::vector<std::pair<std::string, std::string>>{
             {"\"John\"", "\"Jo" + std::string(bytes) + "hn\""},
             {"\"lastName\"", "\"last" + std::string(bytes) + "Name\""},
             {"\"status\"", "\"x\": \"" + std::string(bytes) + "\", \"status\""},
             {"\"tags\": null", "\"tags\": [\"" + std::string(bytes) + "\"]"}}) {
      const rejection r = reject(qtest::replace_first(body, anchor, replacement));
      CHECK(r.code == qw::error_code::invalid_utf8);
      CHECK(r.status == 400);
    }
  }
  // Valid multi-byte UTF-8 at the same places is accepted.
  qw::parser parser;
  const std::string ok = qtest::replace_first(body, "\"John\"", "\"Jo\xC3\xA3o \xF0\x9F\x98\x80\"");
  CHECK(parser.parse(ok));
}

TEST_CASE("NUL bytes are rejected inside and outside strings", "[bad-input][nul]") {
  const std::string body = fixture();
  const std::string nul(1, '\0');
  const std::string variants[] = {
      qtest::replace_first(body, "\"John\"", "\"Jo" + nul + "hn\""),                // raw NUL inside a decoded string
      qtest::replace_first(body, "\"tags\": null", "\"tags\": \"a" + nul + "\""),   // inside a free-form string
      qtest::replace_first(body, "\"status\"", "\"st" + nul + "atus\""),            // inside a key
      qtest::replace_first(body, "\"status\":", nul + "\"status\":"),               // between tokens
      qtest::replace_first(body, "\"status\": \"success\"", "\"status\": " + nul),  // as a value
      nul + body,                                                                   // before the body
      body + nul,                                                                   // after the body
      nul,
      nul + nul + nul,
  };
  qw::parser parser;
  for (const std::string& v : variants) {
    INFO("NUL at " << v.find('\0'));
    const rejection r = reject(parser, v);
    CHECK((r.code == qw::error_code::invalid_json || r.code == qw::error_code::trailing_content));
    CHECK(r.status == 400);
    // The copying path (std::string_view) agrees.
    CHECK(parser.parse(std::string_view(v)).error().code == r.code);
  }
  // An escaped NUL is a valid JSON string.
  const std::string escaped_nul = qtest::replace_first(body, "\"John\"", "\"Jo\\u0000hn\"");
  CHECK(parser.parse(escaped_nul));
}

TEST_CASE("a top level that is not an object is not_an_object (422)", "[bad-input]") {
  const std::string body = fixture();
  for (const std::string& top : {std::string("[]"), "[" + body + "]", std::string("\"member-created\""),
                                 std::string("42"), std::string("-1.5e3"), std::string("null"), std::string("true"),
                                 std::string("false"), std::string(" [1, [2, {\"a\": null}]] ")}) {
    INFO(top.substr(0, 80));
    const rejection r = reject(top);
    CHECK(r.code == qw::error_code::not_an_object);
    CHECK(r.status == 422);
    CHECK(r.path.empty());
  }
  // A top level that is not even valid JSON says so instead.
  for (std::string_view top : {"[1,]", "nul", "tru", "\"abc", "[1 2]", "01", "[\"a\":1]"}) {
    INFO(top);
    const rejection r = reject(top);
    CHECK(r.code == qw::error_code::invalid_json);
    CHECK(r.status == 400);
  }
  // The same code and text with simdjson 3.0.1 (found after the value) and 4.x (its TRAILING_CONTENT, for "a" "b").
  for (std::string_view top : {"[] []", "[1] x", "\"a\" \"b\"", "{\"event\": {}} {}", "{} x"}) {
    INFO(top);
    const rejection r = reject(top);
    CHECK(r.code == qw::error_code::trailing_content);
    CHECK(r.message == "unexpected content after the JSON document");
    CHECK(r.status == 400);
  }
  // simdjson 3.0.1 reads a number or an atom at the root up to the end of the body: what follows makes it malformed.
  for (std::string_view top : {"1 2", "null null", "true x"}) {
    INFO(top);
    const rejection r = reject(top);
    CHECK((r.code == qw::error_code::trailing_content || r.code == qw::error_code::invalid_json));
    CHECK(r.status == 400);
  }
}

TEST_CASE("a missing or non-object \"event\" is missing_event (422)", "[bad-input]") {
  for (std::string_view body : {"{}", "{\"events\": {\"eventType\": \"x\"}}", "{\"Event\": {\"eventType\": \"x\"}}",
                                "{\"data\": {\"event\": {\"eventType\": \"x\"}}}"}) {
    INFO(body);
    const rejection r = reject(body);
    CHECK(r.code == qw::error_code::missing_event);
    CHECK(r.status == 422);
    CHECK(r.path.empty());
  }
  for (std::string_view value : {"[]", "[{\"eventType\": \"x\"}]", "\"member-created\"", "5", "null", "true"}) {
    INFO(value);
    const rejection r = reject("{\"event\": " + std::string(value) + "}");
    CHECK(r.code == qw::error_code::missing_event);
    CHECK(r.status == 422);
    CHECK(r.path == "/event");
  }
}

TEST_CASE("a missing or non-string eventType is missing_event_type (422)", "[bad-input]") {
  SECTION("missing") {
    for (const std::string& body :
         {std::string("{\"event\": {}}"), std::string("{\"event\": {\"type\": \"member-created\"}}"),
          std::string("{\"eventType\": \"member-created\", \"event\": {}}"),
          std::string("{\"event\": {\"payload\": {\"eventType\": \"member-created\"}}}"),
          qtest::replace_first(fixture(), "\"eventType\"", "\"event_type\"")}) {
      INFO(body.substr(0, 100));
      const rejection r = reject(body);
      CHECK(r.code == qw::error_code::missing_event_type);
      CHECK(r.status == 422);
      CHECK(r.path == "/event");
    }
  }
  SECTION("not a string") {
    for (std::string_view value :
         {"5", "null", "true", "{}", "[\"member-created\"]", "{\"name\": \"member-created\"}"}) {
      INFO(value);
      const rejection r = reject(qtest::replace_first(fixture(), "\"member-created\"", value));
      CHECK(r.code == qw::error_code::missing_event_type);
      CHECK(r.status == 422);
      CHECK(r.path == "/event/eventType");
    }
  }
  SECTION("malformed") {
    const rejection r = reject(qtest::replace_first(fixture(), "\"member-created\"", "\"member\\qcreated\""));
    CHECK(r.code == qw::error_code::invalid_json);
    CHECK(r.status == 400);
  }
}

TEST_CASE("nesting deeper than max_depth is nesting_too_deep (400)", "[bad-input][depth]") {
  // The depth of a value is the number of members and items on its JSON Pointer: /event/x is at depth 2.
  for (std::size_t max_depth : {std::size_t{8}, std::size_t{64}}) {
    qw::parser_options options;
    options.max_depth = max_depth;
    qw::parser parser(options);
    INFO("max_depth " << max_depth);

    // Free-form members of each example, and unknown members at several levels.
    struct place {
      std::string_view file;
      std::string pointer;
    };
    const place places[] = {
        {qtest::member_created_file, "/zzUnknown"},
        {qtest::member_created_file, "/event/zzUnknown"},
        {qtest::member_created_file, "/event/tags"},
        {qtest::member_created_file, "/event/lastError"},
        {qtest::member_created_file, "/event/evaluationResults"},
        {qtest::member_created_file, "/event/executionResults/zzUnknown"},
        {qtest::member_created_file, "/event/executionResults/onChain/wallets"},
        {qtest::member_created_file, "/event/executionResults/profile/govId/zzUnknown"},
        {qtest::member_created_file, "/event/executionResults/tiers/0/zzUnknown"},
        {qtest::coupon_code_used_file, "/event/executionResults/customAttributes"},
        {qtest::coupon_code_used_file, "/event/executionResults/coupon/customAttributes"},
        {qtest::coupon_code_used_file, "/event/payload/usage/coupon/customAttributes"},
        {qtest::coupon_code_used_file, "/event/payload/usage/customAttributes"},
        {qtest::coupon_code_used_file, "/event/payload/couponBook/tags"},
        {qtest::coupon_code_used_file, "/event/payload/couponBook/customAttributes"},
        {qtest::coupon_code_assigned_file, "/event/payload/couponBook/zzUnknown"},
    };
    for (const place& p : places) {
      INFO(p.file << " " << p.pointer);
      const std::size_t depth = static_cast<std::size_t>(std::count(p.pointer.begin(), p.pointer.end(), '/'));
      REQUIRE(depth < max_depth);
      // k nested containers put the innermost one at depth + k - 1.
      const std::size_t deepest_ok = max_depth - depth + 1;
      for (bool objects : {false, true}) {
        INFO((objects ? "objects" : "arrays"));
        const auto nested = [&](std::size_t k) { return objects ? nested_objects(k - 1) : nested_arrays(k); };
        qtest::json_node tree = qtest::fixture_tree(p.file);
        qtest::json_set(tree, p.pointer, nested(deepest_ok));
        const std::string ok = qtest::json_dump(tree);
        CHECK(parser.parse(ok));
        qtest::json_set(tree, p.pointer, nested(deepest_ok + 1));
        const rejection r = reject(parser, qtest::json_dump(tree));
        CHECK(r.code == qw::error_code::nesting_too_deep);
        CHECK(r.status == 400);
        CHECK(r.path.rfind(p.pointer, 0) == 0);  // the path starts at the member that holds the nesting
        CHECK(r.path.size() > p.pointer.size());
      }
    }
  }
}

TEST_CASE("very deep nesting is rejected without exhausting the stack", "[bad-input][depth]") {
  qw::parser parser;
  const std::string body = fixture();
  for (std::size_t depth : {std::size_t{1000}, std::size_t{1100}, std::size_t{100000}}) {
    INFO(depth);
    for (const std::string& deep : {nested_arrays(depth), nested_objects(depth)}) {
      CHECK(reject(parser, qtest::replace_first(body, "\"tags\": null", "\"tags\": " + deep)).code ==
            qw::error_code::nesting_too_deep);
      CHECK(reject(parser, "{\"x\": " + deep + ", \"event\": {\"eventType\": \"x\"}}").code ==
            qw::error_code::nesting_too_deep);
      const rejection top = reject(parser, deep);
      CHECK((top.code == qw::error_code::nesting_too_deep || top.code == qw::error_code::not_an_object));
      CHECK(top.status >= 400);
      CHECK(top.status < 500);
    }
  }
  SECTION("a limit above parser_options::max_depth_limit is clamped to it") {
    qw::parser_options options;
    options.max_depth = 2000;
    qw::parser lenient(options);
    constexpr std::size_t limit = qw::parser_options::max_depth_limit;
    CHECK(lenient.options().max_depth == limit);
    // "tags" is at depth 2, so n nested arrays there reach depth n + 1.
    const std::string ok = qtest::replace_first(body, "\"tags\": null", "\"tags\": " + nested_arrays(limit - 1));
    CHECK(lenient.parse(ok));
    const rejection r =
        reject(lenient, qtest::replace_first(body, "\"tags\": null", "\"tags\": " + nested_arrays(limit)));
    CHECK(r.code == qw::error_code::nesting_too_deep);
    CHECK(r.status == 400);
  }
}

TEST_CASE("integers outside int64 are wrong_type (422) in a required member, drift in an optional one",
          "[bad-input][numbers]") {
  qw::parser_options strict_options;
  strict_options.strict = true;
  qw::parser parser(strict_options);
  qw::parser lenient;
  const auto with_tier_id = [](std::string_view value) {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/executionResults/tiers/0/loyaltyTierId", value);
    return qtest::json_dump(tree);
  };
  {
    const std::string body = with_tier_id("9223372036854775807");
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.tiers[0].loyalty_tier_id == INT64_MAX);
  }
  {
    const std::string body = with_tier_id("-9223372036854775808");
    const qw::parse_result r = parser.parse(body);
    REQUIRE(r);
    CHECK(r->get_if<qw::member_created>()->execution_results.tiers[0].loyalty_tier_id == INT64_MIN);
  }
  for (std::string_view value :
       {"9223372036854775808", "-9223372036854775809", "18446744073709551615", "100000000000000000000000000000"}) {
    INFO(value);
    const rejection r = reject(parser, with_tier_id(value));
    CHECK(r.code == qw::error_code::wrong_type);
    CHECK(r.status == 422);
    CHECK(r.path == "/event/executionResults/tiers/0/loyaltyTierId");
    CHECK(r.message == "expected an integer");
    // loyaltyTierId is required: a default parser rejects it too (it cannot read as absent).
    const rejection l = reject(lenient, with_tier_id(value));
    CHECK(l.code == qw::error_code::wrong_type);
    CHECK(l.path == "/event/executionResults/tiers/0/loyaltyTierId");
    // ledgerWalletId is optional: absent, with a drift record.
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, "/event/executionResults/ledgerWalletId", value);
    const std::string body = qtest::json_dump(tree);
    const qw::parse_result drifted = lenient.parse(body);
    REQUIRE(drifted);
    CHECK_FALSE(drifted->get_if<qw::member_created>()->execution_results.ledger_wallet_id.has_value());
    REQUIRE(drifted->drift().size() == 1);
    CHECK(drifted->drift()[0].path == "/event/executionResults/ledgerWalletId");
    CHECK(drifted->drift()[0].found == "number");
    CHECK(drifted->drift()[0].value.text() == value);
  }
  // In a free-form value a large integer is fine.
  const std::string large =
      qtest::replace_first(fixture(), "\"tags\": null", "\"tags\": [100000000000000000000000000000]");
  CHECK(parser.parse(large));
}

TEST_CASE("an integer written with a fraction or an exponent is read when whole and exact", "[bad-input][numbers]") {
  qw::parser_options strict_options;
  strict_options.strict = true;
  qw::parser strict(strict_options);
  qw::parser lenient;
  const auto with = [](std::string_view pointer, std::string_view value) {
    qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
    qtest::json_set(tree, pointer, value);
    return qtest::json_dump(tree);
  };
  const std::string tier = "/event/executionResults/tiers/0/loyaltyTierId";  // required
  const std::string wallet = "/event/executionResults/ledgerWalletId";       // optional
  struct whole_case {
    std::string_view text;
    std::int64_t value;
  };
  const whole_case whole[] = {{"5.0", 5},
                              {"1e2", 100},
                              {"1E+2", 100},
                              {"1.6069e4", 16069},
                              {"-2.50e1", -25},
                              {"0.0", 0},
                              {"-0.0", 0},
                              {"1500e-2", 15},
                              {"9007199254740991.0", 9007199254740991},
                              {"-9.007199254740991e15", -9007199254740991}};
  for (const whole_case& c : whole) {
    INFO(c.text);
    for (qw::parser* p : {&lenient, &strict}) {
      const std::string tier_body = with(tier, c.text);
      const qw::parse_result r = p->parse(tier_body);
      REQUIRE(r);
      CHECK(r->get_if<qw::member_created>()->execution_results.tiers[0].loyalty_tier_id == c.value);
      CHECK(r->drift().empty());
      const std::string wallet_body = with(wallet, c.text);
      const qw::parse_result w = p->parse(wallet_body);
      REQUIRE(w);
      CHECK(w->get_if<qw::member_created>()->execution_results.ledger_wallet_id == c.value);
      CHECK(w->drift().empty());
    }
  }
  // Not whole, not exact in a double (2^53 and beyond), or beyond a double: wrong_type when required, drift when
  // optional. 1.0000000000000000001 rounds to 1.0 as a double but is not whole: decided on the text.
  for (std::string_view value : {"1.5", "1.05e1", "1e-1", "1.0000000000000000001", "9007199254740992.0",
                                 "9.007199254740993e15", "1e19", "1e400", "-1e400"}) {
    INFO(value);
    for (qw::parser* p : {&lenient, &strict}) {
      const rejection r = reject(*p, with(tier, value));
      CHECK(r.code == qw::error_code::wrong_type);
      CHECK(r.status == 422);
      CHECK(r.path == tier);
    }
    CHECK(reject(strict, with(wallet, value)).path == wallet);
    const std::string body = with(wallet, value);
    const qw::parse_result drifted = lenient.parse(body);
    REQUIRE(drifted);
    CHECK_FALSE(drifted->get_if<qw::member_created>()->execution_results.ledger_wallet_id.has_value());
    REQUIRE(drifted->drift().size() == 1);
    CHECK(drifted->drift()[0].path == wallet);
    CHECK(drifted->drift()[0].value.text() == value);
  }
}

TEST_CASE("a body larger than max_body_size is body_too_large (413)", "[bad-input][size]") {
  const std::string body = fixture();
  qw::parser_options options;
  options.max_body_size = body.size();
  qw::parser exact(options);
  CHECK(exact.parse(body));
  CHECK(exact.options().max_body_size == body.size());

  options.max_body_size = body.size() - 1;
  qw::parser smaller(options);
  const rejection r = reject(smaller, body);
  CHECK(r.code == qw::error_code::body_too_large);
  CHECK(r.status == 413);
  CHECK(r.path.empty());
  // The size is checked before anything else: even a blank or non-JSON body is 413 when too large.
  CHECK(reject(smaller, std::string(body.size(), ' ')).code == qw::error_code::body_too_large);
  CHECK(reject(smaller, std::string(body.size() * 3, 'x')).code == qw::error_code::body_too_large);

  // The default limit is 1 MiB.
  qw::parser parser;
  CHECK(parser.options().max_body_size == std::size_t{1} << 20);
  std::string padded_body = qtest::replace_first(
      body, "\"tags\": null", "\"tags\": \"" + std::string((std::size_t{1} << 20) - body.size() + 8, 'a') + "\"");
  REQUIRE(padded_body.size() > (std::size_t{1} << 20));
  CHECK(reject(parser, padded_body).code == qw::error_code::body_too_large);
  padded_body = qtest::replace_first(
      body, "\"tags\": null", "\"tags\": \"" + std::string((std::size_t{1} << 20) - body.size() - 20, 'a') + "\"");
  REQUIRE(padded_body.size() <= (std::size_t{1} << 20));
  CHECK(parser.parse(padded_body));
}

TEST_CASE("a structural error inside any unknown member is invalid_json, not a crash", "[bad-input]") {
  // Regression: reporting the path of such an error used to dereference simdjson's abandoned iterator.
  qw::parser parser;
  for (std::string_view file : qtest::all_fixture_files) {
    std::vector<std::string> objects;
    qtest::json_node walked = qtest::fixture_tree(file);
    qtest::for_each_json_node(walked, [&](const std::string& pointer, qtest::json_node& node) {
      if (node.type == qtest::json_node::kind::object) objects.push_back(pointer);
    });
    for (const std::string& pointer : objects) {
      for (std::string_view broken : {"{\"b\": 1,}", "[1,,2]", "{\"b\" 1}", "[{\"c\": [}]"}) {
        INFO(file << " " << pointer << " " << broken);
        qtest::json_node tree = qtest::fixture_tree(file);
        qtest::json_set(tree, pointer + "/zz\"odd~0~1key", "0");  // a key that needs escaping in the path
        std::string body = qtest::json_dump(tree);
        body = qtest::replace_first(body, "\"zz\\\"odd~/key\":0", "\"zz\\\"odd~/key\":" + std::string(broken));
        const rejection r = reject(parser, body);
        CHECK(r.code == qw::error_code::invalid_json);
        CHECK(r.status == 400);
        CHECK(r.path.rfind(pointer + "/zz\"odd~0~1key", 0) == 0);  // the key unescaped, as JSON Pointer names it
      }
    }
  }
}

TEST_CASE("escapes in unknown keys are validated; a malformed value after one is reported, not a crash",
          "[bad-input][keys]") {
  qw::parser parser;
  const std::string member = fixture();
  // Keys the SDK does not know, at the root, in the event, in a typed object and inside a free-form value.
  const std::string_view anchors[] = {"{\n  \"event\"", "\"status\":", "\"active\": true", "\"tags\": null"};
  const auto with_member = [&](std::string_view anchor, const std::string& member_json) {
    if (anchor == "\"tags\": null") return qtest::replace_first(member, anchor, "\"tags\": {" + member_json + "}");
    if (anchor.front() == '{') return qtest::replace_first(member, anchor, "{" + member_json + ",\n  \"event\"");
    return qtest::replace_first(member, anchor, member_json + ", " + std::string(anchor));
  };
  for (std::string_view anchor : anchors) {
    INFO("near " << anchor);
    // Valid escapes are fine.
    for (std::string_view key : {R"(caf\u00e9)", R"(a\"b)", R"(back\\slash)", R"(\ud83d\ude00)", R"(tab\t)"}) {
      INFO(key);
      const std::string with_key = with_member(anchor, "\"" + std::string(key) + "\": 1");
      CHECK(parser.parse(with_key));
    }
    // Invalid ones are not JSON.
    for (std::string_view key : {R"(bad\q)", R"(\u12)", R"(\ud800)", R"(\ude00x)", R"(\u00g0)"}) {
      INFO(key);
      const rejection r = reject(parser, with_member(anchor, "\"" + std::string(key) + "\": 1"));
      CHECK(r.code == qw::error_code::invalid_json);
      CHECK(r.status == 400);
    }
    // A valid escaped key whose value is malformed: the error names the key unescaped (RFC 6901 names members so).
    for (std::string_view value : {"{\"c\": 1,}", "[1,,2]", "tru", "01"}) {
      INFO(value);
      const rejection r = reject(parser, with_member(anchor, R"("a\"b": )" + std::string(value)));
      CHECK(r.code == qw::error_code::invalid_json);
      CHECK(r.path.find("/a\"b") != std::string::npos);
    }
  }
}

TEST_CASE("a modelled member that appears twice in one object is duplicate_key (400) at its path",
          "[bad-input][keys]") {
  qw::parser parser;
  const std::string member = fixture();
  const std::pair<std::string, std::string> cases[] = {
      {qtest::replace_first(member, "\"status\": \"success\"", "\"status\": \"success\", \"status\": \"failed\""),
       "/event/status"},
      {qtest::replace_first(member, "\"status\": \"success\"", "\"status\": \"success\", \"event\\u0054ype\": \"x\""),
       "/event/eventType"},
      {qtest::replace_first(member, "\"active\": true", "\"active\": true, \"active\": false"),
       "/event/executionResults/active"},
      {R"({"event":{"eventType":"x"},"event":{"eventType":"y"}})", "/event"},
      {R"({"event":{"eventType":"x","eventType":"x"}})", "/event/eventType"},
  };
  for (const auto& [body, path] : cases) {
    INFO(body.substr(0, 120));
    const rejection r = reject(parser, body);
    CHECK(r.code == qw::error_code::duplicate_key);
    CHECK(r.status == 400);
    CHECK(r.path == path);
  }
  CHECK(qw::to_string(qw::error_code::duplicate_key) == "duplicate_key");
  // Unknown members may repeat: the SDK does not read them.
  const std::string repeated =
      qtest::replace_first(member, "\"status\": \"success\"", "\"status\": \"success\", \"x\": 1, \"x\": 2");
  CHECK(parser.parse(repeated));
}

TEST_CASE("an eventType written with an escape before the plain one is read too, not stepped over",
          "[bad-input][keys]") {
  // The plain member is the one found first (its value typed the event); the escaped one, met first when the members
  // are read, is another value: read and compared, so a different or malformed value rejects the event.
  qw::parser parser;
  const std::string member = fixture();
  const auto with_escaped = [&](std::string_view value) {
    return qtest::replace_first(member, "\"loyaltyEventId\"",
                                "\"event\\u0054ype\": " + std::string(value) + ", \"loyaltyEventId\"");
  };
  const rejection different = reject(parser, with_escaped(R"("coupon-code-used")"));
  CHECK(different.code == qw::error_code::wrong_type);
  CHECK(different.path == "/event/eventType");
  const rejection malformed = reject(parser, with_escaped(R"("bad \u00zz escape")"));
  CHECK(malformed.code == qw::error_code::invalid_json);
  // The same value twice is still a duplicate member.
  const rejection same = reject(parser, with_escaped(R"("member-created")"));
  CHECK(same.code == qw::error_code::duplicate_key);
  CHECK(same.path == "/event/eventType");
}

TEST_CASE("keys are compared after unescaping", "[bad-input][keys]") {
  qw::parser parser;
  const std::string used = fixture(qtest::coupon_code_used_file);
  // An escaped spelling of a modelled key is that key.
  const std::string escaped =
      qtest::replace_first(qtest::replace_first(used, "\"discountAmount\": 20", "\"discount\\u0041mount\": 12.5"),
                           "\"eventType\"", "\"event\\u0054ype\"");
  const qw::parse_result r = parser.parse(escaped);
  REQUIRE(r);
  CHECK(r->type() == qw::event_type::coupon_code_used);
  CHECK(r->get_if<qw::coupon_code_used>()->payload.coupon_book.discount_amount == 12.5);
  // The root "event" member too.
  const std::string root = qtest::replace_first(used, "\"event\"", "\"\\u0065vent\"");
  const qw::parse_result r2 = parser.parse(root);
  REQUIRE(r2);
  CHECK(r2->type() == qw::event_type::coupon_code_used);
}

TEST_CASE("a UTF-8 byte order mark at the start is skipped, without a copy", "[bad-input]") {
  qw::parser parser;
  std::string body = "\xEF\xBB\xBF" + fixture();
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  CHECK(r->type() == qw::event_type::member_created);
  // Views point into the caller's buffer, past the mark: nothing was copied.
  const std::string_view payload = r->envelope().payload.text();
  CHECK(payload.data() > body.data());
  CHECK(payload.data() < body.data() + body.size());
  // Only at the start, and only a whole mark.
  CHECK(reject(parser, "\xEF\xBB" + fixture()).code == qw::error_code::invalid_utf8);
  CHECK(reject(parser, "\xEF\xBB\xBF").code == qw::error_code::empty_body);
}

TEST_CASE("numbers beyond a double are accepted where the SDK does not need their value", "[bad-input][numbers]") {
  qw::parser parser;
  const std::string member = fixture();
  const std::string unknown =
      qtest::replace_first(member, "\"status\": \"success\"", "\"status\": \"success\", \"huge\": [1e400, -2E+999]");
  CHECK(parser.parse(unknown));
  const std::string tags = qtest::replace_first(member, "\"tags\": null", "\"tags\": 1e400");
  const qw::parse_result r = parser.parse(tags);
  REQUIRE(r);
  CHECK(r->envelope().tags.text() == "1e400");
  // raw_json is the text as sent: unknown content never rejects an event, but simdjson cannot re-parse a number
  // beyond a double from raw_json::padded() (documented in events/json.hpp and docs/events.md).
  simdjson::ondemand::parser again;
  simdjson::ondemand::document doc;
  REQUIRE(again.iterate(r->envelope().tags.padded()).get(doc) == simdjson::SUCCESS);
  double value = 0;
  CHECK(doc.get_double().get(value) != simdjson::SUCCESS);
  // Still not JSON: rejected.
  CHECK(reject(parser, qtest::replace_first(member, "\"tags\": null", "\"tags\": 1e")).code ==
        qw::error_code::invalid_json);
  // A body that is only such a number is JSON, not an object (422), like any other number.
  for (std::string_view body : {"1e400", "2e-1922337203685477580866", " -1E+99999 "}) {
    INFO(body);
    CHECK(reject(parser, body).code == qw::error_code::not_an_object);
  }
  CHECK(reject(parser, "1e").code == qw::error_code::invalid_json);
}

TEST_CASE("a body that is only a number beyond a double is JSON, not an object (422)", "[bad-input][numbers]") {
  // Found by fuzz_receive (tests/fuzz/regressions/root-number-beyond-double.json).
  const rejection r = reject(" 0e" + std::string(60, '4') + "8\n");
  CHECK(r.code == qw::error_code::not_an_object);
  CHECK(r.status == 422);
  CHECK(reject("1e").code == qw::error_code::invalid_json);
}
