// Status and Result<T>: how every user-caused error travels (STYLE rule 11).
// No exception crosses a library boundary; asserts are only for our own bugs.
#pragma once
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace edgeinfer {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { Status s; s.message_ = std::move(message); s.failed_ = true; return s; }
  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }
  // Prepends context ("while importing 'model.onnx': ...") to an error; no-op on OK.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Error(context + ": " + message_);
  }

 private:
  bool failed_ = false;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgeinfer

#define EI_CONCAT_INNER(a, b) a##b
#define EI_CONCAT(a, b) EI_CONCAT_INNER(a, b)

#define EI_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::edgeinfer::Status ei_status_ = (expr);      \
    if (!ei_status_.ok()) return ei_status_;      \
  } while (0)

#define EI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define EI_ASSIGN_OR_RETURN(lhs, expr) EI_ASSIGN_OR_RETURN_IMPL(EI_CONCAT(ei_result_, __LINE__), lhs, expr)
