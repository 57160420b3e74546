// Small file-system helpers for the bundle tools (POSIX).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgeinfer::bundle {

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);
Result<std::string> read_file_text(const std::string& path);
// Writes path.tmp then renames it over path, so readers never see a half-written file.
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t n, bool private_mode = false);
inline Status write_file_atomic(const std::string& path, const std::string& s, bool private_mode = false) {
  return write_file_atomic(path, reinterpret_cast<const uint8_t*>(s.data()), s.size(), private_mode);
}
Status make_dirs(const std::string& dir);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
Result<std::vector<std::string>> list_dir(const std::string& dir);  // names, no "." or ".."

}  // namespace edgeinfer::bundle
