// The one engine vocabulary: the classes of engine a SoC has. Used by the timing models, the DRAM
// model, the partitioner (which class runs a node), the simulator and the session's engine specs
// ("dla1" is EngineClass::kDla, core 1). Node::engine carries EngineClassName's spelling.
#pragma once

namespace edgeinfer::devices {

enum class EngineClass { kGpu, kDla, kCpu };

// "gpu", "dla", "cpu" (the spelling of Node::engine and of reports).
inline const char* EngineClassName(EngineClass e) {
  switch (e) {
    case EngineClass::kGpu: return "gpu";
    case EngineClass::kDla: return "dla";
    case EngineClass::kCpu: return "cpu";
  }
  return "?";
}

}  // namespace edgeinfer::devices
