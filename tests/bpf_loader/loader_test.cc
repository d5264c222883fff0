// Loading the FIFO scheduler: struct_ops data, callbacks, programs, globals, externs, line
// info; running its callbacks against real task_structs; inspect output.
#include <gtest/gtest.h>

#include <cstring>

#include "bpf/loader/inspect.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

TEST(KernelBtf, EveryStructIsComplete) {
  const Btf& b = kernel_btf();
  for (uint32_t id = 1; id < b.count(); ++id) EXPECT_NE(b.kind(id), 7 /* BTF_KIND_FWD */) << b.type_name(id);
  EXPECT_NE(b.find("task_struct", 4), 0u);
  EXPECT_NE(b.find("sched_ext_ops", 4), 0u);
  EXPECT_EQ(b.size_of(b.find("task_struct", 4)), static_cast<int64_t>(sizeof(task_struct)));
  EXPECT_EQ(b.size_of(b.find("sched_ext_ops", 4)), static_cast<int64_t>(sizeof(sched_ext_ops)));
  EXPECT_EQ(b.size_of(b.find("rq", 4)), static_cast<int64_t>(sizeof(rq)));
}

TEST(KernelLayouts, TaskStructWritableFieldsOnly) {
  auto l = task_struct_layout();
  EXPECT_EQ(l->size(), sizeof(task_struct));
  EXPECT_TRUE(l->allows(offsetof(task_struct, scx.slice), 8, kPermWrite));
  EXPECT_TRUE(l->allows(offsetof(task_struct, scx.dsq_vtime), 8, kPermWrite));
  EXPECT_TRUE(l->allows(offsetof(task_struct, scx.disallow), 1, kPermWrite));
  EXPECT_FALSE(l->allows(offsetof(task_struct, scx.weight), 4, kPermWrite));
  EXPECT_TRUE(l->allows(offsetof(task_struct, scx.weight), 4, kPermRead));
  EXPECT_FALSE(l->allows(offsetof(task_struct, pid), 4, kPermWrite));
  EXPECT_FALSE(l->allows(offsetof(task_struct, __scxsim_task), 8, kPermRead));
  EXPECT_EQ(l->field_at(offsetof(task_struct, pid)), "pid");
  EXPECT_EQ(l->field_at(offsetof(task_struct, scx.weight)), "scx.weight");
}

TEST(Loader, FifoStructOps) {
  FakeKfuncs k;
  LoadOptions o;
  o.kfuncs = &k.reg;
  auto obj = must_load("fifo.bpf.o", o);
  ASSERT_TRUE(obj);
  EXPECT_EQ(obj->license(), "GPL");
  ASSERT_TRUE(obj->struct_ops().has_value());
  const StructOpsInfo& so = *obj->struct_ops();
  EXPECT_EQ(so.name, "fifo");
  EXPECT_EQ(so.var_name, "fifo_ops");
  EXPECT_EQ(so.section, ".struct_ops.link");
  EXPECT_EQ(so.flags, uint64_t{SCX_OPS_ENQ_LAST | SCX_OPS_SWITCH_PARTIAL});
  EXPECT_EQ(so.timeout_ms, 5000u);
  EXPECT_EQ(so.dispatch_max_batch, 0u);
  std::vector<std::string> members;
  for (auto& c : so.callbacks) members.push_back(c.member);
  EXPECT_EQ(members, (std::vector<std::string>{"select_cpu", "enqueue", "dispatch", "running", "stopping",
                                               "enable", "init", "exit"}));
  ASSERT_NE(obj->callback("init"), nullptr);
  EXPECT_TRUE(obj->callback("init")->sleepable);
  EXPECT_FALSE(obj->callback("enqueue")->sleepable);
  EXPECT_EQ(obj->callback("enqueue")->name, "fifo_enqueue");
  EXPECT_EQ(obj->callback("tick"), nullptr);
  EXPECT_TRUE(obj->unsupported().empty()) << obj->unsupported().front();
  // stat_inc (.text) was linked into the programs that call it.
  EXPECT_GT(obj->callback("enqueue")->program->size(), obj->callback("enqueue")->own_insns);
  // globals
  const GlobalVar* g = obj->global("fifo_sched");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->section, ".rodata");
  EXPECT_TRUE(g->read_only);
  EXPECT_EQ(g->type, "bool");
  ASSERT_NE(obj->global("vtime_now"), nullptr);
  EXPECT_EQ(obj->global("vtime_now")->section, ".bss");
  ASSERT_NE(obj->global("uei"), nullptr);
  EXPECT_EQ(obj->global("uei")->section, ".data");
  ASSERT_NE(obj->global("uei_dump"), nullptr);
  EXPECT_EQ(obj->global("uei_dump")->section, ".data.uei_dump");
  // externs: the 6.12 names are weak and unresolved
  bool saw_compat = false;
  for (const ExternInfo& e : obj->externs())
    if (e.name == "scx_bpf_dispatch___compat") {
      saw_compat = true;
      EXPECT_TRUE(e.weak);
      EXPECT_FALSE(e.resolved);
      EXPECT_EQ(e.essential_name, "scx_bpf_dispatch");
    }
  EXPECT_TRUE(saw_compat);
  ASSERT_NE(obj->map("stats"), nullptr);
  EXPECT_EQ(obj->map("stats")->type(), kMapPercpuArray);
}

