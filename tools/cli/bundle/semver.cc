#include "bundle/semver.h"

#include <cctype>
#include <sstream>

namespace edgeinfer::bundle {
namespace {

bool is_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

bool is_ident_chars(const std::string& s) {
  return !s.empty() &&
         s.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") == std::string::npos;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

Result<uint64_t> numeric(const std::string& part, const char* what, const std::string& text) {
  if (!is_digits(part)) return invalid_argument("version '" + text + "': the " + what + " version must be digits");
  if (part.size() > 1 && part[0] == '0')
    return invalid_argument("version '" + text + "': leading zero in the " + what + " version");
  if (part.size() > 15) return invalid_argument("version '" + text + "': the " + what + " version is too large");
  return std::stoull(part);
}

}  // namespace

Result<SemVer> parse_semver(const std::string& text) {
  SemVer v;
  std::string core = text;
  const size_t plus = core.find('+');
  if (plus != std::string::npos) {
    v.build = core.substr(plus + 1);
    core = core.substr(0, plus);
    for (const std::string& id : split(v.build, '.'))
      if (!is_ident_chars(id))
        return invalid_argument("version '" + text + "': build metadata identifiers must be non-empty [0-9A-Za-z-]");
  }
  const size_t dash = core.find('-');
  if (dash != std::string::npos) {
    const std::string pre = core.substr(dash + 1);
    core = core.substr(0, dash);
    for (const std::string& id : split(pre, '.')) {
      if (!is_ident_chars(id))
        return invalid_argument("version '" + text + "': pre-release identifiers must be non-empty [0-9A-Za-z-]");
      if (is_digits(id) && id.size() > 1 && id[0] == '0')
        return invalid_argument("version '" + text + "': leading zero in the numeric pre-release identifier '" + id + "'");
      v.prerelease.push_back(id);
    }
  }
  const std::vector<std::string> parts = split(core, '.');
  if (parts.size() != 3)
    return invalid_argument("version '" + text + "' is not MAJOR.MINOR.PATCH (SemVer 2.0, e.g. 1.4.0 or 2.0.0-beta.1)");
  EI_ASSIGN_OR_RETURN(v.major, numeric(parts[0], "major", text));
  EI_ASSIGN_OR_RETURN(v.minor, numeric(parts[1], "minor", text));
  EI_ASSIGN_OR_RETURN(v.patch, numeric(parts[2], "patch", text));
  return v;
}

int compare_semver(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  // A pre-release sorts before its release.
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    const std::string &x = a.prerelease[i], &y = b.prerelease[i];
    const bool nx = is_digits(x), ny = is_digits(y);
    if (nx && ny) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
    } else if (nx != ny) {
      return nx ? -1 : 1;  // numeric identifiers sort before alphanumeric ones
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.prerelease.size() != b.prerelease.size()) return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  return 0;
}

Result<std::vector<Comparator>> parse_range(const std::string& text) {
  std::vector<Comparator> out;
  std::istringstream ss(text);
  std::string tok;
  while (ss >> tok) {
    Comparator c;
    for (const char* op : {">=", "<=", ">", "<", "="}) {
      if (tok.rfind(op, 0) == 0) {
        c.op = op;
        break;
      }
    }
    if (c.op.empty())
      return invalid_argument("runtime range '" + text + "': '" + tok + "' does not start with >=, >, <=, < or =");
    auto v = parse_semver(tok.substr(c.op.size()));
    if (!v.is_ok()) return v.status().with_context("runtime range '" + text + "': ");
    c.version = v.value();
    out.push_back(c);
  }
  if (out.empty()) return invalid_argument("runtime range is empty (expected e.g. '>=0.1.0 <1.0.0')");
  // Only single spaces between comparators: the JavaScript side splits on ' '.
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == ' ' ? (i == 0 || i + 1 == text.size() || text[i + 1] == ' ') : std::isspace(static_cast<unsigned char>(text[i])))
      return invalid_argument("runtime range '" + text + "': comparators must be separated by single spaces");
  return out;
}

bool satisfies(const SemVer& v, const std::vector<Comparator>& range) {
  for (const Comparator& c : range) {
    const int r = compare_semver(v, c.version);
    const bool ok = c.op == ">=" ? r >= 0 : c.op == ">" ? r > 0 : c.op == "<=" ? r <= 0 : c.op == "<" ? r < 0 : r == 0;
    if (!ok) return false;
  }
  return true;
}

}  // namespace edgeinfer::bundle
