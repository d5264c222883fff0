// The Perfetto writer's output decoded by protoc against our own schema subset
// (tests/report/perfetto_subset.proto): a 2-task scenario with a wake-up and a preemption.
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "../kernel/harness.h"
#include "report/perfetto.h"
#include "report/proto.h"

namespace scx::testing {
namespace {

std::string decode(const std::string& path) {
  const std::string cmd = fmt::format("protoc --proto_path={0}/tests/report --decode=perfetto.protos.Trace "
                                      "{0}/tests/report/perfetto_subset.proto < {1} 2>&1",
                                      SCXSIM_SOURCE_DIR, path);
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  return rc == 0 ? out : "protoc failed: " + out;
}

// The decoded text with whitespace runs collapsed, so multi-line messages match one string.
std::string squash(const std::string& s) {
  std::string o;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !o.empty()) o += ' ';
    space = false;
    o += c;
  }
  return o;
}

TEST(ProtoEncoder, Varints) {
  std::string s;
  proto::put_varint(s, 0);
  proto::put_varint(s, 127);
  proto::put_varint(s, 128);
  proto::put_varint(s, 300);
  EXPECT_EQ(s, std::string("\x00\x7f\x80\x01\xac\x02", 6));
  proto::Message m;
  m.u(1, 150).str(2, "hi");
  EXPECT_EQ(m.bytes(), std::string("\x08\x96\x01\x12\x02hi", 7));
}

