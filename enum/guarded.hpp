// A mutex kept together with the data it protects: the data is reachable only
// through with(), which holds the lock for the call. On a const Guarded, with()
// hands out the data as const (a reader such as a stats() const locks too).
#pragma once

#include <mutex>
#include <utility>

namespace speerd {

template <typename T>
class Guarded {
 public:
  Guarded() = default;
  explicit Guarded(T value) : value_(std::move(value)) {}

  template <typename F>
  decltype(auto) with(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<F>(f)(value_);
  }

  template <typename F>
  decltype(auto) with(F&& f) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<F>(f)(std::as_const(value_));
  }

 private:
  mutable std::mutex mutex_;
  T value_;
};

}  // namespace speerd
