#pragma once
// Small type traits shared by the headers.

#include <optional>
#include <type_traits>

namespace qurable::webhooks::detail {

template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};

}  // namespace qurable::webhooks::detail
