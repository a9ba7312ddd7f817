// libFuzzer target: whatever the parser accepts, every accessor of the views is safe to use.
//
// For an accepted body it walks the envelope and the typed view of its type: every string_view is read byte by
// byte (ASan checks the memory), every list is iterated, every timestamp is read (and checked against the digits
// it was parsed from), and every raw_json text is re-parsed through raw_json::padded() by a second On-Demand parser
// and by simdjson's DOM parser, and must be one complete, valid JSON value. Views must not straddle the end of the
// body: each lies wholly inside the body's buffer or wholly outside it (in the parser's own memory), and raw JSON
// text always lies inside the body.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "json_check.hpp"

namespace qw = qurable::webhooks;

namespace {

volatile std::uint64_t g_sink = 0;

// The body being checked: views are compared against its buffer.
struct body_buffer {
  const char* begin = nullptr;
  const char* end = nullptr;
  std::size_t size() const noexcept { return static_cast<std::size_t>(end - begin); }
};
body_buffer g_body;

[[noreturn]] void broken(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_accessors: invariant broken: %s [%.*s] (body of %zu bytes)\n", what,
               static_cast<int>(detail.size() > 200 ? 200 : detail.size()), detail.data(), g_body.size());
  std::abort();
}

void require(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) broken(what, detail);
}

bool inside_body(const char* p, std::size_t n) {
  const auto b = reinterpret_cast<std::uintptr_t>(g_body.begin);
  const auto e = reinterpret_cast<std::uintptr_t>(g_body.end);
  const auto x = reinterpret_cast<std::uintptr_t>(p);
  return x >= b && x <= e && n <= e - x;
}

bool overlaps_body(const char* p, std::size_t n) {
  if (n == 0) return false;
  const auto b = reinterpret_cast<std::uintptr_t>(g_body.begin);
  const auto e = reinterpret_cast<std::uintptr_t>(g_body.end);
  const auto x = reinterpret_cast<std::uintptr_t>(p);
  return x < e && x + n > b;
}

// Reads every byte (so ASan checks it) and checks the view lies wholly inside or wholly outside the body.
void touch(std::string_view s) {
  if (!s.empty()) {
    require(inside_body(s.data(), s.size()) || !overlaps_body(s.data(), s.size()),
            "a string view straddles the end of the body", s);
  }
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  g_sink = g_sink + h;
}

void touch(const std::optional<std::string_view>& s) {
  if (s) touch(*s);
}

void touch(std::int64_t v) { g_sink = g_sink + static_cast<std::uint64_t>(v); }
void touch(const std::optional<std::int64_t>& v) {
  if (v) touch(*v);
}
void touch(bool v) { g_sink = g_sink + (v ? 1u : 2u); }
void touch(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  g_sink = g_sink + bits;
}

// --- timestamps ------------------------------------------------------------------------------------------------------

// Civil date of a day count since 1970-01-01 (proleptic Gregorian), written independently of the SDK's inverse.
void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

void touch(const qw::timestamp& ts) {
  const std::string_view raw = ts.raw();
  touch(raw);
  qw::time_point t{};
  const qw::error_code err = ts.get(t);
  const std::optional<qw::time_point> value = ts.value();
  require(err == qw::error_code::none || err == qw::error_code::invalid_timestamp,
          "timestamp::get() → none or invalid_timestamp", raw);
  require(value.has_value() == (err == qw::error_code::none), "timestamp::value() agrees with get()", raw);
  if (err != qw::error_code::none) return;
  require(*value == t, "timestamp::value() equals get()", raw);
  // Accepted strings start YYYY-MM-DDTHH:MM:SS; with a Z zone and no leap second the value must give back those
  // digits and the first three fraction digits.
  require(raw.size() >= 20, "an accepted timestamp has at least 20 characters", raw);
  const char zone = raw.back();
  const int second = digits(raw, 17, 2);
  if ((zone != 'Z' && zone != 'z') || second == 60) return;
  const std::int64_t ms = t.time_since_epoch().count();
  const std::int64_t day = (ms >= 0 ? ms : ms - 86399999) / 86400000;
  const std::int64_t in_day = ms - day * 86400000;
  std::int64_t y = 0;
  int m = 0;
  int d = 0;
  civil_from_days(day, y, m, d);
  int millis = 0;
  if (raw[19] == '.') {
    for (std::size_t i = 20, n = 0; n < 3; ++n) {
      millis = millis * 10 + (i < raw.size() && raw[i] >= '0' && raw[i] <= '9' ? raw[i++] - '0' : 0);
    }
  }
  const bool same = y == digits(raw, 0, 4) && m == digits(raw, 5, 2) && d == digits(raw, 8, 2) &&
                    in_day / 3600000 == digits(raw, 11, 2) && in_day / 60000 % 60 == digits(raw, 14, 2) &&
                    in_day / 1000 % 60 == second && in_day % 1000 == millis;
  require(same, "timestamp::get() gives back the date and time it was parsed from", raw);
}

