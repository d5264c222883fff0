// Error values for user input and I/O. A Status names where the problem is (file, place) and
// why, and renders as one line for the CLI. Internal invariants use SCX_CHECK (check.h) instead.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace scx {

class Status {
 public:
  Status() = default;  // OK
  // Control bytes (e.g. a newline in a name read from a corrupt file) are escaped so that
  // the message stays one line.
  static Status Error(std::string where, std::string reason) {
    Status s;
    s.error_ = Detail{one_line(std::move(where)), one_line(std::move(reason))};
    return s;
  }
  template <typename... Args>
  static Status Errorf(std::string where, fmt::format_string<Args...> f, Args&&... args) {
    return Error(std::move(where), fmt::format(f, std::forward<Args>(args)...));
  }

  bool ok() const { return !error_.has_value(); }
  const std::string& where() const { return error_->where; }
  const std::string& reason() const { return error_->reason; }
  // "where: reason", or just the reason when no place is known.
  std::string message() const {
    if (ok()) return "ok";
    return error_->where.empty() ? error_->reason : error_->where + ": " + error_->reason;
  }
  // Adds an outer place, e.g. the file name in front of "task 'a', phase 'p'".
  Status within(const std::string& outer) const {
    if (ok()) return *this;
    return Error(error_->where.empty() ? outer : outer + ": " + error_->where, error_->reason);
  }

 private:
  static std::string one_line(std::string text) {
    bool clean = true;
    for (char c : text) clean &= static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (clean) return text;
    std::string out;
    for (char c : text) {
      auto b = static_cast<unsigned char>(c);
      if (b == '\n') out += "\\n";
      else if (b < 0x20 || b == 0x7f) out += fmt::format("\\x{:02x}", b);
      else out += c;
    }
    return out;
  }
  struct Detail {
    std::string where;
    std::string reason;
  };
  std::optional<Detail> error_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace scx

// Early-return helpers in the style of absl/perfetto.
#define SCX_RETURN_IF_ERROR(expr)            \
  do {                                       \
    ::scx::Status scx_status__ = (expr);     \
    if (!scx_status__.ok()) return scx_status__; \
  } while (0)

#define SCX_CONCAT_INNER(a, b) a##b
#define SCX_CONCAT(a, b) SCX_CONCAT_INNER(a, b)
#define SCX_ASSIGN_OR_RETURN(lhs, expr) \
  SCX_ASSIGN_OR_RETURN_IMPL(SCX_CONCAT(scx_result__, __LINE__), lhs, expr)
#define SCX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
