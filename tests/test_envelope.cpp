#include "catch.hpp"

#include <qurable/webhooks.hpp>

TEST_CASE("the umbrella header compiles and a parser rejects an empty body") {
  qurable::webhooks::parser parser;
  const auto result = parser.parse(std::string_view{});
  REQUIRE_FALSE(result);
  CHECK(result.error().code == qurable::webhooks::error_code::empty_body);
}