TEST(Perfetto, TwoTaskScenarioDecodesWithSwitchesAndWaking) {
  if (std::system("protoc --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "protoc not installed";
  const std::string path = fmt::format("{}/perfetto_test_{}.pftrace", SCXSIM_BINARY_DIR, ::getpid());
  {
    Sim s("1");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    PerfettoWriter w(s.topo, f);
    s.kernel->trace().subscribe(&w);
    WorkloadBuilder wb("two");
    wb.task("low").fifo(10).program().run(ms(10));
    wb.task("high").fifo(20).delay(ms(3)).program().run(ms(2));
    s.load(wb.build());
    s.kernel->schedule_callback(ms(4), 0, [&] {  // what the BPF host emits for a bpf_printk
      TraceEvent pk;
      pk.time = ms(4);
      pk.type = TraceType::BpfTracePrintk;
      pk.cpu = 0;
      pk.pid = 1001;
      pk.comm = "enqueue high";
      s.kernel->trace().emit(pk);
    });
    ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
    w.dsq_depth(ms(1), 5, 2);       // sched_ext counters, as the ext events will feed them
    w.dsq_latency(ms(2), 5, 1500);
    EXPECT_TRUE(w.ok());
    ASSERT_EQ(std::fclose(f), 0);
  }
  const std::string text = decode(path);
  std::remove(path.c_str());
  ASSERT_EQ(text.rfind("packet", 0), 0u) << text;
  const std::string t = squash(text);
  // Every field is known to the schema (unknown ones would print as bare numbers).
  std::smatch unknown;
  EXPECT_FALSE(std::regex_search(t, unknown, std::regex("(^| )[0-9]+:"))) << "unknown field: " << unknown.str();
  EXPECT_NE(t.find("system_info { utsname { sysname: \"Linux\" release: \"6.12.0-scxsim\""), std::string::npos) << t;
  EXPECT_NE(t.find("threads { tid: 1000 name: \"low\" tgid: 1000 }"), std::string::npos) << t;
  EXPECT_NE(t.find("threads { tid: 1001 name: \"high\" tgid: 1001 }"), std::string::npos) << t;
  // New tasks become runnable, woken by the launcher (pid 0).
  EXPECT_NE(t.find("event { timestamp: 0 pid: 0 task_newtask { pid: 1000 comm: \"low\" clone_flags: 0 } }"),
            std::string::npos) << t;
  // The schedule: high first, sleeps (S) for its start delay, low runs, high's timer wake-up at
  // 3 ms is emitted on CPU 0 with common pid = low (the task current there), high preempts low
  // (R+ = 256), exits (X = 16) at 5 ms, low exits at 12 ms.
  const std::string sw0 =
      "event { timestamp: 0 pid: 0 sched_switch { prev_comm: \"swapper/0\" prev_pid: 0 prev_prio: 120 prev_state: 0 "
      "next_comm: \"high\" next_pid: 1001 next_prio: 79 } }";
  const std::string sw1 =
      "event { timestamp: 0 pid: 1001 sched_switch { prev_comm: \"high\" prev_pid: 1001 prev_prio: 79 prev_state: 1 "
      "next_comm: \"low\" next_pid: 1000 next_prio: 89 } }";
  const std::string waking =
      "event { timestamp: 3000000 pid: 1000 sched_waking { comm: \"high\" pid: 1001 prio: 79 success: 1 target_cpu: 0 } }";
  const std::string sw2 =
      "event { timestamp: 3000000 pid: 1000 sched_switch { prev_comm: \"low\" prev_pid: 1000 prev_prio: 89 "
      "prev_state: 256 next_comm: \"high\" next_pid: 1001 next_prio: 79 } }";
  const std::string sw3 =
      "event { timestamp: 5000000 pid: 1001 sched_switch { prev_comm: \"high\" prev_pid: 1001 prev_prio: 79 "
      "prev_state: 16 next_comm: \"low\" next_pid: 1000 next_prio: 89 } }";
  const std::string free_high = "sched_process_free { comm: \"high\" pid: 1001 prio: 79 }";
  const std::string sw4 =
      "event { timestamp: 12000000 pid: 1000 sched_switch { prev_comm: \"low\" prev_pid: 1000 prev_prio: 89 "
      "prev_state: 16 next_comm: \"swapper/0\" next_pid: 0 next_prio: 120 } }";
  EXPECT_NE(t.find("event { timestamp: 4000000 pid: 1001 print { buf: \"enqueue high\\n\" } }"), std::string::npos) << t;
  size_t at = 0;
  for (const std::string* want : {&sw0, &sw1, &waking, &sw2, &sw3, &free_high, &sw4}) {
    size_t p = t.find(*want, at);
    ASSERT_NE(p, std::string::npos) << "missing (in order): " << *want << "\n" << t;
    at = p + want->size();
  }
  EXPECT_EQ(t.find("sched_switch", at), std::string::npos);  // exactly five switches
  size_t switches = 0;
  for (size_t p = t.find("sched_switch"); p != std::string::npos; p = t.find("sched_switch", p + 1)) ++switches;
  EXPECT_EQ(switches, 5u);
  // scxtop's topology track and DSQ counter tracks.
  EXPECT_NE(t.find("name: \"scxtop_topo:{"), std::string::npos);
  EXPECT_NE(t.find("name: \"DSQ 5 nr_queued\" counter { unit_name: \"DSQ 5 nr_queued\" }"), std::string::npos) << t;
  EXPECT_NE(t.find("name: \"DSQ 5 latency ns\""), std::string::npos);
  EXPECT_NE(t.find("timestamp: 1000000 trusted_packet_sequence_id: 1 track_event { type: TYPE_COUNTER"),
            std::string::npos) << t;
  EXPECT_NE(t.find("counter_value: 1500"), std::string::npos);
}

}  // namespace
}  // namespace scx::testing

