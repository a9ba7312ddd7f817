// libFuzzer target: the whole receive path (parse → dispatch → outcome → dead-letter hook) over arbitrary bytes.
//
// Each input goes through receive() several times: as a std::string_view (copied into the parser's padded buffer),
// as a std::string with spare capacity and as a padded_string_view (both read in place), with parsers of different
// limits and with visitors that succeed, fail, throw or lack overloads; the verdict is also compared with an
// independent JSON check (json_check.hpp). Any broken invariant aborts, which libFuzzer reports as a crash with the
// input saved.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <qurable/webhooks.hpp>

#include "json_check.hpp"

namespace qw = qurable::webhooks;

namespace {

volatile std::uint64_t g_sink = 0;

void require(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_receive: invariant broken: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

// Reads every byte of a view, so that ASan checks the memory it points to.
void touch(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  g_sink = g_sink + h;
}

// Counts handler calls, so that "dispatched" can be checked to mean exactly one call.
struct calls {
  int typed = 0;
  int fallback = 0;
  int total() const noexcept { return typed + fallback; }
};

// Every overload, all succeeding.
struct visitor_all {
  calls* seen;
  void operator()(const qw::member_created& e) const {
    ++seen->typed;
    touch(e.envelope.event_type);
  }
  void operator()(const qw::coupon_code_assigned& e) const {
    ++seen->typed;
    touch(e.execution_results.coupon.code);
  }
  void operator()(const qw::coupon_code_used& e) const {
    ++seen->typed;
    touch(e.payload.coupon_book.name);
  }
  void operator()(const qw::event_envelope& e) const {
    ++seen->fallback;
    touch(e.event_type);
  }
};

// Every overload, all failing; the empty message must still give the outcome a message.
struct visitor_failing {
  calls* seen;
  qw::handler_result operator()(const qw::member_created&) const {
    ++seen->typed;
    return qw::handler_result::failure("");
  }
  qw::handler_result operator()(const qw::coupon_event&) const {
    ++seen->typed;
    return qw::handler_result::failure("coupon handler failed");
  }
  qw::handler_result operator()(const qw::event_envelope&) const {
    ++seen->fallback;
    return qw::handler_result::failure("fallback failed");
  }
};

// Throws for coupons and unknown types, succeeds for members.
struct visitor_throwing {
  calls* seen;
  void operator()(const qw::member_created&) const { ++seen->typed; }
  void operator()(const qw::coupon_event&) const {
    ++seen->typed;
    throw std::runtime_error("coupon handler threw");
  }
  void operator()(const qw::event_envelope&) const {
    ++seen->fallback;
    throw 42;
  }
};

// Only member-created, and no fallback: everything else is unhandled.
struct visitor_partial {
  calls* seen;
  qw::handler_result operator()(const qw::member_created&) const {
    ++seen->typed;
    return qw::handler_result::success();
  }
};

enum class behaviour { succeed, fail, throw_for_others, member_only };

struct dead_letter_probe {
  int count = 0;
  std::string body;  // a copy of what the hook received
  qw::outcome_kind kind = qw::outcome_kind::dispatched;
  qw::error_code code = qw::error_code::none;
  int http_status = 0;
};

// receive() ends in one of these four; the other kinds belong to the HTTP receiver.
bool kind_is_valid(qw::outcome_kind kind) {
  return kind == qw::outcome_kind::dispatched || kind == qw::outcome_kind::unhandled ||
         kind == qw::outcome_kind::rejected || kind == qw::outcome_kind::handler_failed;
}

struct run_result {
  qw::outcome out;
  calls seen;
};

template <class Body>
run_result run(qw::parser& p, const Body& body, behaviour b, std::string_view input) {
  run_result r;
  dead_letter_probe probe;
  auto hook = [&probe](std::string_view received, const qw::outcome& o) {
    ++probe.count;
    probe.body.assign(received.data(), received.size());
    probe.kind = o.kind;
    probe.code = o.code;
    probe.http_status = o.http_status;
    touch(o.message);
    touch(o.path);
  };
  switch (b) {
    case behaviour::succeed: r.out = qw::receive(p, body, visitor_all{&r.seen}, hook); break;
    case behaviour::fail: r.out = qw::receive(p, body, visitor_failing{&r.seen}, hook); break;
    case behaviour::throw_for_others: r.out = qw::receive(p, body, visitor_throwing{&r.seen}, hook); break;
    case behaviour::member_only: r.out = qw::receive(p, body, visitor_partial{&r.seen}, hook); break;
  }
  const qw::outcome& o = r.out;

  // Exactly one kind, and everything else consistent with it.
  require(kind_is_valid(o.kind), "the outcome kind is one of the four", input);
  const bool bad = o.kind == qw::outcome_kind::rejected || o.kind == qw::outcome_kind::handler_failed;
  switch (o.kind) {
    case qw::outcome_kind::dispatched:
      require(o.http_status == 200, "dispatched → 200", input);
      require(o.code == qw::error_code::none, "dispatched → code none", input);
      require(o.message.empty(), "dispatched → no message", input);
      require(r.seen.total() == 1, "dispatched → exactly one handler call", input);
      break;
    case qw::outcome_kind::unhandled:
      require(o.http_status == 200, "unhandled → 200", input);
      require(o.code == qw::error_code::none, "unhandled → code none", input);
      require(o.message.empty(), "unhandled → no message", input);
      // A known type without a handler says so; an unknown type says that.
      require(o.reason == (qw::to_event_type(o.event_type) == qw::event_type::unknown
                               ? "unknown event type"
                               : "no handler for " + std::string(o.event_type)),
              "unhandled → its reason", input);
      require(r.seen.total() == 0, "unhandled → no handler call", input);
      require(b == behaviour::member_only, "unhandled only for a visitor without a fallback", input);
      break;
    case qw::outcome_kind::rejected:
      require(o.code != qw::error_code::none, "rejected → a code", input);
      require(o.code != qw::error_code::handler_failed, "rejected → not handler_failed", input);
      require(!o.message.empty(), "rejected → a message", input);
      require(o.http_status == qw::http_status_for(o.code), "rejected → the status of its code", input);
      require(o.http_status >= 400 && o.http_status <= 599, "rejected → 4xx/5xx", input);
      require(r.seen.total() == 0, "rejected → no handler call", input);
      break;
    case qw::outcome_kind::handler_failed:
      require(o.http_status == 500, "handler_failed → 500", input);
      require(o.code == qw::error_code::handler_failed, "handler_failed → code handler_failed", input);
      require(!o.message.empty(), "handler_failed → a message", input);
      require(r.seen.total() == 1, "handler_failed → exactly one handler call", input);
      require(b == behaviour::fail || b == behaviour::throw_for_others, "handler_failed only when a handler fails",
              input);
      break;
    default: break;  // not reached: checked above
  }
  require(o.acknowledged() == !bad, "acknowledged() iff dispatched or unhandled", input);
  if (b == behaviour::succeed) {
    require(o.kind == qw::outcome_kind::dispatched || o.kind == qw::outcome_kind::rejected,
            "a visitor with every overload and a fallback dispatches every accepted event", input);
  }

  // The dead-letter hook: called once iff rejected or failed, with the exact bytes and the same outcome.
  require(probe.count == (bad ? 1 : 0), "the dead-letter hook runs exactly for rejected and failed", input);
  if (bad) {
    require(probe.body.size() == input.size() && std::memcmp(probe.body.data(), input.data(), input.size()) == 0,
            "the dead-letter hook receives the exact input bytes", input);
    require(probe.kind == o.kind && probe.code == o.code && probe.http_status == o.http_status,
            "the dead-letter hook sees the returned outcome", input);
  }

  // Views of an accepted event are readable until the next parse.
  touch(o.event_type);
  touch(o.loyalty_event_key);
  touch(o.message);
  touch(o.path);
  if (o.kind == qw::outcome_kind::rejected) {
    require(o.event_type.empty() && o.loyalty_event_key.empty(), "rejected → no event views", input);
  }
  return r;
}

// Two outcomes of the same bytes agree on what the body is, whatever the parser saw before and however the body
// was handed over.
void require_same_verdict(const qw::outcome& a, const qw::outcome& b, std::string_view input) {
  require((a.kind == qw::outcome_kind::rejected) == (b.kind == qw::outcome_kind::rejected),
          "the same body is accepted by every parser and body type", input);
  if (a.kind == qw::outcome_kind::rejected) {
    require(a.code == b.code && a.message == b.message && a.path == b.path,
            "the same body is rejected with the same code, message and path", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Parsers are reused across inputs, as a server does: a warm parser must not leak state between bodies.
  static qw::parser default_parser;
  static qw::parser other_parser;
  static qw::parser small_parser(qw::parser_options{512, 6});

  // 1. std::string_view: copied into the parser's padded buffer.
  const run_result a = run(default_parser, input, behaviour::succeed, input);

  // 2. std::string with spare capacity: read in place.
  std::string owned(input);
  owned.reserve(owned.size() + simdjson::SIMDJSON_PADDING);
  const run_result b = run(other_parser, owned, behaviour::fail, input);
  require_same_verdict(a.out, b.out, input);

  // 3. padded_string_view over an exact allocation: ASan sees any read past the padding.
  std::unique_ptr<char[]> padded(new char[size + simdjson::SIMDJSON_PADDING]);
  if (size != 0) std::memcpy(padded.get(), data, size);
  std::memset(padded.get() + size, size % 2 == 0 ? 0 : '"', simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string_view view(padded.get(), size, size + simdjson::SIMDJSON_PADDING);
  const run_result c = run(default_parser, view, behaviour::throw_for_others, input);
  require_same_verdict(a.out, c.out, input);

  const run_result d = run(other_parser, input, behaviour::member_only, input);
  require_same_verdict(a.out, d.out, input);

  // 4. Smaller limits: the verdict may differ, the invariants may not.
  const run_result e = run(small_parser, input, behaviour::succeed, input);
  if (size > 512) {
    require(e.out.kind == qw::outcome_kind::rejected && e.out.code == qw::error_code::body_too_large &&
                e.out.http_status == 413,
            "a body over max_body_size → body_too_large, 413", input);
  }
  if (a.out.kind == qw::outcome_kind::rejected && e.out.kind != qw::outcome_kind::rejected) {
    require(false, "a body rejected with the default limits is accepted with smaller ones", input);
  }

  // 5. The verdict agrees with an independent JSON check: only JSON is accepted, and valid JSON is never called
  // malformed (it may still be rejected for its shape, its depth or its size).
  // A UTF-8 byte order mark at the start is not JSON, but the SDK skips it (as JSON.parse's callers usually do).
  const bool bom = size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF;
  const qurable_fuzz::verdict json = qurable_fuzz::check(
      bom ? simdjson::padded_string_view(view.data() + 3, view.size() - 3, view.capacity() - 3) : view);
  if (a.out.kind != qw::outcome_kind::rejected) {
    require(json != qurable_fuzz::verdict::invalid, "an accepted body is valid JSON", input);
  }
  if (json == qurable_fuzz::verdict::valid) {
    const qw::error_code code = a.out.code;
    require(code != qw::error_code::invalid_json && code != qw::error_code::invalid_utf8 &&
                code != qw::error_code::trailing_content && code != qw::error_code::empty_body,
            "valid JSON is not rejected as malformed", input);
  }
  return 0;
}
