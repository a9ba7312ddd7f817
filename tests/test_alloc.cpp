// A warm parser allocates nothing per event: this executable replaces the global operator new/delete with counting
// versions, warms a parser on the examples, then counts the allocations of many receive() calls whose handlers
// read every field. Catch2 itself allocates, so nothing inside a counted region uses its macros.
//
// What is promised: parsing a valid event and dispatching it (dispatched or unhandled) allocates nothing once the
// parser has seen a body at least as large. A rejected body or a failed handler may allocate (the outcome's
// message and path are std::strings), so those are not counted here.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks.hpp>

#include "catch.hpp"
#include "support/alloc_counter.hpp"
#include "support/fields.hpp"
#include "support/fixtures.hpp"
#include "support/json_edit.hpp"

using qtest::alloc_counter::allocations;  // counts every allocation of this program

namespace qw = qurable::webhooks;

namespace {

// Reads every field (timestamps parsed too) into a checksum, without allocating.
struct checksum_sink {
  std::uint64_t hash = 1469598103934665603ull;
  std::size_t values = 0;
  std::size_t bad_timestamps = 0;

  void mix(std::uint64_t x) {
    hash = (hash ^ x) * 1099511628211ull;
    ++values;
  }
  void mix(std::string_view s) {
    for (char c : s) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    mix(std::uint64_t{s.size()});
  }
  void value(std::string_view, std::string_view v) { mix(v); }
  void value(std::string_view, std::int64_t v) { mix(static_cast<std::uint64_t>(v)); }
  void value(std::string_view, double v) { mix(static_cast<std::uint64_t>(static_cast<std::int64_t>(v * 1000))); }
  void value(std::string_view, bool v) { mix(v ? 3u : 5u); }
  void value(std::string_view, const qw::timestamp& t) {
    qw::time_point p{};
    if (t.get(p) == qw::error_code::none) {
      mix(static_cast<std::uint64_t>(p.time_since_epoch().count()));
    } else {
      ++bad_timestamps;
    }
  }
  void value(std::string_view, const qw::raw_json& v) { mix(v.text()); }
  void null(std::string_view) { mix(std::uint64_t{7}); }
  void list(std::string_view, std::size_t size) { mix(std::uint64_t{size}); }
};

struct every_field_visitor {
  checksum_sink* sink;
  void operator()(const qw::member_created& e) const { qtest::visit_fields(*sink, e); }
  void operator()(const qw::coupon_event& e) const { qtest::visit_fields(*sink, e); }
  void operator()(const qw::event_envelope& e) const { qtest::visit_fields(*sink, e); }
};

struct counted_run {
  long allocations = 0;
  std::size_t dispatched = 0;
  std::size_t unhandled = 0;
  std::size_t other = 0;
};

// Runs receive() `rounds` times over `bodies`, counting allocations; no Catch2 macro inside.
template <class Visitor>
counted_run run_counted(qw::parser& parser, const std::vector<std::string>& bodies, int rounds, Visitor& visitor) {
  counted_run run;
  const long before = allocations.load();
  for (int i = 0; i < rounds; ++i) {
    const qw::outcome out = qw::receive(parser, bodies[static_cast<std::size_t>(i) % bodies.size()], visitor);
    if (out.kind == qw::outcome_kind::dispatched) {
      ++run.dispatched;
    } else if (out.kind == qw::outcome_kind::unhandled) {
      ++run.unhandled;
    } else {
      ++run.other;
    }
  }
  run.allocations = allocations.load() - before;
  return run;
}

std::vector<std::string> example_bodies() {
  std::vector<std::string> bodies;
  for (std::string_view file : qtest::all_fixture_files) bodies.push_back(qtest::read_fixture(file));
  bodies.push_back(R"({"event": {"eventType": "points-earned", "createdAt": "2025-04-24T13:22:50.049Z",)"
                   R"("updatedAt": "2025-04-24T13:22:50.049Z", "status": "success", "payload": {"points": 10}}})");
  return bodies;
}

}  // namespace

TEST_CASE("the counting operator new sees allocations, including a cold parser's", "[alloc]") {
  const long before = allocations.load();
  static int* volatile escaped = nullptr;  // volatile: the compiler may not elide this new-expression
  escaped = new int(5);
  const long after_new = allocations.load();
  delete escaped;
  CHECK(after_new - before == 1);

  const std::string body = qtest::read_fixture(qtest::member_created_file);
  const long cold_before = allocations.load();
  {
    qw::parser cold;
    const bool ok = static_cast<bool>(cold.parse(body));
    CHECK(ok);
  }
  CHECK(allocations.load() - cold_before > 0);  // simdjson's buffers, the arena's vectors
}

TEST_CASE("a warm parser allocates nothing to receive and dispatch valid events", "[alloc]") {
  const std::vector<std::string> bodies = example_bodies();
  checksum_sink sink;
  every_field_visitor visitor{&sink};
  qw::parser parser;
  // Warm up: each body once (the parser sizes its buffers for the largest).
  for (const std::string& b : bodies) REQUIRE(qw::receive(parser, b, visitor).kind == qw::outcome_kind::dispatched);
  const std::uint64_t warm_hash = sink.hash;
  CHECK(sink.values > 150);

  constexpr int rounds = 2000;
  const counted_run run = run_counted(parser, bodies, rounds, visitor);
  CHECK(run.allocations == 0);
  CHECK(run.dispatched == rounds);
  CHECK(run.other == 0);
  CHECK(sink.bad_timestamps == 0);
  CHECK(sink.hash != warm_hash);  // the visitor really read the fields
}

