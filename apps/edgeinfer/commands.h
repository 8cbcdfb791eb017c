// The edgeinfer CLI's subcommands. Each lives in its own cmd_*.cc and registers itself here
// (explicitly, from main.cc, so the command set is greppable). A command's callback stores its exit
// status in *exit_code; every error prints one line "edgeinfer <cmd>: error: ..." on stderr.
#pragma once
#include <CLI/CLI.hpp>

namespace edgeinfer::apps {

void RegisterInspect(CLI::App& app, int* exit_code);
void RegisterRun(CLI::App& app, int* exit_code);
void RegisterCompile(CLI::App& app, int* exit_code);    // cmd_compile.cc (graph compiler)
void RegisterAccuracy(CLI::App& app, int* exit_code);   // cmd_accuracy.cc (graph compiler)
void RegisterBench(CLI::App& app, int* exit_code);      // cmd_bench.cc (runtime: tune + scenarios)

}  // namespace edgeinfer::apps
