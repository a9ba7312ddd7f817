#pragma once
// Body → validated, decoded event. One parser per thread; reuse it: a warm parser allocates nothing per event.

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <simdjson.h>

#include "../detail/decoder.hpp"
#include "../error.hpp"
#include "../events/coupon_events.hpp"
#include "../events/drift.hpp"
#include "../events/event_envelope.hpp"
#include "../events/event_type.hpp"
#include "../events/json.hpp"
#include "../events/known_events.hpp"
#include "../events/member_created.hpp"

namespace qurable::webhooks {

struct parser_options {
  // Larger bodies are rejected (error_code::body_too_large, HTTP 413) before any parsing.
  std::size_t max_body_size = std::size_t{1} << 20;
  // Deepest nesting accepted anywhere in the body; the platform's events nest 5 levels deep. Validation recurses once
  // per level, so the parser caps this at max_depth_limit to bound its stack use on small request-thread stacks.
  std::size_t max_depth = 64;
  // Schema drift (events/drift.hpp): by default a documented field that may be absent (optional or nullable), of
  // another JSON type, reads as absent with a drift record, and the event is dispatched; a required non-optional
  // member is wrong_type (HTTP 422) in every mode. Strict: every drift is rejected (wrong_type, HTTP 422).
  bool strict = false;

  static constexpr std::size_t max_depth_limit = 256;
};

// Why a body was rejected. The strings belong to the parser: valid until its next parse.
struct parse_error {
  error_code code = error_code::none;
  std::string_view message;
  std::string_view path;  // JSON Pointer of the offending value, e.g. "/event/executionResults/tiers/0"; may be empty
};

// A decoded event. Every view in it borrows the parser (decoded strings, lists) and the body (raw JSON text):
// it is valid until the parser's next parse() or destruction, and the body must stay alive and unchanged as long.
class event {
 public:
  event_type type() const noexcept { return type_; }
  const event_envelope& envelope() const noexcept { return *envelope_; }
  // The documented fields that came with another JSON type and were read as absent (empty when none). Views into
  // the parser and the body, like the event. See events/drift.hpp.
  array_view<drift_record> drift() const noexcept { return drift_; }

  // The typed view when the event is of type T (one of known_events: member_created, coupon_code_assigned,
  // coupon_code_used), or of a type derived from T (coupon_event: either coupon type); else nullptr.
  template <class T>
  const T* get_if() const noexcept {
    static_assert(any_is<T>(std::make_index_sequence<known_events::size>{}),
                  "get_if<T>: T is not an event type of the SDK (known_events) nor a base of one");
    return find<T>(std::make_index_sequence<known_events::size>{});
  }

 private:
  friend class parser;
  using storage = detail::event_storage<known_events>;

  template <class T, std::size_t... I>
  static constexpr bool any_is(std::index_sequence<I...>) noexcept {
    return (std::is_base_of_v<T, typename detail::type_at<I, known_events>::type> || ...);
  }

  template <class T, std::size_t... I>
  const T* find(std::index_sequence<I...>) const noexcept {
    const T* found = nullptr;
    (void)((std::is_base_of_v<T, typename detail::type_at<I, known_events>::type> &&
                    type_ == static_cast<event_type>(I + 1)
                ? (found = get_at<T, I>(), true)
                : false) ||
           ...);
    return found;
  }

  template <class T, std::size_t I>
  const T* get_at() const noexcept {
    if constexpr (std::is_base_of_v<T, typename detail::type_at<I, known_events>::type>) {
      return &std::get<I>(storage_->events);
    } else {
      return nullptr;
    }
  }

  event_type type_ = event_type::unknown;
  const event_envelope* envelope_ = nullptr;
  const storage* storage_ = nullptr;
  array_view<drift_record> drift_;
};

// Either an event or the reason there is none.
class parse_result {
 public:
  explicit operator bool() const noexcept { return event_ != nullptr; }
  // Only when the result is true.
  const event& value() const noexcept { return *event_; }
  const event* operator->() const noexcept { return event_; }
  const event& operator*() const noexcept { return *event_; }
  // Code none when the result is true.
  const parse_error& error() const noexcept { return error_; }

 private:
  friend class parser;
  const event* event_ = nullptr;
  parse_error error_;
};

class parser {
 public:
  explicit parser(parser_options options = {}) : options_(clamped(options)), json_(options.max_body_size) {}

  // Views handed out point into the parser: it stays where it is.
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;
  parser(parser&&) = delete;
  parser& operator=(parser&&) = delete;

  // The options in force: max_depth is at most parser_options::max_depth_limit.
  const parser_options& options() const noexcept { return options_; }

  // The drift records of the last parse (see event::drift()); empty after a rejected body. Valid until the next
  // parse, like the event: a receiver's drift hook reads them after dispatch.
  array_view<drift_record> drift() const noexcept {
    return array_view<drift_record>(drift_.records.data(), drift_.records.size());
  }

