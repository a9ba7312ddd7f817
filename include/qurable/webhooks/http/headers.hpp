#pragma once
// The request headers as the receiver and authentication see them: one adapter over whatever lookup an HTTP stack
// provides, so that nothing above it knows the stack.

#include <forward_list>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../detail/contain.hpp"
#include "../detail/traits.hpp"

namespace qurable::webhooks {

namespace detail {

// Turns whatever a header lookup returned into a view. A std::string returned by value would die with the call, so
// it is moved into `owned`, which lives as long as the request's header_lookup. Empty counts as absent.
template <class T>
std::optional<std::string_view> header_view(T&& value, std::forward_list<std::string>& owned) {
  using V = std::remove_cv_t<std::remove_reference_t<T>>;
  std::string_view view;
  if constexpr (is_std_optional<V>::value) {
    if (!value) return std::nullopt;
    return header_view(*std::forward<T>(value), owned);
  } else if constexpr (std::is_same_v<V, std::nullptr_t>) {
    return std::nullopt;
  } else if constexpr (std::is_pointer_v<V>) {
    if (value == nullptr) return std::nullopt;
    if constexpr (std::is_convertible_v<V, std::string_view>) {
      view = std::string_view(value);  // a C string, e.g. civetweb's mg_get_header
    } else {
      return header_view(*value, owned);  // e.g. a const std::string* from a map lookup
    }
  } else if constexpr (std::is_same_v<V, std::string> && !std::is_lvalue_reference_v<T>) {
    owned.push_front(std::move(value));
    view = owned.front();
  } else {
    static_assert(std::is_convertible_v<const V&, std::string_view>,
                  "a header lookup returns S, std::optional<S> or a pointer to S, where S converts to "
                  "std::string_view (std::string returned by value is kept alive for the request)");
    view = std::string_view(value);
  }
  if (view.empty()) return std::nullopt;
  return view;
}

}  // namespace detail

// The request's headers as the receiver and authentication see them: `headers(name)` gives the value of a header,
// or nothing when it is absent or empty. It wraps the callable a stack provides (`name -> value`), without copying
// it; that callable must match names case-insensitively (HTTP header names are), since they are asked for in
// lowercase: "content-type", "webhook-id", "webhook-timestamp", "webhook-signature"...
// It may return S, std::optional<S> or a pointer to S (null for absent), where S converts to std::string_view.
// Values must stay valid until handle() returns; a std::string returned by value is kept alive for that long.
// A lookup that throws (say, `map.at(name)` for an absent header) is contained: that header reads as absent and
// failed() becomes true (the receiver counts it in hook_failures()).
class header_lookup {
 public:
  template <class Lookup, std::enable_if_t<!std::is_same_v<std::decay_t<Lookup>, header_lookup>, int> = 0>
  header_lookup(const Lookup& lookup) noexcept  // NOLINT: implicit on purpose, it is an adapter
      : call_(&call<Lookup>) {
    if constexpr (std::is_function_v<Lookup>) {
      target_.function = reinterpret_cast<void (*)()>(&lookup);  // a plain function: no object to point to
    } else {
      target_.object = std::addressof(lookup);
    }
  }

  header_lookup(const header_lookup&) = delete;
  header_lookup& operator=(const header_lookup&) = delete;

  std::optional<std::string_view> operator()(std::string_view name) const {
    std::optional<std::string_view> value;
    std::string what;  // empty unless the lookup threw
    if (!detail::call_contained([&] { value = call_(target_, name, owned_); }, what)) {
      failed_ = true;
      return std::nullopt;
    }
    return value;
  }

  // True once a lookup threw (that header was read as absent).
  bool failed() const noexcept { return failed_; }

 private:
  union target {
    const void* object;
    void (*function)();
  };
  using call_type = std::optional<std::string_view> (*)(target, std::string_view, std::forward_list<std::string>&);

  template <class Lookup>
  static std::optional<std::string_view> call(target t, std::string_view name, std::forward_list<std::string>& owned) {
    static_assert(std::is_invocable_v<const Lookup&, std::string_view>,
                  "a header lookup is callable as lookup(std::string_view name)");
    if constexpr (std::is_function_v<Lookup>) {
      return detail::header_view(std::invoke(reinterpret_cast<Lookup*>(t.function), name), owned);
    } else {
      return detail::header_view(std::invoke(*static_cast<const Lookup*>(t.object), name), owned);
    }
  }

  target target_{};
  call_type call_;
  mutable std::forward_list<std::string> owned_;  // empty unless the lookup returns strings by value
  mutable bool failed_ = false;
};

}  // namespace qurable::webhooks