TEST_CASE("unhandled events allocate nothing either", "[alloc]") {
  const std::vector<std::string> bodies = example_bodies();
  qw::parser parser;
  int members = 0;
  auto only_members =
      qw::overloaded{[&](const qw::member_created& e) { members += e.execution_results.active ? 1 : 0; }};
  for (const std::string& b : bodies) qw::receive(parser, b, only_members);
  const counted_run run = run_counted(parser, bodies, 1000, only_members);
  CHECK(run.allocations == 0);
  CHECK(run.dispatched == 250);
  CHECK(run.unhandled == 750);
  CHECK(members == 251);
}

TEST_CASE("every input path is allocation-free once warm", "[alloc]") {
  const std::string source = qtest::read_fixture(qtest::coupon_code_used_file);
  std::string in_place = source;
  in_place.reserve(source.size() + simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string padded(source);
  qw::parser parser;
  checksum_sink sink;
  every_field_visitor visitor{&sink};
  REQUIRE(qw::receive(parser, std::string_view(source), visitor).kind == qw::outcome_kind::dispatched);
  REQUIRE(qw::receive(parser, in_place, visitor).kind == qw::outcome_kind::dispatched);

  const long before = allocations.load();
  std::size_t ok = 0;
  for (int i = 0; i < 300; ++i) {
    ok += qw::receive(parser, std::string_view(source), visitor).acknowledged();              // copied
    ok += qw::receive(parser, in_place, visitor).acknowledged();                              // in place
    ok += qw::receive(parser, simdjson::padded_string_view(padded), visitor).acknowledged();  // in place
    ok += static_cast<bool>(parser.parse(source.data(), source.size(), source.size()));       // copied
  }
  const long counted = allocations.load() - before;
  CHECK(counted == 0);
  CHECK(ok == 1200);
}

TEST_CASE("large lists allocate nothing once the parser has seen them", "[alloc]") {
  qtest::json_node tree = qtest::fixture_tree(qtest::member_created_file);
  std::string tiers = "[";
  for (int i = 0; i < 500; ++i) {
    tiers += (i ? ",{" : "{") + std::string("\"loyaltyTierId\":") + std::to_string(i) + ",\"loyaltyProgramId\":1}";
  }
  qtest::json_set(tree, "/event/executionResults/tiers", tiers + "]");
  const std::vector<std::string> bodies = {qtest::json_dump(tree), qtest::read_fixture(qtest::member_created_file)};
  qw::parser parser;
  checksum_sink sink;
  every_field_visitor visitor{&sink};
  for (const std::string& b : bodies) REQUIRE(qw::receive(parser, b, visitor).kind == qw::outcome_kind::dispatched);
  const counted_run run = run_counted(parser, bodies, 200, visitor);
  CHECK(run.allocations == 0);
  CHECK(run.dispatched == 200);
}

TEST_CASE("drift records allocate nothing once warm", "[alloc][drift]") {
  std::string member = qtest::read_fixture(qtest::member_created_file);
  member.replace(member.find("\"ledgerWalletId\": 16069"), 23, "\"ledgerWalletId\": \"16069\"");
  member.replace(member.find("\"lastName\": \"Doe\""), 17, "\"lastName\": 7");
  const std::vector<std::string> bodies = {member, qtest::read_fixture(qtest::coupon_code_used_file)};
  qw::parser parser;
  auto visitor = qw::overloaded{[](const qw::member_created&) {}, [](const qw::coupon_event&) {}};
  for (const std::string& b : bodies) qw::receive(parser, b, visitor);
  std::size_t drift = 0;
  const long before = allocations.load();
  for (int i = 0; i < 200; ++i) {
    qw::receive(parser, bodies[static_cast<std::size_t>(i) % 2], visitor);
    drift += parser.drift().size();
  }
  const long during = allocations.load() - before;
  CHECK(during == 0);
  CHECK(drift == 200);  // two records in each of the 100 member bodies
}

TEST_CASE("a list that cannot get memory rejects the event, and the parser recovers", "[alloc]") {
  const std::string member = qtest::read_fixture(qtest::member_created_file);
  // A larger body with no list warms simdjson's buffers and the parser's copy buffer but not the arena, so the next
  // allocation is the arena's scratch stack growing for the first item of `tiers`.
  std::string no_list = R"({"event": {"eventType": "not-modelled-here"}})";
  no_list.append(member.size(), ' ');
  qw::parser parser;
  REQUIRE(parser.parse(no_list));
  qtest::alloc_counter::fail_next = true;
  const qw::parse_result failed = parser.parse(member);
  const bool failure_used = !qtest::alloc_counter::fail_next.exchange(false);
  CHECK(failure_used);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == qw::error_code::internal);
  CHECK(failed.error().message == "out of memory");
  CHECK(failed.error().path == "/event/executionResults/tiers");
  // The same parser decodes the event once memory is there again.
  const qw::parse_result again = parser.parse(member);
  REQUIRE(again);
  const auto* created = again->get_if<qw::member_created>();
  REQUIRE(created != nullptr);
  CHECK(created->execution_results.tiers.size() == 1);
}
