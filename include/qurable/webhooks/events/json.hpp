#pragma once
// Non-owning building blocks of the event views: a list of decoded items and a raw JSON value.
// Both borrow memory owned by a qurable::webhooks::parser (and the body it parsed); see docs/design.md.

#include <cstddef>
#include <string_view>

#include <simdjson.h>

namespace qurable::webhooks {

// A read-only list of decoded items, stored in the parser's reusable arena.
template <class T>
class array_view {
 public:
  using value_type = T;
  using const_iterator = const T*;

  constexpr array_view() noexcept = default;
  constexpr array_view(const T* data, std::size_t size) noexcept : data_(data), size_(size) {}

  constexpr const T* begin() const noexcept { return data_; }
  constexpr const T* end() const noexcept { return data_ + size_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  // Unchecked, like std::span: check size() first.
  constexpr const T& operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  const T* data_ = nullptr;
  std::size_t size_ = 0;
};

// A JSON value the SDK does not model (customAttributes, evaluationResults, unknown members...), kept as its exact
// text inside the received body. It has been validated as JSON (and for nesting depth) before any handler sees it.
class raw_json {
 public:
  constexpr raw_json() noexcept = default;
  constexpr explicit raw_json(std::string_view text) noexcept : text_(text) {}

  // The JSON text, e.g. `{"size":"L"}` or `null`; empty when the member was absent.
  constexpr std::string_view text() const noexcept { return text_; }
  constexpr bool is_absent() const noexcept { return text_.empty(); }
  // True when absent or JSON null.
  constexpr bool is_null() const noexcept { return text_.empty() || text_ == "null"; }

  // The text as input for another simdjson parser, without a copy: it lies inside the padded body, so the
  // SIMDJSON_PADDING bytes after it are readable. Valid as long as the view itself.
  // The text is exactly what was sent: JSON allows numbers beyond a double (1e400), which the SDK accepts here (free-
  // form content never rejects an event), but simdjson reports a number error when such a number is read from this
  // text. Read such a value with raw_json_token() or another JSON parser if it matters.
  simdjson::padded_string_view padded() const noexcept {
    return simdjson::padded_string_view(text_.data(), text_.size(), text_.size() + simdjson::SIMDJSON_PADDING);
  }

 private:
  std::string_view text_;
};

}  // namespace qurable::webhooks
