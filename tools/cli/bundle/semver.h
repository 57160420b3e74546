// SemVer 2.0.0 versions (https://semver.org) and the runtime ranges of a manifest.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace edgeinfer::bundle {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers
  std::string build;                    // ignored by comparisons
};

// Errors say what is wrong ("leading zero in the minor version", ...).
Result<SemVer> parse_semver(const std::string& text);
// Precedence per SemVer 2.0 section 11: <0, 0, >0.
int compare_semver(const SemVer& a, const SemVer& b);

// A runtime range: space-separated comparators, each one of >= > <= < = then a version
// (">=0.1.0 <1.0.0"); a version satisfies the range when it satisfies every comparator.
struct Comparator {
  std::string op;
  SemVer version;
};
Result<std::vector<Comparator>> parse_range(const std::string& text);
bool satisfies(const SemVer& v, const std::vector<Comparator>& range);

}  // namespace edgeinfer::bundle
