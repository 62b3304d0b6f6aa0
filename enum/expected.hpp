// A minimal value-or-error type (C++23's std::expected is not in g++ 12).
// Per-request failures in speerd are values of this type, never exceptions
// (see ERROR_HANDLING.md).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace speerd {

// The error side of an Expected: wraps E so that Expected<std::string, std::string>
// stays unambiguous.
template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>{std::move(e)};
}

inline Unexpected<std::string> fail(std::string message) {
  return Unexpected<std::string>{std::move(message)};
}

template <typename T, typename E = std::string>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Expected(Unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace speerd