class FifoRun : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_shared<MapEnv>();
    env_->nr_cpus = 4;
    env_->current_cpu = [this] { return cpu_; };
    LoadOptions o;
    o.kfuncs = &k_.reg;
    o.map_env = env_;
    obj_ = must_load(file(), o);
    ASSERT_TRUE(obj_);
    helpers_.hooks().cpu = [this] { return cpu_; };
    helpers_.bind(vm_);
    obj_->attach(vm_);
  }
  virtual std::string file() const { return "fifo.bpf.o"; }
  RunResult run(const char* cb, std::initializer_list<uint64_t> args) {
    const BpfProgram* p = obj_->callback(cb);
    EXPECT_NE(p, nullptr) << cb;
    std::vector<uint64_t> a(args);
    return vm_.run_ctx(*p->program, 0, a);
  }
  void exercise() {
    TestTask t(vm_, 42, 100);
    t.t.scx.dsq_vtime = 0;
    // vtime mode (fifo_sched = false): enqueue inserts with vtime, stopping charges.
    RunResult r = run("enable", {t.addr()});
    ASSERT_TRUE(r.ok) << r.fault->message;
    r = run("enqueue", {t.addr(), 0});
    ASSERT_TRUE(r.ok) << r.fault->message;
    ASSERT_FALSE(k_.calls.empty());
    EXPECT_EQ(k_.calls.back().name, "scx_bpf_dsq_insert_vtime");
    EXPECT_EQ(k_.calls.back().args[0], t.addr());
    EXPECT_EQ(k_.calls.back().args[2], 20'000'000u);
    t.t.scx.slice = 5'000'000;  // ran 15 ms
    r = run("stopping", {t.addr(), 1});
    ASSERT_TRUE(r.ok) << r.fault->message;
    EXPECT_EQ(t.t.scx.dsq_vtime, 15'000'000u * 100 / 100);
    r = run("running", {t.addr()});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(*reinterpret_cast<uint64_t*>(obj_->global_data("vtime_now")), 15'000'000u);
    // select_cpu: idle → direct dispatch to the local DSQ; stats[0] on this CPU counted.
    cpu_ = 2;
    r = run("select_cpu", {t.addr(), 3, 0});
    ASSERT_TRUE(r.ok) << r.fault->message;
    EXPECT_EQ(r.r0, 3u);
    EXPECT_EQ(k_.calls.back().name, "scx_bpf_dsq_insert");
    EXPECT_EQ(k_.calls.back().args[1], static_cast<uint64_t>(SCX_DSQ_LOCAL));
    uint32_t key = 0;
    EXPECT_EQ(*static_cast<uint64_t*>(obj_->map("stats")->lookup_cpu(&key, 2)), 1u);
    EXPECT_EQ(*static_cast<uint64_t*>(obj_->map("stats")->lookup_cpu(&key, 0)), 0u);
    // FIFO mode via --set.
    ASSERT_TRUE(obj_->set_global("fifo_sched", "true").ok());
    r = run("enqueue", {t.addr(), 8});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(k_.calls.back().name, "scx_bpf_dsq_insert");
    EXPECT_EQ(k_.calls.back().args[3], 8u);
    r = run("dispatch", {0, 0});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(k_.calls.back().name, "scx_bpf_dsq_move_to_local");
    r = run("init", {});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(k_.calls.back().name, "scx_bpf_create_dsq");
    // exit: UEI_RECORD copies the reason through probe_read_kernel_str.
    const char reason[] = "unregistered from user space";
    scx_exit_info ei{};
    ei.kind = SCX_EXIT_UNREG;
    ei.reason = reason;
    ASSERT_TRUE(vm_.memory().add(&ei, sizeof ei, kPermRead, "exit_info").ok());
    ASSERT_TRUE(vm_.memory().add(reason, sizeof reason, kPermRead, "reason").ok());
    r = run("exit", {reinterpret_cast<uint64_t>(&ei)});
    ASSERT_TRUE(r.ok) << r.fault->message;
    const uint8_t* uei = obj_->global_data("uei");
    EXPECT_EQ(*reinterpret_cast<const int*>(uei), SCX_EXIT_UNREG);
    EXPECT_STREQ(reinterpret_cast<const char*>(uei + 16), reason);
    vm_.memory().remove(&ei);
    vm_.memory().remove(reason);
    vm_.memory().remove(&t.t);
  }

  FakeKfuncs k_;
  std::shared_ptr<MapEnv> env_;
  uint32_t cpu_ = 0;
  Vm vm_;
  HelperEnv helpers_;
  std::unique_ptr<BpfObject> obj_;
};

