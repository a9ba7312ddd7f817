// The candidates. The JSON-library baselines walk every value of the document the same way: keys and strings
// touched, numbers read as the type the library parsed them to, booleans and nulls folded. The SDK "full" visitor
// reads every field of the typed view instead, and also parses every timestamp, which the baselines do not.

#include "candidates.hpp"

#include <chrono>
#include <cstddef>
#include <optional>

#include <rapidjson/document.h>
#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <qurable/webhooks.hpp>

namespace qurable_bench {
namespace {

namespace qw = qurable::webhooks;

// --- the SDK, reading everything -------------------------------------------------------------------------------

void touch(sink& s, std::string_view v) { s.add(v); }
void touch(sink& s, const std::optional<std::string_view>& v) {
  if (v) {
    s.add(*v);
  } else {
    s.add_null();
  }
}
void touch(sink& s, const std::optional<std::int64_t>& v) {
  if (v) {
    s.add(*v);
  } else {
    s.add_null();
  }
}
void touch(sink& s, const qw::raw_json& v) { s.add(v.text()); }
// A timestamp is read the way a handler would: parsed into a time_point.
void touch(sink& s, const qw::timestamp& v) {
  qw::time_point t{};
  if (v.get(t) == qw::error_code::none) {
    s.add(static_cast<std::int64_t>(t.time_since_epoch().count()));
  } else {
    s.add(v.raw());
  }
}
void touch(sink& s, const std::optional<qw::timestamp>& v) {
  if (v) {
    touch(s, *v);
  } else {
    s.add_null();
  }
}

void touch(sink& s, const qw::event_envelope& e) {
  touch(s, e.event_type);
  touch(s, e.status);
  touch(s, e.loyalty_event_key);
  touch(s, e.loyalty_event_id);
  touch(s, e.system_unique_key);
  touch(s, e.loyalty_member_id);
  touch(s, e.created_at);
  touch(s, e.updated_at);
  touch(s, e.external_event_date);
  touch(s, e.external_id);
  touch(s, e.last_error);
  touch(s, e.description);
  touch(s, e.tags);
  touch(s, e.evaluation_status);
  touch(s, e.evaluation_results);
  touch(s, e.execution_results);
  touch(s, e.payload);
}

void touch(sink& s, const qw::member_profile& p) {
  touch(s, p.name);
  touch(s, p.email);
  if (p.gov_id) {
    touch(s, p.gov_id->id);
    touch(s, p.gov_id->type);
    touch(s, p.gov_id->issuing_country);
  } else {
    s.add_null();
  }
  for (std::string_view email : p.emails) touch(s, email);
  touch(s, p.last_name);
  touch(s, p.birthdate);
  touch(s, p.phone_number);
}

void touch(sink& s, const qw::member_created& e) {
  touch(s, e.envelope);
  const qw::member& m = e.execution_results;
  for (const qw::tier& t : m.tiers) {
    s.add(t.loyalty_tier_id);
    s.add(t.loyalty_program_id);
    touch(s, t.loyalty_manual_tier_id);
    touch(s, t.loyalty_system_tier_id);
  }
  s.add(m.active);
  touch(s, m.on_chain.wallets);
  touch(s, m.profile);
  touch(s, m.created_at);
  touch(s, m.updated_at);
  for (const qw::organization& o : m.organizations) {
    s.add(o.active);
    touch(s, o.created_at);
    touch(s, o.updated_at);
    touch(s, o.loyalty_member_id);
    touch(s, o.public_loyalty_member_id);
  }
  touch(s, m.ledger_wallet_id);
  touch(s, m.ledger_wallet_key);
  const qw::member_request& r = e.payload;
  s.add(r.active);
  touch(s, r.profile);
  touch(s, r.loyalty_member_id);
  touch(s, r.public_loyalty_member_id);
}

void touch(sink& s, const qw::coupon& c) {
  touch(s, c.code);
  touch(s, c.created_at);
  touch(s, c.expired_at);
  touch(s, c.updated_at);
  s.add(c.total_usages);
  s.add(c.total_assigned);
  touch(s, c.coupon_book_key);
  touch(s, c.custom_attributes);
}

void touch(sink& s, const qw::coupon_usage& u) {
  touch(s, u.coupon);
  touch(s, u.created_at);
  touch(s, u.updated_at);
  s.add(u.amount_used);
  s.add(u.amount_assigned);
  touch(s, u.coupon_usage_key);
  touch(s, u.reverted_usage_id);
  touch(s, u.system_unique_key);
  touch(s, u.loyalty_member_id);
  touch(s, u.custom_attributes);
  s.add(u.updated_total_usages);
  s.add(u.updated_total_assigned);
}

void touch(sink& s, const qw::coupon_event& e) {
  touch(s, e.envelope);
  touch(s, e.execution_results);
  touch(s, e.payload.usage);
  const qw::coupon_book& b = e.payload.coupon_book;
  touch(s, b.coupon_book_key);
  touch(s, b.name);
  touch(s, b.type);
  touch(s, b.external_id);
  touch(s, b.picture_url);
  touch(s, b.description);
  touch(s, b.valid_to_date);
  touch(s, b.valid_from_date);
  touch(s, b.discount_type);
  s.add(b.discount_amount);
  touch(s, b.tags);
  touch(s, b.custom_attributes);
}

struct full_visitor {
  sink* out;
  void operator()(const qw::member_created& e) const { touch(*out, e); }
  void operator()(const qw::coupon_event& e) const { touch(*out, e); }
  void operator()(const qw::event_envelope& e) const { touch(*out, e); }
};

class sdk_full final : public candidate {
 public:
  const char* name() const noexcept override { return "full"; }
  bool run(const std::string& body, sink& out) override {
    const qw::outcome result = qw::receive(parser_, body, full_visitor{&out});
    return result.kind == qw::outcome_kind::dispatched;
  }

