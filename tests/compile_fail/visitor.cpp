// Visitors that must not compile: each QW_CASE is built on its own by tests/compile_fail.cmake, which expects the
// build to fail with the static_assert naming the fix. QW_CASE 0 is the control: a correct visitor that compiles.

#include <qurable/webhooks.hpp>

namespace qw = qurable::webhooks;

namespace {

#if QW_CASE == 0
struct visitor {
  void operator()(const qw::member_created&) const {}
};
#elif QW_CASE == 1  // operator() without const: never called by a receiver
struct visitor {
  void operator()(const qw::member_created&) {}
};
#elif QW_CASE == 2  // a non-const reference to the event
struct visitor {
  void operator()(qw::member_created&) const {}
};
#elif QW_CASE == 3  // handles no known type (a wrong type) and has no fallback
struct visitor {
  void operator()(const qw::coupon&) const {}
};
#elif QW_CASE == 4  // a fallback without const
struct visitor {
  void operator()(const qw::member_created&) const {}
  void operator()(const qw::event_envelope&) {}
};
#elif QW_CASE == 5  // an rvalue reference to the event, beside a correct overload: would never run
struct visitor {
  void operator()(const qw::member_created&) const {}
  void operator()(qw::coupon_code_used&&) const {}
};
#endif

}  // namespace

int main() {
  qw::parser p;
  const qw::outcome out = qw::receive(p, std::string_view("{}"), visitor{});
  return out.acknowledged() ? 0 : 1;
}
