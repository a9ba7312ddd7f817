// Timestamps: kept raw, parsed on access. Expected values were computed independently (GNU date -u +%s%3N).

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

namespace qw = qurable::webhooks;

namespace {

std::optional<std::int64_t> epoch_ms(std::string_view text) {
  const qw::timestamp t(text);
  CHECK(t.raw() == text);
  qw::time_point value{};
  const qw::error_code err = t.get(value);
  // get() and value() agree.
  const std::optional<qw::time_point> v = t.value();
  CHECK(v.has_value() == (err == qw::error_code::none));
  if (err != qw::error_code::none) {
    CHECK(err == qw::error_code::invalid_timestamp);
    return std::nullopt;
  }
  CHECK(v->time_since_epoch().count() == value.time_since_epoch().count());
  return value.time_since_epoch().count();
}

}  // namespace

TEST_CASE("timestamps in the platform's form and other valid ISO-8601 forms", "[timestamp]") {
  struct sample {
    std::string_view text;
    std::int64_t ms;
  };
  const sample samples[] = {
      {"2025-04-24T13:22:50.049Z", 1745500970049},
      {"2025-04-24T13:20:24.404Z", 1745500824404},
      {"2025-04-23T03:09:35.646Z", 1745377775646},
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00.000Z", 0},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2024-02-29T23:59:59.999Z", 1709251199999},  // leap year
      {"2000-02-29T12:00:00Z", 951825600000},       // divisible by 400: leap
      {"2000-03-01T00:00:00Z", 951868800000},
      {"1900-03-01T12:00:00Z", -2203848000000},
      {"0001-01-01T00:00:00Z", -62135596800000},
      // Year 0 (a leap year, divisible by 400): its January and February count from the year before it.
      {"0000-01-01T00:00:00Z", -62167219200000},
      {"0000-02-29T00:00:00.000Z", -62162121600000},
      {"0000-03-01T00:00:00Z", -62162035200000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
      // Offsets: all the same instant as 2025-04-24T13:22:50.049Z.
      {"2025-04-24T15:22:50.049+02:00", 1745500970049},
      {"2025-04-24T08:52:50.049-04:30", 1745500970049},
      {"2025-04-24T13:22:50.049+00:00", 1745500970049},
      {"2025-04-24T13:22:50.049-00:00", 1745500970049},
      {"2025-04-25T00:22:50.049+11:00", 1745500970049},
      // 1 to 9 fraction digits; beyond milliseconds they are truncated, not rounded.
      {"2025-04-24T13:22:50.1Z", 1745500970100},
      {"2025-04-24T13:22:50.12Z", 1745500970120},
      {"2025-04-24T13:22:50.123Z", 1745500970123},
      {"2025-04-24T13:22:50.1239Z", 1745500970123},
      {"2025-04-24T13:22:50.12399Z", 1745500970123},
      {"2025-04-24T13:22:50.123999Z", 1745500970123},
      {"2025-04-24T13:22:50.1239999Z", 1745500970123},
      {"2025-04-24T13:22:50.12399999Z", 1745500970123},
      {"2025-04-24T13:22:50.123999999Z", 1745500970123},
      {"2025-04-24T13:22:50Z", 1745500970000},
      // Lower-case separators.
      {"2025-04-24t13:22:50.049z", 1745500970049},
      // A leap second is folded into the next second.
      {"2016-12-31T23:59:60Z", 1483228800000},
  };
  for (const sample& s : samples) {
    INFO(s.text);
    const std::optional<std::int64_t> ms = epoch_ms(s.text);
    REQUIRE(ms.has_value());
    CHECK(*ms == s.ms);
  }
}

