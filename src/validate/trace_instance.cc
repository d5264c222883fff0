#include "validate/trace_instance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "validate/sysfile.h"

namespace scx {

const char* const TraceInstance::kEvents[7] = {"sched_switch",       "sched_waking",       "sched_wakeup",
                                               "sched_wakeup_new",   "sched_migrate_task", "sched_process_fork",
                                               "sched_process_exit"};

Result<TraceInstance> TraceInstance::create(const std::string& tracefs, const std::string& name,
                                            size_t buffer_kb_per_cpu) {
  const std::string dir = tracefs + "/instances/" + name;
  ::rmdir(dir.c_str());  // left over by an interrupted run
  if (::mkdir(dir.c_str(), 0755) != 0)
    return Status::Errorf("validate", "cannot create the trace instance {}: {}", dir, std::strerror(errno));
  TraceInstance t(dir);
  SCX_RETURN_IF_ERROR(write_control(dir + "/tracing_on", "0").within("validate"));
  SCX_RETURN_IF_ERROR(write_control(dir + "/buffer_size_kb", std::to_string(buffer_kb_per_cpu)).within("validate"));
  SCX_RETURN_IF_ERROR(write_control(dir + "/trace_clock", "mono").within("validate"));
  for (const char* e : kEvents)
    SCX_RETURN_IF_ERROR(write_control(dir + "/events/sched/" + e + "/enable", "1").within("validate"));
  return t;
}

TraceInstance::~TraceInstance() {
  if (dir_.empty()) return;
  write_control(dir_ + "/tracing_on", "0");
  ::rmdir(dir_.c_str());
}

Status TraceInstance::start() const {
  SCX_RETURN_IF_ERROR(write_control(dir_ + "/trace", "").within("validate"));
  return write_control(dir_ + "/tracing_on", "1").within("validate");
}

Status TraceInstance::stop() const { return write_control(dir_ + "/tracing_on", "0").within("validate"); }

Result<std::string> TraceInstance::read() const { return read_control(dir_ + "/trace"); }

uint64_t TraceInstance::lost() const {
  uint64_t lost = 0;
  std::error_code ec;
  for (const auto& cpu : std::filesystem::directory_iterator(dir_ + "/per_cpu", ec)) {
    auto stats = read_control(cpu.path().string() + "/stats");
    if (!stats.ok()) continue;
    std::istringstream in(*stats);
    std::string line;
    while (std::getline(in, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = line.substr(0, colon);
      if (key == "overrun" || key == "dropped events") lost += std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    }
  }
  return lost;
}

}  // namespace scx
