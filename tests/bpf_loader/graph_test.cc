// Local kptrs and the graph kfuncs (bpf_obj_new/drop, refcount, lists, rbtrees, kptrs in map
// values) run from BPF subjects; exact results, object accounting, and hostile misuse.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include <bpf/btf.h>
#include <fmt/format.h>

#include "bpf/helpers/graph.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

class Graph : public ::testing::Test {
 protected:
  void SetUp() override {
    obj_ = must_load("graph.bpf.o");
    ASSERT_TRUE(obj_);
    ASSERT_TRUE(obj_->graph());
    h_.bind(vm_);
    obj_->attach(vm_);
  }
  void TearDown() override {
    if (obj_) obj_->detach();
  }

  // Runs a program that must succeed with 0.
  void run_ok(const char* name) {
    const BpfProgram* p = obj_->program(name);
    ASSERT_NE(p, nullptr) << name;
    RunResult r = vm_.run(*p->program, {0});
    ASSERT_TRUE(r.ok) << r.fault->message;
    EXPECT_EQ(r.r0, 0u) << name << " failed at step " << r.r0;
    EXPECT_TRUE(h_.end_run().ok()) << name;
  }
  std::vector<uint64_t> out() {
    auto* n = reinterpret_cast<uint32_t*>(obj_->global_data("nout"));
    auto* o = reinterpret_cast<uint64_t*>(obj_->global_data("out"));
    return std::vector<uint64_t>(o, o + *n);
  }
  uint64_t addr(const char* global) {
    return reinterpret_cast<uint64_t>(obj_->global_data(global));
  }
  GraphHeap& heap() { return *obj_->graph(); }

  Vm vm_;
  HelperEnv h_;
  std::unique_ptr<BpfObject> obj_;
};

constexpr uint64_t neg(int64_t v) {
  return static_cast<uint64_t>(v);
}

TEST_F(Graph, KfuncsAreInTheGenericRegistry) {
  for (const char* n : {"bpf_obj_new_impl", "bpf_obj_drop_impl", "bpf_refcount_acquire_impl",
                        "bpf_list_push_front_impl", "bpf_list_push_back_impl", "bpf_list_pop_front",
                        "bpf_list_pop_back", "bpf_list_front", "bpf_list_back",
                        "bpf_rbtree_add_impl", "bpf_rbtree_remove", "bpf_rbtree_first",
                        "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right"})
    EXPECT_TRUE(global_kfunc_registry().contains(n)) << n;
}

TEST_F(Graph, ListPushFrontBackPeekAndPop) {
  run_ok("list_order");
  // Pushes 10 back, 11 front, 12 back, 13 front, 14 back: [13 11 10 12 14]; front/back peeks;
  // pop_back, then pop_front until NULL.
  EXPECT_EQ(out(), (std::vector<uint64_t>{13, 14, 14, 13, 11, 10, 12, 0}));
  EXPECT_EQ(heap().live_objects(), 0u);
  EXPECT_TRUE(heap().root_contents(addr("ghead")).empty());
}