namespace scx::testing {
namespace {

// Cgroup tracks: the FIFO scenario above with low in /a and high in /b, and /a throttled on CPU 0
// from 6 to 7 ms (the events the fair class's bandwidth control will emit, emitted by hand).
TEST(Perfetto, CgroupTracksNestRunningCountersMembersAndThrottling) {
  if (std::system("protoc --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "protoc not installed";
  const std::string path = fmt::format("{}/perfetto_cgroup_test_{}.pftrace", SCXSIM_BINARY_DIR, ::getpid());
  {
    Sim s("1");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    PerfettoWriter w(s.topo, f);
    s.kernel->trace().subscribe(&w);
    WorkloadBuilder wb("two");
    wb.cgroup("/a").cgroup("/a/b");
    wb.task("low").fifo(10).cgroup("/a").program().run(ms(10));
    wb.task("high").fifo(20).cgroup("/a/b").delay(ms(3)).program().run(ms(2));
    s.load(wb.build());
    for (auto [t, type] : {std::pair{ms(6), TraceType::CgroupThrottle}, std::pair{ms(7), TraceType::CgroupUnthrottle}})
      s.kernel->schedule_callback(t, 0, [&s, t, type] {
        TraceEvent e;
        e.time = t;
        e.type = type;
        e.cpu = 0;
        e.arg = 2;  // /a
        e.value = type == TraceType::CgroupUnthrottle ? static_cast<int64_t>(ms(1)) : 0;
        s.kernel->trace().emit(e);
      });
    ASSERT_TRUE(s.kernel->run_until(ms(20)).ok());
    ASSERT_EQ(std::fclose(f), 0);
  }
  const std::string text = decode(path);
  std::remove(path.c_str());
  const std::string t = squash(text);
  std::smatch unknown;
  EXPECT_FALSE(std::regex_search(t, unknown, std::regex("(^| )[0-9]+:"))) << "unknown field: " << unknown.str();
  // Track uuids: 0x5c0900000000 + 2 * id for a cgroup (root "cgroups" id 1, /a 2, /a/b 3), + 1
  // for its running counter; members and throttle tracks count up from 0x5c0a.., 0x5c0b...
  const uint64_t g = 0x5c0900000000ULL, m = 0x5c0a00000000ULL, th = 0x5c0b00000000ULL;
  auto td = [](uint64_t uuid, const std::string& name, uint64_t parent, bool counter) {
    return fmt::format("track_descriptor {{ uuid: {} name: \"{}\"{}{} }}", uuid, name,
                       parent ? fmt::format(" parent_uuid: {}", parent) : "", counter ? " counter { }" : "");
  };
  for (const std::string& want :
       {td(g + 2, "cgroups", 0, false), td(g + 4, "cgroup /a", g + 2, false), td(g + 5, "/a running", g + 4, true),
        td(g + 6, "cgroup /a/b", g + 4, false), td(g + 7, "/a/b running", g + 6, true),
        td(m, "low 1000", g + 4, false), td(m + 1, "high 1001", g + 6, false),
        td(th, "/a throttled cpu0", g + 4, false)})
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
  auto ev = [](Ns ts, const std::string& body) {
    return fmt::format("timestamp: {} trusted_packet_sequence_id: 1 track_event {{ {} }}", ts, body);
  };
  auto count = [&](Ns ts, uint64_t track, int v) {
    return ev(ts, fmt::format("type: TYPE_COUNTER track_uuid: {} counter_value: {}", track, v));
  };
  // The schedule (Perfetto.TwoTaskScenario...): high 0-0 (its delay), low 0-3, high 3-5 (exits),
  // low 5-12 (exits). /a counts both (high's /a/b is below it).
  size_t at = 0;
  for (const std::string& want :
       {ev(0, fmt::format("type: TYPE_SLICE_BEGIN track_uuid: {} name: \"member\"", m)),
        count(0, g + 7, 1), count(0, g + 5, 1),                       // high runs
        count(0, g + 7, 0), count(0, g + 5, 0), count(0, g + 5, 1),   // high sleeps, low runs
        count(ms(3), g + 5, 0), count(ms(3), g + 7, 1), count(ms(3), g + 5, 1),  // high preempts
        ev(ms(5), fmt::format("type: TYPE_SLICE_END track_uuid: {}", m + 1)),    // high exits
        ev(ms(6), fmt::format("type: TYPE_SLICE_BEGIN track_uuid: {} name: \"throttled\"", th)),
        ev(ms(7), fmt::format("type: TYPE_SLICE_END track_uuid: {}", th)),
        ev(ms(12), fmt::format("type: TYPE_SLICE_END track_uuid: {}", m))}) {
    size_t p = t.find(want, at);
    ASSERT_NE(p, std::string::npos) << "missing (in order): " << want << "\n" << t;
    at = p + want.size();
  }
}

}  // namespace
}  // namespace scx::testing
