// Errors travel as values: every fallible function in the core returns Status or Result<T>.
// They become typed JS errors only at the Embind edge (wasm/bindings).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace edgeinfer {

enum class StatusCode {
  kOk = 0,
  kInvalidModel,     // malformed bytes or a graph that breaks the ONNX spec
  kUnsupported,      // valid ONNX that this runtime does not implement (op, attribute, dtype)
  kInvalidArgument,  // a caller error: wrong input name, dtype or shape
  kResourceExhausted,// a tensor or arena larger than the runtime allows
  kInternal,         // a bug in the runtime
  kDeferred,         // internal: a shape depends on tensor data not known until run time
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidModel: node 'conv1' (Conv): ..." - the form printed by tools and tests.
  std::string to_string() const;

  // Prepends context ("node 'x' (Conv): ") to the message, keeping the code.
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(code_, context + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_model(std::string m) { return Status(StatusCode::kInvalidModel, std::move(m)); }
inline Status unsupported(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }
inline Status invalid_argument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
inline Status resource_exhausted(std::string m) { return Status(StatusCode::kResourceExhausted, std::move(m)); }
inline Status internal_error(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {} // NOLINT: must be an error status

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgeinfer

#define EI_CONCAT_INNER(a, b) a##b
#define EI_CONCAT(a, b) EI_CONCAT_INNER(a, b)

#define EI_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::edgeinfer::Status ei_status_ = (expr);          \
    if (!ei_status_.is_ok()) return ei_status_;       \
  } while (0)

#define EI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.is_ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// EI_ASSIGN_OR_RETURN(auto x, compute());
#define EI_ASSIGN_OR_RETURN(lhs, expr) \
  EI_ASSIGN_OR_RETURN_IMPL(EI_CONCAT(ei_result_, __LINE__), lhs, expr)
