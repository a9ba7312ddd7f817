// dispatch(): which overload of a visitor runs for which event, and what a handler's result becomes.

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/fixtures.hpp"

namespace qw = qurable::webhooks;

namespace {

// The three examples and an unknown type, parsed once each by their own parser.
struct parsed_examples {
  std::string member_body = qtest::read_fixture(qtest::member_created_file);
  std::string assigned_body = qtest::read_fixture(qtest::coupon_code_assigned_file);
  std::string used_body = qtest::read_fixture(qtest::coupon_code_used_file);
  std::string unknown_body = R"({"event": {"eventType": "tier-upgraded", "loyaltyEventKey": "ev_unknown"}})";
  qw::parser p1, p2, p3, p4;
  qw::parse_result member = p1.parse(member_body);
  qw::parse_result assigned = p2.parse(assigned_body);
  qw::parse_result used = p3.parse(used_body);
  qw::parse_result unknown = p4.parse(unknown_body);

  parsed_examples() {
    REQUIRE(member);
    REQUIRE(assigned);
    REQUIRE(used);
    REQUIRE(unknown);
  }
};

// A visitor as a struct: its overloads are const (receivers call it through a const reference, and dispatch()
// rejects a non-const one at compile time), so its state is `mutable`; it lives in the caller's object, since
// dispatch() takes the visitor by reference.
struct counting_visitor {
  mutable int member = 0, assigned = 0, used = 0, fallback = 0;
  mutable std::string last_key;

  void operator()(const qw::member_created& e) const {
    ++member;
    last_key = std::string(e.envelope.loyalty_event_key);
  }
  void operator()(const qw::coupon_code_assigned& e) const {
    ++assigned;
    last_key = std::string(e.envelope.loyalty_event_key);
  }
  void operator()(const qw::coupon_code_used& e) const {
    ++used;
    last_key = std::string(e.envelope.loyalty_event_key);
  }
  void operator()(const qw::event_envelope& e) const {
    ++fallback;
    last_key = std::string(e.loyalty_event_key);
  }
};

struct const_visitor {
  qw::handler_result operator()(const qw::member_created&) const { return qw::handler_result::success(); }
  qw::handler_result operator()(const qw::event_envelope& e) const {
    return qw::handler_result::failure("const fallback for " + std::string(e.event_type));
  }
};

}  // namespace

TEST_CASE("overloaded lambdas: each type reaches its own overload, once", "[dispatch]") {
  parsed_examples ex;
  std::vector<std::string> calls;
  auto visitor = qw::overloaded{
      [&](const qw::member_created& e) { calls.push_back("member " + std::string(*e.envelope.loyalty_event_id)); },
      [&](const qw::coupon_code_assigned& e) {
        calls.push_back("assigned " + std::string(e.payload.coupon_book.name));
      },
      [&](const qw::coupon_code_used& e) {
        calls.push_back("used " + std::to_string(e.execution_results.amount_used));
      },
      [&](const qw::event_envelope& e) { calls.push_back("other " + std::string(e.event_type)); },
  };
  for (const qw::parse_result* r : {&ex.member, &ex.assigned, &ex.used, &ex.unknown}) {
    const qw::dispatch_result d = qw::dispatch(**r, visitor);
    CHECK(d.status == qw::dispatch_status::handled);
    CHECK(d.message.empty());
  }
  REQUIRE(calls.size() == 4);
  CHECK(calls[0] == "member 1262268");
  CHECK(calls[1] == "assigned Test discount");
  CHECK(calls[2] == "used 1");
  CHECK(calls[3] == "other tier-upgraded");
}