TEST_CASE("malformed timestamps are invalid_timestamp on access, never a crash", "[timestamp]") {
  const std::string_view samples[] = {
      "",
      "2025",
      "2025-04-24",
      "2025-04-24T13:22:50",              // no zone: ambiguous
      "2025-04-24T13:22:50.049",          // no zone
      "2025-04-24 13:22:50.049Z",         // space instead of T
      "2025-13-01T00:00:00Z",             // month 13
      "2025-00-10T00:00:00Z",             // month 0
      "2025-04-00T00:00:00Z",             // day 0
      "2025-04-31T00:00:00Z",             // April has 30 days
      "2025-02-29T00:00:00Z",             // 2025 is not a leap year
      "1900-02-29T00:00:00Z",             // divisible by 100, not 400: not leap
      "2025-04-24T24:00:00Z",             // hour 24
      "2025-04-24T13:60:00Z",             // minute 60
      "2025-04-24T13:22:61Z",             // second 61
      "2025-04-24T13:22:50.Z",            // a dot without digits
      "2025-04-24T13:22:50.1234567890Z",  // ten fraction digits
      "2025-04-24T13:22:50.049ZZ",        // trailing text
      "2025-04-24T13:22:50.049Z ",        // trailing space
      " 2025-04-24T13:22:50.049Z",        // leading space
      "2025-04-24T13:22:50.049+0200",     // offset without colon
      "2025-04-24T13:22:50.049+02",       // truncated offset
      "2025-04-24T13:22:50.049+02:",      // truncated offset
      "2025-04-24T13:22:50.049+24:00",    // offset hour 24
      "2025-04-24T13:22:50.049+02:60",    // offset minute 60
      "2025-04-24T13:22:50.049UTC",
      "20250424T132250Z",     // basic format
      "2025-4-24T13:22:50Z",  // one-digit month
      "+2025-04-24T13:22:50Z",
      "-001-04-24T13:22:50Z",
      "2025-04-24T13:22:5xZ",
      "yesterday",
      "2025-04-24T13:22:50.049\xC3\xA9",
      std::string_view("2025-04-24T13:22:50\0Z", 21),
  };
  for (std::string_view s : samples) {
    INFO("[" << s << "]");
    CHECK_FALSE(epoch_ms(std::string(s)).has_value());  // a heap copy of exactly its size: no read past the end
  }
  // Every prefix of a valid one is invalid (it has no complete zone), and is never read past its end.
  const std::string valid = "2025-04-24T13:22:50.049+02:00";
  for (std::size_t n = 0; n < valid.size(); ++n) {
    INFO(valid.substr(0, n));
    CHECK_FALSE(epoch_ms(valid.substr(0, n)).has_value());
  }
  CHECK(epoch_ms(valid).has_value());
}

TEST_CASE("a default timestamp is empty and invalid", "[timestamp]") {
  const qw::timestamp t;
  CHECK(t.raw().empty());
  qw::time_point out{std::chrono::milliseconds(42)};
  CHECK(t.get(out) == qw::error_code::invalid_timestamp);
  CHECK(out.time_since_epoch().count() == 42);  // untouched on error
  CHECK_FALSE(t.value().has_value());
}

TEST_CASE("timestamps are usable in constant expressions", "[timestamp]") {
  constexpr qw::timestamp t("2025-04-24T13:22:50.049Z");
  static_assert(t.raw().size() == 24);
  constexpr auto parsed = [] {
    qw::time_point p{};
    return qw::timestamp("1970-01-02T00:00:00.5Z").get(p) == qw::error_code::none ? p.time_since_epoch().count() : -1;
  }();
  static_assert(parsed == 86400500);
  CHECK(parsed == 86400500);
}

