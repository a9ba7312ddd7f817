// The bench's events. The generated variants follow the fixtures' member order (the order the platform sends)
// but are compact, as a Node.js platform's JSON.stringify output is, and carry what real deliveries carry and the
// fixtures leave null: many tiers, organizations and e-mails, wallets, coupon and order customAttributes, tags,
// evaluation results, escaped and non-ASCII strings.

#include "corpus.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include <simdjson.h>

namespace qurable_bench {
namespace {

// Builds compact JSON; puts the commas where they belong so the generators below read like the payloads.
class json_writer {
 public:
  json_writer& begin_object() {
    before_value();
    out_ += '{';
    need_comma_ = false;
    return *this;
  }
  json_writer& end_object() {
    out_ += '}';
    need_comma_ = true;
    return *this;
  }
  json_writer& begin_array() {
    before_value();
    out_ += '[';
    need_comma_ = false;
    return *this;
  }
  json_writer& end_array() {
    out_ += ']';
    need_comma_ = true;
    return *this;
  }
  json_writer& key(std::string_view name) {
    if (need_comma_) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
    after_key_ = true;
    return *this;
  }
  // `escaped` is the string's content as it appears between the quotes (escapes already written).
  json_writer& string(std::string_view escaped) { return token('"', escaped, '"'); }
  json_writer& number(std::int64_t n) { return literal(std::to_string(n)); }
  // A number written as its JSON text, e.g. "1500.5".
  json_writer& literal(std::string_view text) { return token('\0', text, '\0'); }
  json_writer& boolean(bool b) { return literal(b ? "true" : "false"); }
  json_writer& null() { return literal("null"); }

  template <class Value>
  json_writer& member(std::string_view name, const Value& value) {
    key(name);
    if constexpr (std::is_same_v<Value, bool>) {
      return boolean(value);
    } else if constexpr (std::is_integral_v<Value>) {
      return number(static_cast<std::int64_t>(value));
    } else {
      return string(value);
    }
  }
  json_writer& null_member(std::string_view name) { return key(name).null(); }

  std::string take() { return std::move(out_); }

 private:
  void before_value() {
    if (after_key_) {
      after_key_ = false;
    } else if (need_comma_) {
      out_ += ',';
    }
  }
  json_writer& token(char open, std::string_view text, char close) {
    before_value();
    if (open != '\0') out_ += open;
    out_ += text;
    if (close != '\0') out_ += close;
    need_comma_ = true;
    return *this;
  }

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

// Deterministic ids and dates: a fixed-seed generator, so the corpus is byte-identical on every run.
class generator {
 public:
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;  // splitmix64
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }

  // "ev_01JSKZG24NMDB0RRQHF247NSCX"-style keys: a prefix and 26 Crockford base32 characters.
  std::string key(std::string_view prefix) {
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::string s(prefix);
    s += "_01J";
    for (int i = 0; i < 23; ++i) s += alphabet[below(32)];
    return s;
  }
  std::string uuid() {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
      s += hex[below(16)];
    }
    return s;
  }
  std::string digits(int count) {
    std::string s(1, static_cast<char>('1' + below(9)));
    while (static_cast<int>(s.size()) < count) s += static_cast<char>('0' + below(10));
    return s;
  }
  std::string hex(int count) {
    static constexpr char alphabet[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < count; ++i) s += alphabet[below(16)];
    return s;
  }
  // Each draw is its own statement below: the order in which function arguments or the operands of + are
  // evaluated is unspecified, and GCC and Clang differ, which would make the corpus depend on the compiler.