 private:
  qw::parser parser_;
};

// --- the SDK, reading nothing: the price of validation, decoding and dispatch -----------------------------------

class sdk_envelope final : public candidate {
 public:
  const char* name() const noexcept override { return "envelope"; }
  bool run(const std::string& body, sink& out) override {
    const qw::outcome result =
        qw::receive(parser_, body,
                    qw::overloaded{[](const qw::member_created&) {}, [](const qw::coupon_event&) {},
                                   [](const qw::event_envelope&) {}});
    out.add(static_cast<std::uint64_t>(result.http_status));
    return result.kind == qw::outcome_kind::dispatched;
  }

 private:
  qw::parser parser_;
};

// --- simdjson DOM ----------------------------------------------------------------------------------------------

void walk_dom(sink& s, simdjson::dom::element v) {
  using type = simdjson::dom::element_type;
  // The type was just checked, so the get() calls cannot fail: their error is ignored on purpose.
  switch (v.type()) {
    case type::OBJECT: {
      simdjson::dom::object obj;
      if (v.get(obj)) break;
      for (simdjson::dom::key_value_pair field : obj) {
        s.add(field.key);
        walk_dom(s, field.value);
      }
      break;
    }
    case type::ARRAY: {
      simdjson::dom::array arr;
      if (v.get(arr)) break;
      for (simdjson::dom::element item : arr) walk_dom(s, item);
      break;
    }
    case type::STRING: {
      std::string_view str;
      if (!v.get(str)) s.add(str);
      break;
    }
    case type::INT64: {
      std::int64_t n = 0;
      if (!v.get(n)) s.add(n);
      break;
    }
    case type::UINT64: {
      std::uint64_t n = 0;
      if (!v.get(n)) s.add(n);
      break;
    }
    case type::DOUBLE: {
      double d = 0;
      if (!v.get(d)) s.add(d);
      break;
    }
    case type::BOOL: {
      bool b = false;
      if (!v.get(b)) s.add(b);
      break;
    }
    case type::NULL_VALUE: s.add_null(); break;
    default: s.add_null(); break;  // types added by later simdjson versions (big integers)
  }
}

class simdjson_dom final : public candidate {
 public:
  const char* name() const noexcept override { return "dom"; }
  bool run(const std::string& body, sink& out) override {
    simdjson::dom::element root;
    if (parser_.parse(body.data(), body.size(), false).get(root)) return false;
    walk_dom(out, root);
    return true;
  }

 private:
  simdjson::dom::parser parser_;
};

// --- simdjson On-Demand, one field: the floor for any dispatcher that must find eventType ------------------------

class simdjson_stage1 final : public candidate {
 public:
  const char* name() const noexcept override { return "stage1"; }
  bool run(const std::string& body, sink& out) override {
    simdjson::ondemand::document doc;
    if (parser_.iterate(simdjson::padded_string_view(body.data(), body.size(), body.capacity())).get(doc)) {
      return false;
    }
    std::string_view type;
    if (doc["event"]["eventType"].get_string().get(type)) return false;
    out.add(type);
    return true;
  }

