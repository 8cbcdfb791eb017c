// edgeinfer: the command-line front end. Subcommands are registered in order below.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <unistd.h>

#include "apps/edgeinfer/commands.h"

int main(int argc, char** argv) {
  // The CPU engines run on OpenMP (oneDNN's pool). libgomp's default is to spin for a while before a
  // worker sleeps; on a machine whose cores are shared (a perception app's other threads, builds)
  // the spinning workers steal the cores the working ones need: ResNet-50 took 0.8 s instead of
  // 35 ms on this project's 2-core machine under load. libgomp reads its wait policy when it loads,
  // before main, so the CLI sets OMP_WAIT_POLICY=passive and re-executes itself once, unless the
  // user chose a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT set) or EDGEINFER_NO_REEXEC is set.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT") && !std::getenv("EDGEINFER_NO_REEXEC")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("EDGEINFER_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);   // returns only on failure: then go on with the default policy
  }
  CLI::App app{"edgeinfer: compile ONNX CNNs once and run them on the GPU, DLA and CPU engines of an edge SoC"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeinfer 0.1.0");
  int exit_code = 0;
  edgeinfer::apps::RegisterInspect(app, &exit_code);
  edgeinfer::apps::RegisterRun(app, &exit_code);
  edgeinfer::apps::RegisterCompile(app, &exit_code);
  edgeinfer::apps::RegisterAccuracy(app, &exit_code);
  edgeinfer::apps::RegisterBench(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