  // A valid platform timestamp in 2025, e.g. "2025-04-24T13:22:50.049Z".
  std::string timestamp() {
    const unsigned month = 1 + below(12);
    const unsigned day = 1 + below(28);
    const unsigned hour = below(24);
    const unsigned minute = below(60);
    const unsigned second = below(60);
    const unsigned millis = below(1000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "2025-%02u-%02uT%02u:%02u:%02u.%03uZ", month, day, hour, minute, second, millis);
    return buf;
  }
  std::string amount() {  // e.g. "1234.5"
    std::string s = std::to_string(1 + below(20000));
    s += '.';
    s += std::to_string(below(100));
    return s;
  }
  std::string public_member_id() {  // e.g. "11111-11111"
    std::string s = digits(5);
    s += '-';
    s += digits(5);
    return s;
  }

 private:
  std::uint64_t state_ = 0x5EED0F0000ABCDEFULL;
};

void write_profile(json_writer& w, generator& g, int email_count) {
  w.begin_object();
  w.member("name", "Jos\\u00e9 Mar\\u00eda");
  w.member("email", "jose.maria.fernandez@example.com");
  w.key("govId").begin_object().member("id", g.digits(8)).member("type", "DNI").member("issuingCountry", "Ar");
  w.end_object();
  w.key("emails").begin_array();
  for (int i = 0; i < email_count; ++i) {
    w.string("jose.maria.fernandez+" + std::to_string(i) + "@" + (i % 2 ? "example.com" : "mail.example.org"));
  }
  w.end_array();
  w.member("lastName", "Fern\\u00e1ndez \\\"Pepe\\\"");
  w.member("birthdate", "1987-09-14T00:00:00.000Z");
  w.member("phoneNumber", "54911" + g.digits(8));
  w.end_object();
}

std::string member_created_large() {
  generator g;
  json_writer w;
  const std::string member_id = "jose.maria.fernandez@example.com";
  const std::string public_id = g.public_member_id();
  w.begin_object().key("event").begin_object();
  w.member("loyaltyEventId", g.digits(7));
  w.member("eventType", "member-created");
  w.member("status", "success");

  w.key("executionResults").begin_object();
  w.key("tiers").begin_array();
  for (int i = 0; i < 12; ++i) {
    w.begin_object().member("loyaltyTierId", 1 + i).member("loyaltyProgramId", 1 + i / 4);
    if (i % 3 == 0) {
      w.member("loyaltyManualTierId", 100 + i);
    } else {
      w.null_member("loyaltyManualTierId");
    }
    w.member("loyaltySystemTierId", 1 + i).end_object();
  }
  w.end_array();
  w.member("active", true);
  w.key("onChain").begin_object().key("wallets").begin_array();
  for (int i = 0; i < 3; ++i) {
    w.begin_object().member("address", "0x" + g.hex(40)).member("network", i == 0 ? "polygon" : "base");
    w.member("createdAt", g.timestamp()).key("balances").begin_array();
    for (int b = 0; b < 3; ++b) {
      w.begin_object().member("token", b == 0 ? "QPT" : b == 1 ? "USDC" : "NFT").key("amount").literal(g.amount());
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  w.key("profile");
  write_profile(w, g, 8);
  w.member("createdAt", g.timestamp()).member("updatedAt", g.timestamp());
  w.key("organizations").begin_array();
  for (int i = 0; i < 10; ++i) {
    w.begin_object().member("active", i % 4 != 3).member("createdAt", g.timestamp()).member("updatedAt", g.timestamp());
    w.member("loyaltyMemberId", member_id).member("publicLoyaltyMemberId", g.public_member_id());
    w.end_object();
  }
  w.end_array();
  w.member("ledgerWalletId", 16069).member("ledgerWalletKey", g.key("wal"));
  w.end_object();

  w.key("payload").begin_object().member("active", true).key("profile");
  write_profile(w, g, 8);
  w.member("loyaltyMemberId", member_id).member("publicLoyaltyMemberId", public_id).end_object();

  w.member("externalEventDate", g.timestamp()).member("evaluationStatus", 1);
  w.member("systemUniqueKey", g.uuid()).member("loyaltyEventKey", g.key("ev"));
  w.member("updatedAt", g.timestamp()).member("createdAt", g.timestamp());
  w.member("externalId", "crm-" + g.digits(9)).null_member("lastError");
  w.member("description", "Member created from the mobile app sign-up flow (campaign \\\"Oto\\u00f1o\\\")");
  w.key("tags").begin_array().string("signup").string("mobile").string("ar").end_array();
  w.key("evaluationResults").begin_object().key("rules").begin_array();
  for (int i = 0; i < 4; ++i) {
    w.begin_object().member("ruleKey", g.key("rul")).member("matched", i != 2).key("score").literal("0.87");
    w.end_object();
  }
  w.end_array().end_object();
  w.end_object().end_object();
  return w.take();
}

void write_coupon_attributes(json_writer& w, generator& g) {
  w.begin_object();
  w.member("campaign", "AUTUMN-2025").member("channel", "pos").member("segment", "gold");
  w.key("minPurchase").literal("1500.5");
  w.member("maxDiscount", 3000).member("stackable", false);
  w.key("storeIds").begin_array();
  for (int i = 0; i < 12; ++i) w.number(100 + 3 * i);
  w.end_array();
  w.key("categories").begin_array();
  for (const char* c : {"grocery", "beverages", "bakery", "dairy", "frozen", "household"}) w.string(c);
  w.end_array();
  w.key("terms").begin_object().member("maxUsesPerMember", 3);
  w.key("validDays").begin_array();
  for (const char* d : {"mon", "tue", "wed", "thu", "fri"}) w.string(d);
  w.end_array();
  w.key("excludedSkus").begin_array();
  for (int i = 0; i < 8; ++i) w.string("SKU-" + g.digits(6));
  w.end_array().end_object();
  w.key("metadata").begin_object().member("createdBy", "marketing@example.com").member("approvedBy", g.uuid());
  w.member("note", "Caf\\u00e9 \\\"Le Fran\\u00e7ais\\\" promo \\u2014 not valid on holidays").end_object();
  w.end_object();
}

void write_order_attributes(json_writer& w, generator& g) {
  w.begin_object();
  w.member("orderId", g.key("ord")).member("storeId", 104).member("terminal", "POS-07").member("currency", "ARS");
  w.key("subtotal").literal("18450.9");
  w.key("discount").literal("3690.18");
  w.key("items").begin_array();
  for (int i = 0; i < 6; ++i) {
    w.begin_object().member("sku", "SKU-" + g.digits(6)).member("name", "Yerba mate 1kg \\u00d7 " + std::to_string(i));
    w.member("qty", 1 + i % 3).key("unitPrice").literal(g.amount()).member("category", "grocery").end_object();
  }
  w.end_array();
  w.key("cashier").begin_object().member("id", g.digits(5)).member("name", "Luc\\u00eda G\\u00f3mez").end_object();
  w.end_object();
}

void write_coupon(json_writer& w, generator& g, const std::string& code, const std::string& book_key, int used,
                  bool payload_order) {
  const std::string created = "2025-04-23T03:08:29.976Z";
  w.begin_object().member("code", code);
  if (payload_order) w.member("couponBookKey", book_key);  // the platform sends a different order in payload
  w.member("createdAt", created).member("expiredAt", "2025-06-23T01:52:32.275Z").member("updatedAt", created);
  w.member("totalUsages", used).member("totalAssigned", 1);
  if (!payload_order) w.member("couponBookKey", book_key);
  w.key("customAttributes");
  write_coupon_attributes(w, g);
  w.end_object();
}

void write_usage(json_writer& w, generator& g, const std::string& code, const std::string& book_key,
                 const std::string& usage_key, const std::string& system_key, bool used, bool in_payload) {
  w.begin_object().key("coupon");
  write_coupon(w, g, code, book_key, used ? 1 : 0, in_payload);
  w.member("createdAt", "2025-04-23T03:08:30.031Z").member("updatedAt", "2025-04-23T03:08:30.031Z");
  w.member("amountUsed", used ? 1 : 0).member("amountAssigned", 1).member("couponUsageKey", usage_key);
  if (used) {
    w.member("revertedUsageId", 88231);  // the platform sends some ids as numbers
  } else {
    w.null_member("revertedUsageId");
  }
  w.member("systemUniqueKey", system_key);
  if (in_payload) w.member("loyaltyMemberId", "11111111");
  w.key("customAttributes");
  write_order_attributes(w, g);
  w.member("updatedTotalUsages", used ? 1 : 0).member("updatedTotalAssigned", 1).end_object();
}

std::string coupon_event_large(bool used) {
  generator g;
  json_writer w;
  const std::string code = "PyMsNLgHR3yfMQAAc11viQ";
  const std::string book_key = g.key("cbk");
  const std::string usage_key = g.key("cbu");
  const std::string system_key = g.uuid();
  w.begin_object().key("event").begin_object();
  w.member("eventType", used ? "coupon-code-used" : "coupon-code-assigned").member("loyaltyEventKey", g.key("ev"));
  w.member("updatedAt", "2025-04-23T03:09:35.646Z").member("createdAt", "2025-04-23T03:09:35.646Z");
  w.member("systemUniqueKey", system_key).member("loyaltyMemberId", "11111111").member("status", "success");
  w.key("executionResults");
  write_usage(w, g, code, book_key, usage_key, system_key, used, false);
  w.key("payload").begin_object().key("usage");
  write_usage(w, g, code, book_key, usage_key, system_key, used, true);
  w.key("couponBook").begin_object().member("couponBookKey", book_key).member("name", "20% off \\u2014 Autumn");
  w.member("type", "generated").member("externalId", "Y6QF-AUT25");
  w.member("pictureUrl", "https://cdn.example.com/coupons/autumn-2025/hero@2x.png");
  w.member("description",
           "<p class=\\\"terms\\\">20% off every purchase over $1500.</p>\\n<ul><li>One use per member</li>"
           "<li>Not valid with other promotions</li><li>V\\u00e1lido en sucursales adheridas</li></ul>");
  w.member("validToDate", "2025-06-30T23:59:59.999Z").member("validFromDate", "2025-04-01T00:00:00.000Z");
  w.member("discountType", "percentage").key("discountAmount").literal("12.5");
  w.key("tags").begin_array();
  for (const char* t : {"autumn", "pos", "gold", "grocery"}) w.string(t);
  w.end_array();
  w.key("customAttributes");
  write_coupon_attributes(w, g);
  w.end_object().end_object();
  w.member("externalEventDate", "2025-04-23T03:09:30.000Z").member("evaluationStatus", 0);
  w.member("externalId", "pos-" + g.digits(10)).null_member("lastError").null_member("description");
  w.key("tags").begin_array().string("pos").string("store-104").end_array().null_member("evaluationResults");
  w.end_object().end_object();
  return w.take();
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return static_cast<bool>(in);
}

corpus_event padded(std::string name, std::string body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return corpus_event{std::move(name), std::move(body)};
}

}  // namespace

std::vector<corpus_event> load_corpus(const std::string& fixtures_dir, std::string& error) {
  std::vector<corpus_event> events;
  for (const char* type : {"member-created", "coupon-code-assigned", "coupon-code-used"}) {
    const std::string path = fixtures_dir + "/" + type + ".json";
    std::string body;
    if (!read_file(path, body)) {
      error = "cannot read " + path;
      return {};
    }
    events.push_back(padded(std::string(type) + " (fixture)", std::move(body)));
  }
  events.push_back(padded("member-created (large)", member_created_large()));
  events.push_back(padded("coupon-code-assigned (large)", coupon_event_large(false)));
  events.push_back(padded("coupon-code-used (large)", coupon_event_large(true)));
  return events;
}

}  // namespace qurable_bench
