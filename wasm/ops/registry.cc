#include <vector>

#include "ops/op.h"
#include "ops/op_profile.h"

namespace edgeinfer {

const OpRegistration* find_profiled_op(const std::string& domain, const std::string& op_type);  // op_profile.cc

const std::vector<const OpRegistration*>& all_ops() {
  static const std::vector<const OpRegistration*> ops = {
#define EDGEINFER_OP(name) &kOp##name,
#include "ops/op_list.inc"
#undef EDGEINFER_OP
  };
  return ops;
}

const OpRegistration* find_op(const std::string& domain, const std::string& op_type) {
  if (op_profile_enabled()) return find_profiled_op(domain, op_type);
  for (const OpRegistration* op : all_ops())
    if (op->op_type == op_type && op->domain == domain) return op;
  return nullptr;
}

}  // namespace edgeinfer
