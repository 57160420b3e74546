#include <vector>

#include "ops/op.h"

namespace edgeinfer {

const std::vector<const OpRegistration*>& all_ops() {
  static const std::vector<const OpRegistration*> ops = {
#define EDGEINFER_OP(name) &kOp##name,
#include "ops/op_list.inc"
#undef EDGEINFER_OP
  };
  return ops;
}

const OpRegistration* find_op(const std::string& domain, const std::string& op_type) {
  for (const OpRegistration* op : all_ops())
    if (op->op_type == op_type && op->domain == domain) return op;
  return nullptr;
}

}  // namespace edgeinfer