TEST_CASE("an event with a malformed timestamp is still received; the error comes on access", "[timestamp]") {
  qw::parser parser;
  qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
  qtest::json_set(tree, "/event/createdAt", "\"2025-02-29T13:23:50.586Z\"");
  qtest::json_set(tree, "/event/executionResults/profile/birthdate", "\"not a date\"");
  qtest::json_set(tree, "/event/executionResults/organizations/0/updatedAt", "\"\"");
  const std::string body = qtest::json_dump(tree);

  const qw::parse_result r = parser.parse(body);
  REQUIRE(r);
  const qw::member_created& m = *r->get_if<qw::member_created>();
  qw::time_point t{};
  CHECK(m.envelope.created_at.raw() == "2025-02-29T13:23:50.586Z");
  CHECK(m.envelope.created_at.get(t) == qw::error_code::invalid_timestamp);
  CHECK_FALSE(m.envelope.created_at.value());
  CHECK(m.execution_results.profile.birthdate->raw() == "not a date");
  CHECK_FALSE(m.execution_results.profile.birthdate->value());
  CHECK(m.execution_results.organizations[0].updated_at.raw().empty());
  CHECK_FALSE(m.execution_results.organizations[0].updated_at.value());
  // The others are fine.
  CHECK(m.envelope.updated_at.value().has_value());
  CHECK(m.execution_results.organizations[0].created_at.value().has_value());

  // ...and it is dispatched: a bad date does not drop an event.
  int handled = 0;
  const qw::outcome out = qw::receive(parser, body, qw::overloaded{[&](const qw::member_created& e) {
                                        ++handled;
                                        CHECK_FALSE(e.envelope.created_at.value());
                                      }});
  CHECK(handled == 1);
  CHECK(out.kind == qw::outcome_kind::dispatched);
  CHECK(out.http_status == 200);
  CHECK(qw::http_status_for(qw::error_code::invalid_timestamp) == 422);
}

TEST_CASE("the platform's 24-character form and the general form agree, valid or not", "[timestamp]") {
  // The canonical form (…SS.mmmZ) has its own fast path; the same instant written with "+00:00" takes the general
  // one. Every day of four years (one a leap year, one a century year that is not), every hour boundary of one day,
  // and every digit position replaced by each neighbour of '0'..'9' must come out the same from both.
  const auto both = [](const std::string& canonical) {
    const std::string general = canonical.substr(0, 23) + "+00:00";
    const std::optional<std::int64_t> fast = epoch_ms(canonical);
    const std::optional<std::int64_t> slow = epoch_ms(general);
    INFO(canonical);
    CHECK(fast == slow);
    return fast;
  };
  char text[64];  // room for any int the formats could print (GCC checks)
  int valid = 0;
  for (const int year : {1900, 2000, 2024, 2025}) {
    for (int month = 0; month <= 13; ++month) {
      for (int day = 0; day <= 32; ++day) {
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT23:59:59.999Z", year, month, day);
        valid += both(text).has_value() ? 1 : 0;
      }
    }
  }
  CHECK(valid == 365 * 2 + 366 * 2);  // 1900 is not a leap year, 2000 and 2024 are
  for (int hour = 0; hour <= 24; ++hour) {
    std::snprintf(text, sizeof text, "2025-04-24T%02d:00:60.000Z", hour);
    CHECK(both(text).has_value() == (hour < 24));
  }
  const std::string base = "2025-04-24T13:22:50.049Z";
  int still_valid[24] = {};
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (int c = 0; c < 256; ++c) {  // every byte value at every position, high bit set included
      std::string edited = base;
      edited[i] = static_cast<char>(c);
      INFO(i << " " << c);
      if (i + 1 < base.size()) {
        still_valid[i] += both(edited).has_value() ? 1 : 0;  // the general path decides
      } else {
        CHECK(epoch_ms(edited).has_value() == (c == 'Z' || c == 'z'));  // the zone, which both() replaces
      }
    }
  }
  // Some edits stay valid, and both paths agreed on them above: 'T' or 't'; hour 03, 13 or 23; minute 20..29.
  CHECK(still_valid[10] == 2);
  CHECK(still_valid[11] == 3);
  CHECK(still_valid[15] == 10);
  CHECK(both(base) == std::optional<std::int64_t>(1745500970049));
}
