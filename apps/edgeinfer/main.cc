// edgeinfer: the command-line front end. Subcommands are registered in order below.
#include <CLI/CLI.hpp>

#include "apps/edgeinfer/commands.h"

int main(int argc, char** argv) {
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