TEST_F(Graph, RbtreeSortsKeysWithEqualKeysInInsertionOrder) {
  run_ok("rbtree_order");
  // key*10+seq. Inserted 50 20 70 20 10 50 90 20; removed 50(5), then the root 50(0); the
  // shape is the kernel's red-black tree (root, left, right, right's left, left's right).
  EXPECT_EQ(out(), (std::vector<uint64_t>{505, 500, 201, 702, 0, 203, 500, 702, 201, 906, 104, 201,
                                          203, 207, 702, 906}));
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(Graph, RbtreeStaysBalancedAndSorted) {
  run_ok("rbtree_stress");
  EXPECT_EQ(heap().check_rbtree(addr("groot")), "");
  std::vector<uint64_t> nodes = heap().root_contents(addr("groot"));
  size_t removed = 0;
  for (int i = 0; i < 200; ++i) removed += i % 3 == 2 || i % 7 == 6;
  ASSERT_EQ(nodes.size(), 200 - removed);
  EXPECT_EQ(heap().live_objects(), nodes.size());
  // struct relem {key; seq; rb}: the node is at +16.
  auto key = [](uint64_t n) { return *reinterpret_cast<const uint64_t*>(n - 16); };
  auto seq = [](uint64_t n) { return *reinterpret_cast<const uint64_t*>(n - 8); };
  for (size_t i = 1; i < nodes.size(); ++i) {
    ASSERT_LE(key(nodes[i - 1]), key(nodes[i])) << i;
    if (key(nodes[i - 1]) == key(nodes[i])) {
      ASSERT_LT(seq(nodes[i - 1]), seq(nodes[i])) << i;
    }
  }
}

TEST_F(Graph, RefcountedNodeInAListAndATree) {
  run_ok("refcounted");
  // push 0, add 0, second push of a linked node with an extra reference: -EINVAL (reference
  // dropped); popped key 7; still in the tree (7); removing it twice gives NULL.
  EXPECT_EQ(out(), (std::vector<uint64_t>{0, 0, neg(-EINVAL), 7, 7, 1}));
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(Graph, KptrStashedInAMapValueAndExchangedOut) {
  run_ok("kptr_stash");
  EXPECT_EQ(heap().live_objects(), 1u);
  uint32_t k = 0;
  auto* v = static_cast<uint64_t*>(obj_->map("stash")->lookup_cpu(&k, 0));
  const uint64_t e = v[1];
  EXPECT_EQ(heap().refcount(e), 1u);
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(e), 42u);
  run_ok("kptr_take");
  EXPECT_EQ(out(), (std::vector<uint64_t>{42, 1, 43}));
  EXPECT_EQ(v[1], e);
  // Overwriting the element frees its kptr (array_map_update_elem + bpf_obj_free_fields).
  run_ok("kptr_overwrite");
  EXPECT_EQ(v[0], 5u);
  EXPECT_EQ(v[1], 0u);
  EXPECT_EQ(heap().live_objects(), 0u);
  // The freed object's region faults from now on.
  const Region* r = vm_.memory().find(e);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->perms, kPermNone);
  EXPECT_EQ(r->name, "dropped struct elem");
}

TEST_F(Graph, DestroyingTheMapDropsItsKptrs) {
  run_ok("kptr_stash");
  run_ok("nested_stash");
  std::shared_ptr<GraphHeap> keep = obj_->graph();
  EXPECT_EQ(keep->live_objects(), 5u);
  obj_.reset();
  EXPECT_EQ(keep->live_objects(), 0u);
}