void touch(const std::optional<qw::timestamp>& ts) {
  if (ts) touch(*ts);
}

// --- raw JSON --------------------------------------------------------------------------------------------------------

void touch(const qw::raw_json& raw, bool required = false) {
  const std::string_view text = raw.text();
  require(!required || !raw.is_absent(), "a required value is present", text);
  require(raw.is_absent() == text.empty(), "raw_json::is_absent() iff empty", text);
  require(raw.is_null() == (text.empty() || text == "null"), "raw_json::is_null()", text);
  touch(text);
  if (raw.is_absent()) return;
  require(inside_body(text.data(), text.size()), "raw JSON text lies inside the body", text);
  const simdjson::padded_string_view padded = raw.padded();
  require(padded.data() == text.data() && padded.length() == text.size() &&
              padded.capacity() >= text.size() + simdjson::SIMDJSON_PADDING,
          "raw_json::padded() views the text with its padding", text);
  // The padding promised by padded() is readable: the body was allocated with exactly SIMDJSON_PADDING spare bytes.
  for (std::size_t i = 0; i < simdjson::SIMDJSON_PADDING; ++i)
    g_sink = g_sink + static_cast<unsigned char>(text.data()[text.size() + i]);
  require(
      text.front() != ' ' && text.back() != ' ' && text.back() != '\n' && text.back() != '\t' && text.back() != '\r',
      "raw JSON text has no surrounding whitespace", text);
  // Re-parsed by a second On-Demand parser and by the DOM parser (which may only refuse numbers beyond 64 bits).
  require(qurable_fuzz::check(padded) != qurable_fuzz::verdict::invalid,
          "raw JSON text re-parses as one complete value", text);
}

// --- the views -----------------------------------------------------------------------------------------------------

void touch(const qw::event_envelope& e, bool known) {
  touch(e.event_type);
  touch(e.status);
  touch(e.loyalty_event_key);
  touch(e.loyalty_event_id);
  touch(e.system_unique_key);
  touch(e.loyalty_member_id);
  touch(e.created_at);
  touch(e.updated_at);
  touch(e.external_event_date);
  touch(e.external_id);
  touch(e.last_error);
  touch(e.description);
  touch(e.tags);
  touch(e.evaluation_status);
  touch(e.evaluation_results);
  touch(e.execution_results, known);
  touch(e.payload, known);
}

void touch(const qw::member_profile& p) {
  touch(p.name);
  touch(p.email);
  if (p.gov_id) {
    touch(p.gov_id->id);
    touch(p.gov_id->type);
    touch(p.gov_id->issuing_country);
  }
  std::size_t n = 0;
  for (const std::string_view email : p.emails) {
    touch(email);
    ++n;
  }
  require(n == p.emails.size() && p.emails.empty() == (n == 0), "array_view size and iteration agree");
  for (std::size_t i = 0; i < p.emails.size(); ++i) touch(p.emails[i]);
  touch(p.last_name);
  touch(p.birthdate);
  touch(p.phone_number);
}

void touch(const qw::member& m) {
  std::size_t n = 0;
  for (const qw::tier& t : m.tiers) {
    touch(t.loyalty_tier_id);
    touch(t.loyalty_program_id);
    touch(t.loyalty_manual_tier_id);
    touch(t.loyalty_system_tier_id);
    ++n;
  }
  require(n == m.tiers.size(), "array_view size and iteration agree");
  touch(m.active);
  touch(m.on_chain.wallets);
  touch(m.profile);
  touch(m.created_at);
  touch(m.updated_at);
  n = 0;
  for (const qw::organization& o : m.organizations) {
    touch(o.active);
    touch(o.created_at);
    touch(o.updated_at);
    touch(o.loyalty_member_id);
    touch(o.public_loyalty_member_id);
    ++n;
  }
  require(n == m.organizations.size(), "array_view size and iteration agree");
  touch(m.ledger_wallet_id);
  touch(m.ledger_wallet_key);
}

void touch(const qw::member_created& e) {
  touch(e.execution_results);
  touch(e.payload.active);
  touch(e.payload.profile);
  touch(e.payload.loyalty_member_id);
  touch(e.payload.public_loyalty_member_id);
}

void touch(const qw::coupon& c) {
  touch(c.code);
  touch(c.created_at);
  touch(c.expired_at);
  touch(c.updated_at);
  touch(c.total_usages);
  touch(c.total_assigned);
  touch(c.coupon_book_key);
  touch(c.custom_attributes);
}

void touch(const qw::coupon_usage& u) {
  touch(u.coupon);
  touch(u.created_at);
  touch(u.updated_at);
  touch(u.amount_used);
  touch(u.amount_assigned);
  touch(u.coupon_usage_key);
  touch(u.reverted_usage_id);
  touch(u.system_unique_key);
  touch(u.loyalty_member_id);
  touch(u.custom_attributes);
  touch(u.updated_total_usages);
  touch(u.updated_total_assigned);
}

