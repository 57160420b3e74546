#include "bundle/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace edgeinfer::bundle {

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  // Read to the end rather than trusting a size: pipes and /dev/fd/N (shell process substitution) work too.
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return invalid_argument(path + ": cannot open file: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  struct stat st {};
  if (::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  const bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return invalid_argument(path + ": read error");
  return bytes;
}

Result<std::string> read_file_text(const std::string& path) {
  EI_ASSIGN_OR_RETURN(std::vector<uint8_t> b, read_file_bytes(path));
  return std::string(b.begin(), b.end());
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t n, bool private_mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, private_mode ? 0600 : 0644);
  if (fd < 0) return invalid_argument(tmp + ": cannot create file: " + std::strerror(errno));
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, data + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return invalid_argument(tmp + ": write error: " + err);
    }
    done += static_cast<size_t>(w);
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return invalid_argument(tmp + ": close error: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return invalid_argument(path + ": cannot replace file: " + std::strerror(errno));
  }
  return Status::ok();
}

Status make_dirs(const std::string& dir) {
  std::string cur;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') cur = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += part + "/";
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      return invalid_argument(cur + ": cannot create directory: " + std::strerror(errno));
  }
  if (!is_directory(dir)) return invalid_argument(dir + ": not a directory");
  return Status::ok();
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return invalid_argument(dir + ": cannot list directory: " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

}  // namespace edgeinfer::bundle
