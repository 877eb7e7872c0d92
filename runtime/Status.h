//===- Status.h - Success or a one-line error message -----------*- C++ -*-===//
//
// The error type of the nnc runtime. Runtime functions that can fail return a
// Status instead of throwing, so the library behaves the same whether the
// application is built with or without exceptions, and every failure carries
// a message fit to print as it is: one line that names the object involved
// (a file, a tensor) and the problem. The type is [[nodiscard]] so that an
// ignored failure is a compiler warning rather than silently lost data.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_STATUS_H
#define NNC_RUNTIME_STATUS_H

#include <string>
#include <utility>

namespace nnc {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }

  /// An error with \p message, which should be one line without a trailing
  /// period or newline so callers can embed it in their own output.
  static Status error(std::string message) {
    Status status;
    status.failed = true;
    status.msg = std::move(message);
    return status;
  }

  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }

  /// Empty on success.
  const std::string &message() const { return msg; }

private:
  Status() = default;

  bool failed = false;
  std::string msg;
};

} // namespace nnc

#endif // NNC_RUNTIME_STATUS_H