TEST_CASE("a struct visitor keeps its state in the caller's object", "[dispatch]") {
  parsed_examples ex;
  counting_visitor v;
  CHECK(qw::dispatch(*ex.member, v).status == qw::dispatch_status::handled);
  CHECK(v.last_key == "ev_01JSKZG24NMDB0RRQHF247NSCX");
  CHECK(qw::dispatch(*ex.assigned, v).status == qw::dispatch_status::handled);
  CHECK(v.last_key == "ev_01JSG9YM0YZHBS9X3G0VMVMAW6");
  CHECK(qw::dispatch(*ex.used, v).status == qw::dispatch_status::handled);
  CHECK(v.last_key == "ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
  CHECK(qw::dispatch(*ex.unknown, v).status == qw::dispatch_status::handled);
  CHECK(v.last_key == "ev_unknown");
  CHECK(qw::dispatch(*ex.member, v).status == qw::dispatch_status::handled);
  CHECK(v.member == 2);
  CHECK(v.assigned == 1);
  CHECK(v.used == 1);
  CHECK(v.fallback == 1);

  // A temporary visitor works as well.
  CHECK(qw::dispatch(*ex.used, counting_visitor{}).status == qw::dispatch_status::handled);
}

TEST_CASE("a const visitor with handler_result overloads", "[dispatch]") {
  parsed_examples ex;
  const const_visitor v;
  CHECK(qw::dispatch(*ex.member, v).status == qw::dispatch_status::handled);
  const qw::dispatch_result d = qw::dispatch(*ex.used, v);
  CHECK(d.status == qw::dispatch_status::failed);
  CHECK(d.message == "const fallback for coupon-code-used");
}

TEST_CASE("const coupon_event& handles both coupon types", "[dispatch]") {
  parsed_examples ex;
  std::vector<const qw::coupon_event*> seen;
  int members = 0;
  auto visitor = qw::overloaded{[&](const qw::member_created&) { ++members; },
                                [&](const qw::coupon_event& e) { seen.push_back(&e); }};
  CHECK(qw::dispatch(*ex.assigned, visitor).status == qw::dispatch_status::handled);
  CHECK(qw::dispatch(*ex.used, visitor).status == qw::dispatch_status::handled);
  CHECK(qw::dispatch(*ex.member, visitor).status == qw::dispatch_status::handled);
  REQUIRE(seen.size() == 2);
  // The handler sees the typed event itself, through its base.
  CHECK(seen[0] == ex.assigned->get_if<qw::coupon_code_assigned>());
  CHECK(seen[1] == ex.used->get_if<qw::coupon_code_used>());
  CHECK(seen[0]->envelope.event_type == "coupon-code-assigned");
  CHECK(seen[1]->envelope.event_type == "coupon-code-used");
  CHECK(members == 1);
  // No fallback: an unknown type is unhandled.
  CHECK(qw::dispatch(*ex.unknown, visitor).status == qw::dispatch_status::unhandled);
}

TEST_CASE("a more specific overload wins over const coupon_event&", "[dispatch]") {
  parsed_examples ex;
  std::string which;
  auto visitor = qw::overloaded{[&](const qw::coupon_event&) { which = "base"; },
                                [&](const qw::coupon_code_used&) { which = "used"; }};
  qw::dispatch(*ex.used, visitor);
  CHECK(which == "used");
  qw::dispatch(*ex.assigned, visitor);
  CHECK(which == "base");
}

TEST_CASE("a generic lambda is a fallback that gets the typed event when there is one", "[dispatch]") {
  parsed_examples ex;
  std::vector<std::string> seen;
  auto visitor = qw::overloaded{
      [&](const qw::member_created&) { seen.push_back("member overload"); },
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, qw::event_envelope>) {
          seen.push_back("envelope " + std::string(e.event_type));
        } else {
          seen.push_back("typed " + std::string(T::type_name));
        }
      },
  };
  for (const qw::parse_result* r : {&ex.member, &ex.assigned, &ex.used, &ex.unknown}) {
    CHECK(qw::dispatch(**r, visitor).status == qw::dispatch_status::handled);
  }
  REQUIRE(seen.size() == 4);
  CHECK(seen[0] == "member overload");
  CHECK(seen[1] == "typed coupon-code-assigned");
  CHECK(seen[2] == "typed coupon-code-used");
  CHECK(seen[3] == "envelope tier-upgraded");
}

TEST_CASE("the fallback receives known types that have no overload of their own", "[dispatch]") {
  parsed_examples ex;
  std::vector<std::string> fallback;
  int members = 0;
  auto visitor = qw::overloaded{[&](const qw::member_created&) { ++members; },
                                [&](const qw::event_envelope& e) {
                                  fallback.push_back(std::string(e.event_type) + " " + std::string(e.status));
                                }};
  for (const qw::parse_result* r : {&ex.member, &ex.assigned, &ex.used, &ex.unknown}) {
    CHECK(qw::dispatch(**r, visitor).status == qw::dispatch_status::handled);
  }
  CHECK(members == 1);
  REQUIRE(fallback.size() == 3);
  CHECK(fallback[0] == "coupon-code-assigned success");
  CHECK(fallback[1] == "coupon-code-used success");
  CHECK(fallback[2] == "tier-upgraded ");
  // The fallback's envelope is the event's envelope.
  const qw::event_envelope* env = nullptr;
  qw::dispatch(*ex.used, qw::overloaded{[&](const qw::event_envelope& e) { env = &e; }});
  CHECK(env == &ex.used->envelope());
}

