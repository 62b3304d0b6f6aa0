// A mutex kept together with the data it protects: the data is reachable only
// through with(), which holds the lock for the call.
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

 private:
  std::mutex mutex_;
  T value_;
};

}  // namespace speerd
