// For tests that drive the native CLI binary: where the test executable and the repository are, and
// running `edgeinfer ARGS` with its exit code and output.
#pragma once

#include <cstdio>
#include <string>

#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgeinfer::testing {

inline bool path_exists_for_test(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

inline std::string exe_dir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  std::string s(buf);
  return s.substr(0, s.find_last_of('/'));
}

// The CLI built next to the test executables (build/<dir>/tools/edgeinfer).
inline std::string cli_path() { return exe_dir() + "/tools/edgeinfer"; }

// The repository root: the first directory above the test executable holding models/test/.
inline std::string repo_root() {
  std::string dir = exe_dir();
  for (int i = 0; i < 8 && !dir.empty(); ++i) {
    if (path_exists_for_test(dir + "/models/test/if_model.onnx")) return dir;
    dir = dir.substr(0, dir.find_last_of('/'));
  }
  return "";
}

struct CmdResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

// Runs `edgeinfer ARGS` (ARGS is shell text).
inline CmdResult run_cli(const std::string& args) {
  CmdResult r;
  const std::string cmd = cli_path() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace edgeinfer::testing