TEST_CASE("without an overload or a fallback: no_handler for a known type, unhandled for an unknown one",
          "[dispatch]") {
  parsed_examples ex;
  int calls = 0;
  auto only_members = qw::overloaded{[&](const qw::member_created&) { ++calls; }};
  CHECK(qw::dispatch(*ex.member, only_members).status == qw::dispatch_status::handled);
  const qw::dispatch_result assigned = qw::dispatch(*ex.assigned, only_members);
  CHECK(assigned.status == qw::dispatch_status::no_handler);
  CHECK(assigned.reason == "no handler for coupon-code-assigned");
  CHECK(assigned.message.empty());
  const qw::dispatch_result used = qw::dispatch(*ex.used, only_members);
  CHECK(used.status == qw::dispatch_status::no_handler);
  CHECK(used.reason == "no handler for coupon-code-used");
  const qw::dispatch_result unknown = qw::dispatch(*ex.unknown, only_members);
  CHECK(unknown.status == qw::dispatch_status::unhandled);
  CHECK(unknown.reason == "unknown event type");
  CHECK(unknown.message.empty());
  CHECK(calls == 1);

  // Through receive(): a known type without a handler is acknowledged (200, as before) and says so.
  {
    qw::parser parser;
    const qw::outcome out = qw::receive(parser, ex.used_body, only_members);
    CHECK(out.kind == qw::outcome_kind::unhandled);
    CHECK(out.http_status == 200);
    CHECK(out.reason == "no handler for coupon-code-used");
    CHECK(out.message.empty());
    CHECK(out.event_type == "coupon-code-used");
  }

  // Through receive(): unhandled is still acknowledged, since the platform adds event types over time.
  qw::parser parser;
  const qw::outcome out = qw::receive(parser, ex.unknown_body, only_members);
  CHECK(out.kind == qw::outcome_kind::unhandled);
  CHECK(out.http_status == 200);
  CHECK(out.acknowledged());
  CHECK(out.code == qw::error_code::none);
  CHECK(out.event_type == "tier-upgraded");
  CHECK(out.loyalty_event_key == "ev_unknown");
  CHECK(out.message.empty());
  CHECK(out.reason == "unknown event type");
  CHECK(qw::to_string(out.kind) == "unhandled");
}

namespace {
struct const_only {
  void operator()(const qw::member_created&) const {}
};
struct not_const {
  void operator()(const qw::member_created&) {}
};
struct mutable_event {
  void operator()(qw::member_created&) const {}
};
struct wrong_type {
  void operator()(const qw::coupon&) const {}
};
}  // namespace

TEST_CASE("visitors are checked at compile time (the failing cases are tests/compile_fail)", "[dispatch]") {
  STATIC_REQUIRE(qw::detail::visitor_probe<const_only, qw::member_created>::as_const);
  STATIC_REQUIRE(qw::detail::visitor_probe<const_only, qw::member_created>::as_mutable);
  STATIC_REQUIRE(!qw::detail::visitor_probe<not_const, qw::member_created>::as_const);
  STATIC_REQUIRE(qw::detail::visitor_probe<not_const, qw::member_created>::as_mutable);
  STATIC_REQUIRE(qw::detail::visitor_probe<mutable_event, qw::member_created>::wants_mutable_event);
  STATIC_REQUIRE(!qw::detail::visitor_probe<wrong_type, qw::member_created>::handles);
  STATIC_REQUIRE(!qw::detail::visitor_probe<wrong_type, qw::event_envelope>::handles);
  STATIC_REQUIRE(qw::detail::checked_visitor<const const_only&>());
  // A generic lambda handles everything, as const.
  auto generic = [](const auto&) {};
  STATIC_REQUIRE(qw::detail::checked_visitor<decltype(generic)&>());
}

