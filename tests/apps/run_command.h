// Runs a built program the way a user does (through the shell, stdout and stderr together, or stdout
// alone where a test parses it as JSON) and returns its exit status and output. Shared by the CLI and
// example tests.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace edgeinfer::testing {

struct CmdResult {
  int status = -1;   // exit status; 128 + signal when killed
  std::string out;   // stdout (+ stderr unless dropped)
};

// `program` is relative to the build directory ("apps/edgeinfer").
inline CmdResult RunBuilt(const std::string& program, const std::string& args, bool merge_stderr = true) {
  std::string cmd = std::string(EDGEINFER_BINARY_DIR) + "/" + program + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CmdResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

inline CmdResult RunCli(const std::string& args, bool merge_stderr = true) {
  return RunBuilt("apps/edgeinfer", args, merge_stderr);
}

}  // namespace edgeinfer::testing