void touch(const qw::coupon_event& e) {
  touch(e.execution_results);
  touch(e.payload.usage);
  const qw::coupon_book& b = e.payload.coupon_book;
  touch(b.coupon_book_key);
  touch(b.name);
  touch(b.type);
  touch(b.external_id);
  touch(b.picture_url);
  touch(b.description);
  touch(b.valid_to_date);
  touch(b.valid_from_date);
  touch(b.discount_type);
  touch(b.discount_amount);
  touch(b.tags);
  touch(b.custom_attributes);
}

void check_event(const qw::event& e) {
  const qw::event_type type = e.type();
  const qw::event_envelope& env = e.envelope();
  require(qw::to_event_type(env.event_type) == type, "the event's type is its eventType's", env.event_type);

  // Drift records: a documented field of another JSON type, read as absent; its value is validated JSON in the body.
  for (const qw::drift_record& d : e.drift()) {
    require(d.event_type == env.event_type, "a drift record names the event's type", d.path);
    require(d.path.substr(0, 7) == "/event/", "a drift path is a JSON Pointer below /event", d.path);
    require(d.found == "string" || d.found == "number" || d.found == "boolean" || d.found == "null" ||
                d.found == "object" || d.found == "array",
            "a drift record says what was found", d.found);
    touch(qw::to_string(d.expected));
    touch(d.value, true);
  }

  const auto* member = e.get_if<qw::member_created>();
  const auto* assigned = e.get_if<qw::coupon_code_assigned>();
  const auto* used = e.get_if<qw::coupon_code_used>();
  const auto* coupon = e.get_if<qw::coupon_event>();
  require((member != nullptr) == (type == qw::event_type::member_created), "get_if<member_created>");
  require((assigned != nullptr) == (type == qw::event_type::coupon_code_assigned), "get_if<coupon_code_assigned>");
  require((used != nullptr) == (type == qw::event_type::coupon_code_used), "get_if<coupon_code_used>");
  require(coupon == (assigned != nullptr ? static_cast<const qw::coupon_event*>(assigned) : used),
          "get_if<coupon_event> is the coupon event");

  const bool known = type != qw::event_type::unknown;
  touch(env, known);
  if (member != nullptr) {
    require(&member->envelope == &env, "a typed event's envelope is envelope()");
    touch(*member);
  }
  if (coupon != nullptr) {
    require(&coupon->envelope == &env, "a typed event's envelope is envelope()");
    touch(*coupon);
  }
  if (known) {
    require(env.execution_results.text().front() == '{' && env.payload.text().front() == '{',
            "a known event's executionResults and payload are objects");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The body in an allocation of exactly size + SIMDJSON_PADDING bytes, read in place: any read past the padding is
  // an ASan report, and raw JSON views can be checked to lie inside it. The padding's content varies: the parse
  // must not depend on it.
  std::unique_ptr<char[]> buffer(new char[size + simdjson::SIMDJSON_PADDING]);
  if (size != 0) std::memcpy(buffer.get(), data, size);
  const char fill = size == 0 ? '\0' : "\0\"}] 1\\"[data[size - 1] % 7];
  std::memset(buffer.get() + size, fill, simdjson::SIMDJSON_PADDING);
  g_body = body_buffer{buffer.get(), buffer.get() + size};

  static qw::parser parser;
  const qw::parse_result result =
      parser.parse(simdjson::padded_string_view(buffer.get(), size, size + simdjson::SIMDJSON_PADDING));

  // Drift and strict agree: strict rejects whatever the default rejects; it accepts exactly the bodies the default
  // accepts without drift, and rejects a drifted one with wrong_type at the first drift record's path.
  static qw::parser strict([] {
    qw::parser_options options;
    options.strict = true;
    return options;
  }());
  const qw::parse_result strict_result =
      strict.parse(simdjson::padded_string_view(buffer.get(), size, size + simdjson::SIMDJSON_PADDING));
  if (!result) {
    require(!strict_result, "strict rejects what the default rejects");
  } else if (result->drift().empty()) {
    require(static_cast<bool>(strict_result), "strict accepts a body the default reads without drift");
  } else {
    require(!strict_result && strict_result.error().code == qw::error_code::wrong_type &&
                strict_result.error().path == result->drift()[0].path,
            "strict rejects a drifted body with wrong_type at the first drift", result->drift()[0].path);
  }

  if (!result) {
    const qw::parse_error& error = result.error();
    require(error.code != qw::error_code::none, "a rejection has a code");
    require(!error.message.empty(), "a rejection has a message");
    touch(error.message);
    touch(error.path);
    require(error.path.empty() || error.path.front() == '/', "an error path is a JSON Pointer", error.path);
    return 0;
  }
  require(result.error().code == qw::error_code::none, "an accepted body has error code none");
  check_event(result.value());
  return 0;
}