  // A body without known padding: copied once into the parser's reusable buffer (simdjson reads up to
  // SIMDJSON_PADDING bytes past the end). Use one of the overloads below to avoid the copy.
  parse_result parse(std::string_view body) { return parse(body.data(), body.size(), 0); }
  parse_result parse(const char* body) { return parse(std::string_view(body)); }

  // A std::string is read in place when its capacity leaves SIMDJSON_PADDING spare bytes
  // (`body.reserve(body.size() + simdjson::SIMDJSON_PADDING)`), and copied otherwise.
  parse_result parse(const std::string& body) { return parse(body.data(), body.size(), body.capacity()); }
  // The event borrows the body: a temporary would be gone before the event is read.
  parse_result parse(std::string&& body) = delete;

  // Padded buffers are read in place, never copied.
  parse_result parse(const simdjson::padded_string& body) {
    return parse(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING);
  }
  parse_result parse(simdjson::padded_string&& body) = delete;

  // A buffer the caller promises has `capacity` readable bytes (capacity >= size + SIMDJSON_PADDING for no copy).
  parse_result parse(simdjson::padded_string_view body) { return parse(body.data(), body.size(), body.capacity()); }

  parse_result parse(const char* data, std::size_t size, std::size_t capacity) {
    error_.clear();
    arena_.clear();
    drift_.clear();
    parse_result result;
    if (size > options_.max_body_size) {
      return reject(result, error_code::body_too_large, "the body is larger than max_body_size");
    }
    // A UTF-8 byte order mark is skipped in place (simdjson 3.0.1 does not skip it; 3.6 does).
    if (size >= 3 && static_cast<unsigned char>(data[0]) == 0xEF && static_cast<unsigned char>(data[1]) == 0xBB &&
        static_cast<unsigned char>(data[2]) == 0xBF) {
      data += 3;
      size -= 3;
      capacity = capacity >= 3 ? capacity - 3 : 0;
    }
    if (is_blank(data, size)) return reject(result, error_code::empty_body, "the body is empty");
    const char* input = data;
    // Checked here because simdjson 3.0.1 accepts a capacity smaller than the length (simdjson issue 2120).
    if (capacity < size || capacity - size < simdjson::SIMDJSON_PADDING) {
      if (!copy_to_padded_buffer(data, size)) return reject(result, error_code::internal, "out of memory");
      input = buffer_.get();
    }
    detail::od::document doc;
    if (auto e = json_.iterate(simdjson::padded_string_view(input, size, size + simdjson::SIMDJSON_PADDING)).get(doc)) {
      return reject(result, detail::from_simdjson(e), detail::error_text(e));
    }
    detail::decoder decoder(doc, std::string_view(input, size), arena_, error_, drift_, options_.max_depth,
                            options_.strict);
    detail::decoder::result decoded;
    if (decoder.decode_document(storage_, decoded) != error_code::none) {
      drift_.clear();
      return reject(result);
    }
    drift_.finish(decoded.envelope->event_type);
    event_.drift_ = drift();
    event_.type_ = decoded.type;
    event_.envelope_ = decoded.envelope;
    event_.storage_ = &storage_;
    result.event_ = &event_;
    return result;
  }

 private:
  // simdjson's parser tracks DEFAULT_MAX_DEPTH (1024) levels, more than any depth this parser accepts (+2: simdjson
  // counts the root as 1 and records the position of a container's children).
  static_assert(parser_options::max_depth_limit + 2 <= simdjson::DEFAULT_MAX_DEPTH);

  static parser_options clamped(parser_options options) noexcept {
    if (options.max_depth > parser_options::max_depth_limit) options.max_depth = parser_options::max_depth_limit;
    return options;
  }

  static bool is_blank(const char* data, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) {
      const char c = data[i];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    }
    return true;
  }

  bool copy_to_padded_buffer(const char* data, std::size_t size) {
    const std::size_t needed = size + simdjson::SIMDJSON_PADDING;
    if (needed > buffer_capacity_) {
      const std::size_t grown = needed > 2 * buffer_capacity_ ? needed : 2 * buffer_capacity_;
      buffer_.reset(new (std::nothrow) char[grown]);
      buffer_capacity_ = buffer_ ? grown : 0;
      if (!buffer_) return false;
    }
    std::memcpy(buffer_.get(), data, size);
    std::memset(buffer_.get() + size, 0, simdjson::SIMDJSON_PADDING);
    return true;
  }

  parse_result& reject(parse_result& result, error_code code, std::string_view message) {
    error_.code = code;
    error_.message.assign(message);
    error_.path.clear();
    return reject(result);
  }

  parse_result& reject(parse_result& result) const noexcept {
    result.error_ = parse_error{error_.code, error_.message, error_.path};
    return result;
  }

  parser_options options_;
  detail::od::parser json_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;
  detail::arena arena_;
  detail::error_state error_;
  detail::drift_log drift_;
  event::storage storage_;
  event event_;
};

}  // namespace qurable::webhooks