TEST_F(FifoRun, CallbacksBehave) { exercise(); }

class FifoShuffledRun : public FifoRun {
  std::string file() const override { return "fifo_shuffled.bpf.o"; }
};
TEST_F(FifoShuffledRun, SameBehaviourWithADifferentLayout) { exercise(); }

TEST(Loader, SetGlobalErrors) {
  FakeKfuncs k;
  LoadOptions o;
  o.kfuncs = &k.reg;
  auto obj = must_load("fifo.bpf.o", o);
  ASSERT_TRUE(obj);
  EXPECT_FALSE(obj->set_global("nope", "1").ok());
  EXPECT_FALSE(obj->set_global("fifo_sched", "banana").ok());
  EXPECT_FALSE(obj->set_global("fifo_sched", "300").ok());
  EXPECT_TRUE(obj->set_global("slice_ns", "0x1000").ok());
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(obj->global_data("slice_ns")), 0x1000u);
}

TEST(Loader, DescribePcGivesSourceLines) {
  FakeKfuncs k;
  LoadOptions o;
  o.kfuncs = &k.reg;
  auto obj = must_load("fifo.bpf.o", o);
  ASSERT_TRUE(obj);
  const BpfProgram* p = obj->callback("stopping");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->source_file.find("fifo.bpf.c"), std::string::npos);
  bool found = false;
  for (size_t pc = 0; pc < p->program->size(); ++pc)
    found |= p->program->describe_pc(pc).find("fifo.bpf.c:") == 0 &&
             p->program->describe_pc(pc).find("dsq_vtime +=") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(Inspect, FifoText) {
  FakeKfuncs k;
  auto text = inspect_file(subject("fifo.bpf.o"), false, &k.reg);
  ASSERT_TRUE(text.ok()) << text.status().message();
  const std::string& t = *text;
  EXPECT_NE(t.find("object: fifo.bpf.o\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ops: fifo (struct_ops 'fifo_ops', section .struct_ops.link)"), std::string::npos) << t;
  EXPECT_NE(t.find("flags: 0xa (ENQ_LAST|SWITCH_PARTIAL)"), std::string::npos) << t;
  EXPECT_NE(t.find("timeout_ms: 5000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("init                 fifo_init (sleepable)"), std::string::npos) << t;
  EXPECT_NE(t.find("stats                    percpu_array     key   4  value     8  max_entries 2"),
            std::string::npos) << t;
  EXPECT_NE(t.find("fifo_sched               .rodata              1 bytes  bool  (settable with --set)"),
            std::string::npos) << t;
  EXPECT_NE(t.find("scx_bpf_dispatch___compat                not provided (weak)"), std::string::npos) << t;
  EXPECT_NE(t.find("unsupported: none\n"), std::string::npos) << t;
  auto json = inspect_file(subject("fifo.bpf.o"), true, &k.reg);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"flags_decoded\": \"ENQ_LAST|SWITCH_PARTIAL\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"unsupported\": []"), std::string::npos) << *json;
}

TEST(Inspect, MissingKfuncsAreReportedNotFatal) {
  KfuncRegistry empty;
  auto text = inspect_file(subject("hostile_kfunc.bpf.o"), false, &empty);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_NE(text->find("kfunc 'scx_bpf_no_such_kfunc' is not provided by scxsim"), std::string::npos) << *text;
}

}  // namespace
}  // namespace scx::bpf::test