 private:
  simdjson::ondemand::parser parser_;
};

// --- RapidJSON -------------------------------------------------------------------------------------------------

template <class Value>
void walk_rapidjson(sink& s, const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kObjectType:
      for (auto field = v.MemberBegin(); field != v.MemberEnd(); ++field) {
        s.add(std::string_view(field->name.GetString(), field->name.GetStringLength()));
        walk_rapidjson(s, field->value);
      }
      break;
    case rapidjson::kArrayType:
      for (auto item = v.Begin(); item != v.End(); ++item) walk_rapidjson(s, *item);
      break;
    case rapidjson::kStringType: s.add(std::string_view(v.GetString(), v.GetStringLength())); break;
    case rapidjson::kNumberType:
      if (v.IsInt64()) {
        s.add(static_cast<std::int64_t>(v.GetInt64()));
      } else if (v.IsUint64()) {
        s.add(static_cast<std::uint64_t>(v.GetUint64()));
      } else {
        s.add(v.GetDouble());
      }
      break;
    case rapidjson::kTrueType: s.add(true); break;
    case rapidjson::kFalseType: s.add(false); break;
    case rapidjson::kNullType: s.add_null(); break;
  }
}

// RapidJSON at its fastest DOM setting: both allocators work in buffers reused for every event, so it does not
// call malloc for bodies of this size. Default parse flags (note: they do not validate UTF-8; simdjson does).
class rapidjson_dom final : public candidate {
 public:
  const char* name() const noexcept override { return "rapidjson"; }
  bool run(const std::string& body, sink& out) override {
    using pool = rapidjson::MemoryPoolAllocator<>;
    pool values(value_buffer_.get(), buffer_size);
    pool stack(stack_buffer_.get(), buffer_size);
    rapidjson::GenericDocument<rapidjson::UTF8<>, pool, pool> doc(&values, 1024, &stack);
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError()) return false;
    walk_rapidjson(out, doc);
    return true;
  }

 private:
  static constexpr std::size_t buffer_size = 256 * 1024;
  std::unique_ptr<char[]> value_buffer_ = std::make_unique<char[]>(buffer_size);
  std::unique_ptr<char[]> stack_buffer_ = std::make_unique<char[]>(buffer_size);
};

// --- nlohmann::json --------------------------------------------------------------------------------------------

void walk_nlohmann(sink& s, const nlohmann::json& v) {
  using type = nlohmann::json::value_t;
  switch (v.type()) {
    case type::object:
      for (const auto& field : v.get_ref<const nlohmann::json::object_t&>()) {
        s.add(std::string_view(field.first));
        walk_nlohmann(s, field.second);
      }
      break;
    case type::array:
      for (const nlohmann::json& item : v.get_ref<const nlohmann::json::array_t&>()) walk_nlohmann(s, item);
      break;
    case type::string: s.add(std::string_view(v.get_ref<const std::string&>())); break;
    case type::number_integer: s.add(static_cast<std::int64_t>(v.get<nlohmann::json::number_integer_t>())); break;
    case type::number_unsigned: s.add(static_cast<std::uint64_t>(v.get<nlohmann::json::number_unsigned_t>())); break;
    case type::number_float: s.add(v.get<double>()); break;
    case type::boolean: s.add(v.get<bool>()); break;
    case type::null: s.add_null(); break;
    default: s.add_null(); break;  // binary and discarded never come out of a successful text parse
  }
}

class nlohmann_dom final : public candidate {
 public:
  const char* name() const noexcept override { return "nlohmann"; }
  bool run(const std::string& body, sink& out) override {
    const nlohmann::json doc = nlohmann::json::parse(body.data(), body.data() + body.size(), nullptr, false);
    if (doc.is_discarded()) return false;
    walk_nlohmann(out, doc);
    return true;
  }
};

}  // namespace

std::vector<std::unique_ptr<candidate>> make_candidates() {
  std::vector<std::unique_ptr<candidate>> all;
  all.push_back(std::make_unique<sdk_full>());
  all.push_back(std::make_unique<sdk_envelope>());
  all.push_back(std::make_unique<simdjson_dom>());
  all.push_back(std::make_unique<simdjson_stage1>());
  all.push_back(std::make_unique<rapidjson_dom>());
  all.push_back(std::make_unique<nlohmann_dom>());
  return all;
}

}  // namespace qurable_bench