TEST_F(Graph, DroppingAnObjectDropsItsNestedList) {
  run_ok("nested_stash");
  EXPECT_EQ(heap().live_objects(), 4u);
  uint32_t k = 1;
  auto* v = static_cast<uint64_t*>(obj_->map("stash")->lookup_cpu(&k, 0));
  // struct bucket {id; items}: the bucket's list holds keys 0 1 2.
  std::vector<uint64_t> items = heap().root_contents(v[2] + 8);
  ASSERT_EQ(items.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(*reinterpret_cast<uint64_t*>(items[i] - 8), i);
  run_ok("nested_drop");
  EXPECT_EQ(heap().live_objects(), 0u);
  // Again, freed from the host side this time: an update frees the old value's fields.
  run_ok("nested_stash");
  EXPECT_EQ(heap().live_objects(), 4u);
  uint8_t zero[24] = {};
  EXPECT_EQ(obj_->map("stash")->update(&k, zero, kBpfAny), 0);
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(Graph, DeletingAMapElementDrainsItsList) {
  run_ok("map_list");
  EXPECT_EQ(heap().live_objects(), 2u);
  uint32_t k = 3;
  auto* v = static_cast<uint8_t*>(obj_->map("lists")->lookup_cpu(&k, 0));
  EXPECT_EQ(heap().root_contents(reinterpret_cast<uint64_t>(v) + 8).size(), 2u);
  run_ok("map_list_delete");
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(Graph, ReusedMemoryIsZeroedAndFreshlyMapped) {
  run_ok("list_order");
  run_ok("list_order");  // the second run reuses the first run's blocks
  EXPECT_EQ(out(), (std::vector<uint64_t>{13, 14, 14, 13, 11, 10, 12, 0}));
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST(GraphRegistry, UnboundEntryFaults) {
  // The registry's own entry has no object heap: a call faults instead of crashing.
  const HostFn* fn = global_kfunc_registry().find("bpf_obj_new_impl");
  ASSERT_NE(fn, nullptr);
  Vm vm;
  vm.helpers().set(500, "k", *fn);
  auto p = Program::create(
      "t", {Insn{op::kJmp | op::kCall, 0, 0, 0, 500}, Insn{op::kJmp | op::kExit, 0, 0, 0, 0}});
  ASSERT_TRUE(p.ok());
  RunResult r = vm.run(*p);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("bpf_obj_new_impl: no object heap"), std::string::npos)
      << r.fault->message;
}

// ---- Hostile ----

class HostileGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    obj_ = must_load("hostile_graph.bpf.o");
    ASSERT_TRUE(obj_);
    h_.bind(vm_);
    obj_->attach(vm_);
  }
  void TearDown() override {
    if (obj_) obj_->detach();
  }
  // Runs `name`, which must fault; returns the message (one line, naming the program).
  std::string fault(const char* name) {
    const BpfProgram* p = obj_->program(name);
    EXPECT_NE(p, nullptr) << name;
    if (!p) return "";
    RunResult r = vm_.run(*p->program, {0});
    (void)h_.end_run();
    EXPECT_FALSE(r.ok) << name;
    if (r.ok) return "";
    EXPECT_EQ(r.fault->message.find('\n'), std::string::npos) << r.fault->message;
    EXPECT_EQ(r.fault->message.rfind(std::string(name) + ": insn ", 0), 0u) << r.fault->message;
    EXPECT_NE(r.fault->message.find("hostile_graph.bpf.c:"), std::string::npos) << r.fault->message;
    return r.fault->message;
  }
  Vm vm_;
  HelperEnv h_;
  std::unique_ptr<BpfObject> obj_;
};

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST_F(HostileGraph, UseAfterDropFaultsNamingTheInstruction) {
  std::string m = fault("use_after_drop");
  EXPECT_HAS(m, "dropped struct elem+0x0: region is not readable");
  EXPECT_HAS(m, "return *(volatile u64 *)&e->key;");
  EXPECT_EQ(obj_->graph()->live_objects(), 0u);
}

TEST_F(HostileGraph, DoubleDrop) {
  std::string m = fault("double_drop");
  EXPECT_HAS(m, "bpf_obj_drop_impl: R1 (p)");
  EXPECT_HAS(m, "is a dropped struct elem (use after bpf_obj_drop)");
}

TEST_F(HostileGraph, PushingALinkedNodeAgain) {
  std::string m = fault("push_twice");
  EXPECT_HAS(m, "bpf_list_push_back_impl: R2 (node)");
  EXPECT_HAS(m, "is already in a bpf_list_head");
  // The node stays in the list (nothing was freed under it).
  EXPECT_EQ(
      obj_->graph()->root_contents(reinterpret_cast<uint64_t>(obj_->global_data("ghead"))).size(),
      1u);
  EXPECT_EQ(obj_->graph()->live_objects(), 1u);
}

TEST_F(HostileGraph, DroppingALinkedNode) {
  std::string m = fault("drop_linked");
  EXPECT_HAS(m, "bpf_obj_drop_impl: struct elem");
  EXPECT_HAS(m, "is still in a bpf_list_head");
  EXPECT_EQ(obj_->graph()->live_objects(), 1u);
}

TEST_F(HostileGraph, GraphFieldsAreOpaque) {
  EXPECT_HAS(fault("node_field_read"), "(struct bpf_list_node node): field is not accessible");
  const uint64_t head = reinterpret_cast<uint64_t>(obj_->global_data("ghead"));
  const uint64_t off = head - vm_.memory().find(head)->base;
  EXPECT_HAS(
      fault("head_field_write"),
      fmt::format("map .data.A+{:#x} (struct bpf_list_head ghead): field is not accessible", off));
  EXPECT_HAS(fault("kptr_store"), "(referenced kptr e): field is read-only");
}

TEST_F(HostileGraph, BadNodeArguments) {
  EXPECT_HAS(fault("null_node"), "bpf_list_push_back_impl: R2 (node) is NULL");
  EXPECT_HAS(fault("foreign_node"),
             "(stack) is not a struct bpf_list_node of an object from bpf_obj_new");
  EXPECT_HAS(fault("wrong_type"),
             "R2 (node) is struct other+0x8, but struct bpf_list_head ghead holds struct elem");
}

TEST_F(HostileGraph, LessCallbackThatFreesObjects) {
  // The first add calls no less(); the second's callback drops an object mid-descent.
  std::string m = fault("less_mutates");
  EXPECT_HAS(m,
             "bpf_rbtree_add_impl: the less() callback modified a bpf_list/bpf_rbtree or dropped "
             "an object");
  EXPECT_EQ(obj_->graph()->check_rbtree(reinterpret_cast<uint64_t>(obj_->global_data("groot"))),
            "");
}

TEST(HostileGraphLoad, ListHeadWithoutContainsIsALoadError) {
  auto r = load_bpf_object(subject("hostile_contains.bpf.o"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  EXPECT_HAS(r.status().message(), "map 'bad'");
  EXPECT_HAS(r.status().message(),
             "struct bpf_list_head head: no __contains(type, field) declaration");
}

// A leaking program gets NULL once the heap's cap is reached; each 8-byte struct leak is
// charged 8 + GraphHeap::kHostBytesPerBlock = 264 bytes, so a cap of 10 * 264 + 263 bytes holds
// exactly 10 of them. The program returns holding them, which the kernel's verifier refuses at
// load ("Unreleased reference"): the run faults as it returns, with the 10 references held.
TEST(HostileGraphLoad, HeapCapMakesObjNewReturnNull) {
  LoadOptions o;
  o.max_heap_bytes = 10 * (8 + GraphHeap::kHostBytesPerBlock) + 263;
  auto obj = must_load("hostile_graph.bpf.o", o);
  ASSERT_TRUE(obj);
  Vm vm;
  HelperEnv h;
  h.bind(vm);
  obj->attach(vm);
  const BpfProgram* p = obj->program("leak_until_null");
  ASSERT_NE(p, nullptr);
  RunResult r = vm.run(*p->program, {0});
  EXPECT_FALSE(r.ok);
  const std::string message = r.fault ? r.fault->message : "";
  EXPECT_NE(message.find("unreleased reference: the object bpf_obj_new_impl returned here is still held "
                         "when the program returns (10 references held"),
            std::string::npos)
      << message;
  EXPECT_EQ(obj->graph()->live_objects(), 10u);
  obj->detach();
}

// A BTF type may claim up to 4 GiB. One without special fields has none to report (and gets
// no byte-by-byte layout: a hostile object's 4 GiB value type once made the loader allocate
// 4 GiB for one); one with special fields past GraphHeap::kMaxLayoutBytes is an error naming it.
TEST(GraphTypes, HugeTypesGetNoLayout) {
  struct btf* b = btf__new_empty();
  ASSERT_NE(b, nullptr);
  const int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  const int plain = btf__add_struct(b, "huge_plain", 3u << 30);
  btf__add_field(b, "x", int_id, 0, 0);
  const int head = btf__add_struct(b, "bpf_list_head", 16);
  btf__add_field(b, "a", int_id, 0, 0);
  const int with_head = btf__add_struct(b, "huge_with_head", 3u << 30);
  btf__add_field(b, "h", head, 64, 0);
  uint32_t size = 0;
  const auto* raw = static_cast<const uint8_t*>(btf__raw_data(b, &size));
  auto btf = Btf::parse(std::span<const uint8_t>(raw, size), "test");
  btf__free(b);
  ASSERT_TRUE(btf.ok()) << btf.status().message();
  auto heap = std::make_shared<GraphHeap>(std::move(*btf), nullptr, uint64_t{1} << 20);

  auto plain_fields = heap->value_fields(static_cast<uint32_t>(plain));
  ASSERT_TRUE(plain_fields.ok());
  EXPECT_FALSE(plain_fields->has_value());

  auto headed = heap->value_fields(static_cast<uint32_t>(with_head));
  ASSERT_FALSE(headed.ok());
  EXPECT_EQ(headed.status().message(),
            "struct huge_with_head is 3221225472 bytes with special fields (kptrs, graph roots or nodes): at most "
            "16777216 bytes are supported");
}

}  // namespace
}  // namespace scx::bpf::test