TEST_CASE("a handler returning handler_result::failure fails the delivery with its message", "[dispatch]") {
  parsed_examples ex;
  auto visitor = qw::overloaded{
      [](const qw::member_created&) { return qw::handler_result::failure("database unavailable"); },
      [](const qw::coupon_event&) { return qw::handler_result::success(); },
      [](const qw::event_envelope&) { return qw::handler_result::failure(""); },
  };
  const qw::dispatch_result failed = qw::dispatch(*ex.member, visitor);
  CHECK(failed.status == qw::dispatch_status::failed);
  CHECK(failed.message == "database unavailable");
  CHECK(qw::dispatch(*ex.used, visitor).status == qw::dispatch_status::handled);
  CHECK(qw::dispatch(*ex.unknown, visitor).status == qw::dispatch_status::failed);

  qw::parser parser;
  const qw::outcome out = qw::receive(parser, ex.member_body, visitor);
  CHECK(out.kind == qw::outcome_kind::handler_failed);
  CHECK(out.http_status == 500);
  CHECK_FALSE(out.acknowledged());
  CHECK(out.code == qw::error_code::handler_failed);
  CHECK(out.message == "database unavailable");
  CHECK(out.path.empty());
  CHECK(out.event_type == "member-created");
  CHECK(out.loyalty_event_key == "ev_01JSKZG24NMDB0RRQHF247NSCX");
  // A failure without a message still says something.
  const qw::outcome unnamed = qw::receive(parser, ex.unknown_body, visitor);
  CHECK(unnamed.kind == qw::outcome_kind::handler_failed);
  CHECK(unnamed.message == "the handler failed");
}

TEST_CASE("handlers may mix void and handler_result", "[dispatch]") {
  parsed_examples ex;
  int voids = 0;
  auto visitor = qw::overloaded{[&](const qw::member_created&) { ++voids; },
                                [&](const qw::coupon_event& e) {
                                  return e.execution_results.amount_used > 0 ? qw::handler_result::failure("used")
                                                                             : qw::handler_result::success();
                                }};
  CHECK(qw::dispatch(*ex.member, visitor).status == qw::dispatch_status::handled);
  CHECK(qw::dispatch(*ex.assigned, visitor).status == qw::dispatch_status::handled);
  CHECK(qw::dispatch(*ex.used, visitor).message == "used");
  CHECK(voids == 1);
}

#if defined(__cpp_exceptions)
TEST_CASE("a throwing handler is a failed delivery, not an escaped exception", "[dispatch][exceptions]") {
  parsed_examples ex;
  auto visitor = qw::overloaded{
      [](const qw::member_created&) { throw std::runtime_error("ledger timeout"); },
      [](const qw::coupon_code_used&) -> qw::handler_result { throw 42; },
      [](const qw::event_envelope&) {},
  };
  qw::dispatch_result d;
  REQUIRE_NOTHROW(d = qw::dispatch(*ex.member, visitor));
  CHECK(d.status == qw::dispatch_status::failed);
  CHECK(d.message == "ledger timeout");
  REQUIRE_NOTHROW(d = qw::dispatch(*ex.used, visitor));
  CHECK(d.status == qw::dispatch_status::failed);
  CHECK(d.message == "a non-standard exception");
  CHECK(qw::dispatch(*ex.assigned, visitor).status == qw::dispatch_status::handled);

  qw::parser parser;
  int dead_letters = 0;
  const qw::outcome out = qw::receive(parser, ex.member_body, visitor, [&](std::string_view, const qw::outcome& o) {
    ++dead_letters;
    CHECK(o.message == "ledger timeout");
  });
  CHECK(out.kind == qw::outcome_kind::handler_failed);
  CHECK(out.http_status == 500);
  CHECK(out.code == qw::error_code::handler_failed);
  CHECK(out.message == "ledger timeout");
  CHECK(dead_letters == 1);
  // The parser is usable after a handler threw.
  CHECK(qw::receive(parser, ex.used_body, qw::overloaded{[](const qw::coupon_event&) {}}).kind ==
        qw::outcome_kind::dispatched);
}
#endif

namespace {
// A const overload for both coupon types beside a non-const one for coupon-code-used: both are invocable through a
// const and a non-const reference, so the visitor check lets it through; dispatch must pick the same overload either
// way (the const one, as a receiver calls it), or unit tests would run another handler than production.
struct mixed_constness {
  std::string* which;
  void operator()(const qw::coupon_event&) const { *which = "const coupon_event"; }
  void operator()(const qw::coupon_code_used&) { *which = "non-const coupon_code_used"; }
};
}  // namespace

TEST_CASE("dispatch calls the visitor through a const reference, as the receivers do", "[dispatch]") {
  parsed_examples ex;
  std::string which;
  mixed_constness visitor{&which};
  CHECK(qw::dispatch(*ex.used, visitor).status == qw::dispatch_status::handled);
  CHECK(which == "const coupon_event");
  const mixed_constness& as_receiver = visitor;
  which.clear();
  CHECK(qw::dispatch(*ex.used, as_receiver).status == qw::dispatch_status::handled);
  CHECK(which == "const coupon_event");
  which.clear();
  qw::parser p;
  CHECK(qw::receive(p, ex.used_body, mixed_constness{&which}).kind == qw::outcome_kind::dispatched);
  CHECK(which == "const coupon_event");
}
