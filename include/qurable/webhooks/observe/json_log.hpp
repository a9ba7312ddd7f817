#pragma once
// One JSON log line per request, from the same record the metrics use (observer.hpp). Core only: no dependency.
//
//   qw::json_log_observer log;                       // lines to stdout; or json_log_observer(sink) for your logger
//   receiver_options.observer = &log;
//
// A request line (members in this order; those marked "when ..." are left out otherwise):
//   {"log":"request","outcome":"rejected","status":422,"event_type":"member-created","key":"ev_1",
//    "code":"wrong_type","path":"/event/payload/points","bytes":512,
//    "auth_us":3.2,"parse_us":11.5,"store_us":40.0,"handler_us":120.25,"message":"..."}
//   event_type, key: string, or null when not known; code: when not "none"; path, message: when not empty;
//   *_us: microseconds spent in each stage that ran (authentication, parse + decode, idempotency store, handler).
// Drift and store errors get lines of their own:
//   {"log":"drift","event_type":"coupon-code-used","path":"/event/x","expected":"string","found":"number"}
//   {"log":"store_error","operation":"reserve","message":"..."}
// Dead letters and duplicates are requests already (outcome "rejected", "duplicate", ...): no second line.
//
// Each line is formatted into a buffer of the calling thread's (reused: no allocation once warm) and handed to the
// sink whole, newline included, in one call. The default sink writes it to a FILE* with one fwrite (stdio locks the
// stream per call, so lines from concurrent requests do not interleave) and flushes it.

#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "../core/outcome.hpp"
#include "../error.hpp"
#include "../json_writer.hpp"
#include "observer.hpp"

namespace qurable::webhooks {

namespace detail {

inline void write_json_member(std::string& out, std::string_view key) {
  out += ',';
  write_json_string(out, key);
  out += ':';
}

inline void write_json_string_or_null(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "null";
  } else {
    write_json_string(out, text);
  }
}

}  // namespace detail

// Appends the request's line (with its final '\n') to `out`.
inline void format_json_log_line(std::string& out, const request_record& r) {
  out += R"({"log":"request")";
  detail::write_json_member(out, "outcome");
  write_json_string(out, to_string(r.kind));
  detail::write_json_member(out, "status");
  write_json_integer(out, r.http_status);
  detail::write_json_member(out, "event_type");
  detail::write_json_string_or_null(out, r.event_type);
  detail::write_json_member(out, "key");
  detail::write_json_string_or_null(out, r.loyalty_event_key);
  if (r.code != error_code::none) {
    detail::write_json_member(out, "code");
    write_json_string(out, to_string(r.code));
  }
  if (!r.path.empty()) {
    detail::write_json_member(out, "path");
    write_json_string(out, r.path);
  }
  detail::write_json_member(out, "bytes");
  write_json_integer(out, r.body_size);
  constexpr std::pair<observe_stage, std::string_view> stages[] = {{observe_stage::authentication, "auth_us"},
                                                                   {observe_stage::parse, "parse_us"},
                                                                   {observe_stage::store, "store_us"},
                                                                   {observe_stage::handler, "handler_us"}};
  for (const auto& [stage, key] : stages) {
    if (!r.ran(stage)) continue;
    detail::write_json_member(out, key);
    write_json_double(out, std::chrono::duration<double, std::micro>(r.time(stage)).count());
  }
  if (!r.message.empty()) {
    detail::write_json_member(out, "message");
    write_json_string(out, r.message);
  }
  out += "}\n";
}

namespace detail {
// {"log":"<log>","<key>":"<value>",...}\n, every value a string.
inline void format_json_log_strings(std::string& out, std::string_view log,
                                    std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
  out += R"({"log":)";
  write_json_string(out, log);
  for (const auto& [key, value] : members) {
    write_json_member(out, key);
    write_json_string(out, value);
  }
  out += "}\n";
}
}  // namespace detail

inline void format_json_log_line(std::string& out, const drift_record& r) {
  detail::format_json_log_strings(
      out, "drift",
      {{"event_type", r.event_type}, {"path", r.path}, {"expected", to_string(r.expected)}, {"found", r.found}});
}

inline void format_json_log_line(std::string& out, const store_error_record& r) {
  detail::format_json_log_strings(out, "store_error", {{"operation", r.operation}, {"message", r.message}});
}

class json_log_observer final : public observer {
 public:
  // Receives each line, '\n' included; called concurrently from the threads that serve requests.
  using sink = std::function<void(std::string_view line)>;

  explicit json_log_observer(std::FILE* out = stdout) : json_log_observer(file_sink(out)) {}
  explicit json_log_observer(sink write) : write_(std::move(write)) {}

  void on_request(const request_record& r) override { emit(r); }
  void on_drift(const drift_record& r) override { emit(r); }
  void on_store_error(const store_error_record& r) override { emit(r); }

 private:
  static sink file_sink(std::FILE* out) {
    return [out](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), out);
      std::fflush(out);
    };
  }

  template <class Record>
  void emit(const Record& r) {
    thread_local std::string buffer;
    buffer.clear();
    format_json_log_line(buffer, r);
    if (write_) write_(buffer);
  }

  sink write_;
};

}  // namespace qurable::webhooks
