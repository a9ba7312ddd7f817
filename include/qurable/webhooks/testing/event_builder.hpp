#pragma once
// A test kit for integrators' own tests: the platform's documented example events, a builder that edits them into
// new bodies (another eventType, a missing field, a value of the wrong type...), and request headers to hand to a
// receiver. Core only (simdjson); the Standard Webhooks signer is in signing.hpp (OpenSSL).
//
//   namespace qwt = qurable::webhooks::testing;
//   const std::string body = qwt::event_builder(qwt::examples::coupon_code_used)
//                                .loyalty_event_key("ev_test_1")
//                                .set("/event/executionResults/amountUsed", 3)
//                                .body();
//   auto r = my_receiver.handle("POST", qwt::json_headers(), body);
//
// Not for production paths: the builder favours clarity over speed and allocates freely.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../detail/text.hpp"
#include "../events/event_type.hpp"
#include "detail/json_tree.hpp"
#include "examples.hpp"

namespace qurable::webhooks::testing {

// Edits a JSON document through JSON Pointers and writes it back as compact JSON. Edits chain; the first one that
// fails (a malformed pointer, a missing parent...) is recorded in error() and later edits still apply, so a test
// can check ok() once at the end. Strings are written with the escapes JSON requires and otherwise byte for byte,
// so invalid UTF-8 can be produced on purpose.
class event_builder {
 public:
  // The document to start from: an example by default. Invalid JSON is an error() and starts from null.
  explicit event_builder(std::string_view json = examples::member_created) {
    std::string error;
    if (!detail::parse_json_node(json, root_, error)) fail("the starting document is not JSON", error);
  }

  // Sets the value at `pointer` (RFC 6901, e.g. "/event/executionResults/tiers/0/loyaltyTierId"): replaces it,
  // or adds the member when its parent object lacks it; "-" as the last token appends to an array. `value` is a
  // bool, an integer, a floating-point number (NaN and infinities become null), a string, or nullptr for null.
  template <class T>
  event_builder& set(std::string_view pointer, const T& value) {
    detail::json_node node;
    if constexpr (std::is_same_v<T, bool>) {
      node.type = detail::json_node::kind::boolean;
      node.boolean = value;
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      node.type = detail::json_node::kind::integer;
      node.integer = value;
    } else if constexpr (std::is_integral_v<T>) {
      node.type = detail::json_node::kind::unsigned_integer;
      node.unsigned_integer = value;
    } else if constexpr (std::is_floating_point_v<T>) {
      node.type = detail::json_node::kind::number;
      node.number = static_cast<double>(value);
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      node.type = detail::json_node::kind::null;
    } else {
      static_assert(std::is_convertible_v<const T&, std::string_view>,
                    "event_builder::set takes bool, an integer, a floating-point number, a string or nullptr; "
                    "use set_json() for objects and arrays");
      node.type = detail::json_node::kind::string;
      const std::string_view text = value;
      node.text.assign(text.data(), text.size());
    }
    return put(pointer, std::move(node));
  }

  // Sets the value at `pointer` to a JSON text, e.g. set_json("/event/tags", R"(["vip"])").
  event_builder& set_json(std::string_view pointer, std::string_view json) {
    detail::json_node node;
    std::string error;
    if (!detail::parse_json_node(json, node, error)) return fail("set_json: the value is not JSON", error);
    return put(pointer, std::move(node));
  }

  // Removes the member or array item at `pointer`; an error() when there is none.
  event_builder& remove(std::string_view pointer) {
    if (std::string error = detail::remove_json_node(root_, pointer); !error.empty()) {
      fail(std::string("remove ").append(pointer.data(), pointer.size()), error);
    }
    return *this;
  }

  event_builder& event_type(std::string_view type) { return set("/event/eventType", type); }
  event_builder& loyalty_event_key(std::string_view key) { return set("/event/loyaltyEventKey", key); }

  // True while every edit so far succeeded.
  bool ok() const noexcept { return error_.empty(); }
  // The first failed edit, e.g. "set /event/nope/x: no parent value"; empty when ok().
  const std::string& error() const noexcept { return error_; }

  // The document as compact JSON.
  std::string body() const {
    std::string out;
    detail::write_json(out, root_);
    return out;
  }

 private:
  event_builder& put(std::string_view pointer, detail::json_node node) {
    if (std::string error = detail::set_json_node(root_, pointer, std::move(node)); !error.empty()) {
      fail(std::string("set ").append(pointer.data(), pointer.size()), error);
    }
    return *this;
  }

  event_builder& fail(const std::string& what, const std::string& why) {
    if (error_.empty()) error_ = what + ": " + why;
    return *this;
  }

  detail::json_node root_;
  std::string error_;
};

// Request headers for a receiver under test: a header lookup (`headers(name)`) that matches names
// case-insensitively, as HTTP stacks do. Setting a header again replaces it.
class headers {
 public:
  headers& set(std::string_view name, std::string_view value) {
    for (auto& field : fields_) {
      if (same_name(field.first, name)) {
        field.second.assign(value.data(), value.size());
        return *this;
      }
    }
    fields_.emplace_back(std::string(name), std::string(value));
    return *this;
  }

  headers& remove(std::string_view name) {
    std::vector<value_type> kept;
    for (auto& field : fields_) {
      if (!same_name(field.first, name)) kept.push_back(std::move(field));
    }
    fields_ = std::move(kept);
    return *this;
  }

  std::optional<std::string_view> operator()(std::string_view name) const {
    for (const auto& field : fields_) {
      if (same_name(field.first, name)) return std::string_view(field.second);
    }
    return std::nullopt;
  }

  // Every header as (name, value), in the order first set: to copy them into a real HTTP client's request.
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;
  const_iterator begin() const noexcept { return fields_.begin(); }
  const_iterator end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

 private:
  static bool same_name(std::string_view a, std::string_view b) noexcept { return webhooks::detail::iequals(a, b); }

  std::vector<value_type> fields_;
};

// Headers with "Content-Type: application/json", what the platform sends (unsigned).
inline headers json_headers() { return headers().set("Content-Type", "application/json"); }

}  // namespace qurable::webhooks::testing
