// Generic kfuncs that need no scheduler state.
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "bpf/helpers/graph.h"
#include "bpf/loader/kfuncs.h"

namespace scx::bpf {

namespace {

// bpf_iter_bits (6.11+): new() copies nr_words u64 words, next() yields the index of each set
// bit in turn. The copy and the cursor live here, keyed by (VM, iterator address), so that a
// program scribbling over its iterator cannot steer the host; the iterator's own 16 bytes
// mirror the kernel's layout (bits/bits_copy, nr_bits, bit) only for the `bit` that next()
// returns a pointer to. Runs are single-threaded per VM, hence thread_local.
struct BitsIter {
  std::vector<uint64_t> words;
  int nr_bits = 0;
  int bit = -1;
};
thread_local std::map<std::pair<const Vm*, uint64_t>, BitsIter> bits_iters;
constexpr uint32_t kBitsIterMaxWords = 511;  // BITS_ITER_NR_WORDS_MAX
constexpr size_t kBitsIterSize = 16, kBitsIterBitOff = 12;

void put_bits_iter_state(uint64_t it, int nr_bits, int bit) {
  auto* k = reinterpret_cast<uint8_t*>(it);
  std::memset(k, 0, 8);
  std::memcpy(k + 8, &nr_bits, 4);
  std::memcpy(k + kBitsIterBitOff, &bit, 4);
}

}  // namespace

void add_bits_iterator_kfuncs(KfuncRegistry& r) {
  r.add("bpf_iter_bits_new", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], kBitsIterSize, kPermReadWrite, "it")) return 0;
    const auto key = std::make_pair(&cx.vm(), a[0]);
    bits_iters.erase(key);
    put_bits_iter_state(a[0], 0, -1);
    const uint32_t nr_words = static_cast<uint32_t>(a[2]);
    if (!a[1] || !nr_words) return static_cast<uint64_t>(-22);                   // -EINVAL
    if (nr_words > kBitsIterMaxWords) return static_cast<uint64_t>(-7);          // -E2BIG
    // The source is read like bpf_probe_read_kernel: unreadable memory is -EFAULT, not a fault.
    if (!cx.can_access(a[1], 8ULL * nr_words, kPermRead)) return static_cast<uint64_t>(-14);
    BitsIter st;
    st.words.resize(nr_words);
    std::memcpy(st.words.data(), reinterpret_cast<const void*>(a[1]), 8ULL * nr_words);
    st.nr_bits = static_cast<int>(nr_words * 64);
    put_bits_iter_state(a[0], st.nr_bits, -1);
    bits_iters[key] = std::move(st);
    return 0;
  });
  r.add("bpf_iter_bits_next", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], kBitsIterSize, kPermReadWrite, "it")) return 0;
    auto found = bits_iters.find(std::make_pair(&cx.vm(), a[0]));
    if (found == bits_iters.end()) return 0;  // failed new(): empty
    BitsIter& st = found->second;
    if (!st.nr_bits || st.bit >= st.nr_bits) return 0;
    int b = st.bit + 1;
    while (b < st.nr_bits && !((st.words[static_cast<size_t>(b) / 64] >> (b % 64)) & 1)) ++b;
    st.bit = b;
    put_bits_iter_state(a[0], st.nr_bits, b);
    return b >= st.nr_bits ? 0 : a[0] + kBitsIterBitOff;
  });
  r.add("bpf_iter_bits_destroy", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], kBitsIterSize, kPermReadWrite, "it")) return 0;
    bits_iters.erase(std::make_pair(&cx.vm(), a[0]));
    std::memset(reinterpret_cast<void*>(a[0]), 0, kBitsIterSize);
    return 0;
  });
}

void add_generic_kfuncs(KfuncRegistry& r) {
  r.add("bpf_rcu_read_lock", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  r.add("bpf_rcu_read_unlock", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  // A simulated callback is never preempted, and the verifier keeps disable/enable balanced.
  r.add("bpf_preempt_disable", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  r.add("bpf_preempt_enable", [](CallContext&, const HostArgs&) -> uint64_t { return 0; });
  // bpf_rdonly_cast(obj, btf_id) returns obj: the cast only changes the verifier's view (an
  // untrusted, read-only pointer); what the program may touch is still the memory's regions.
  r.add("bpf_rdonly_cast", [](CallContext&, const HostArgs& a) -> uint64_t { return a[0]; });
  // struct bpf_iter_num (8 bytes): {int cur; int end} as the kernel's bpf_iter_num_kern.
  r.add("bpf_iter_num_new", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    int32_t start = static_cast<int32_t>(a[1]), end = static_cast<int32_t>(a[2]);
    int32_t st[2] = {0, 0};
    uint64_t ret = 0;
    if (start > end) {
      ret = static_cast<uint64_t>(-22);  // -EINVAL, empty iterator
    } else if (static_cast<int64_t>(end) - start > (1 << 23)) {
      ret = static_cast<uint64_t>(-7);  // -E2BIG
    } else {
      st[0] = start - 1;
      st[1] = end;
    }
    std::memcpy(reinterpret_cast<void*>(a[0]), st, 8);
    return ret;
  });
  r.add("bpf_iter_num_next", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    auto* st = reinterpret_cast<int32_t*>(a[0]);
    if (st[0] + 1 >= st[1]) {
      st[0] = st[1] = 0;
      return 0;
    }
    ++st[0];
    return a[0];  // &it->cur
  });
  r.add("bpf_iter_num_destroy", [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 8, kPermReadWrite, "it")) return 0;
    std::memset(reinterpret_cast<void*>(a[0]), 0, 8);
    return 0;
  });
  // bpf_res_spin_lock (6.15): the resilient lock reports a deadlock instead of hanging. A
  // simulated CPU runs one program at a time, so taking a lock that is already held can only be
  // the AA case: -EDEADLK, as the kernel's detector returns.
  auto res_lock = [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 4, kPermReadWrite, "lock")) return 0;
    auto* word = reinterpret_cast<uint32_t*>(a[0]);
    if (*word) return static_cast<uint64_t>(-35);  // -EDEADLK
    *word = 1;
    return 0;
  };
  auto res_unlock = [](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[0], 4, kPermReadWrite, "lock")) return 0;
    *reinterpret_cast<uint32_t*>(a[0]) = 0;
    return 0;
  };
  r.add("bpf_res_spin_lock", res_lock);
  r.add("bpf_res_spin_unlock", res_unlock);
  r.add("bpf_res_spin_lock_irqsave", [res_lock](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[1], 8, kPermReadWrite, "flags")) return 0;
    *reinterpret_cast<uint64_t*>(a[1]) = 0;  // the saved IRQ state
    return res_lock(cx, a);
  });
  r.add("bpf_res_spin_unlock_irqrestore", [res_unlock](CallContext& cx, const HostArgs& a) -> uint64_t {
    if (!cx.check(a[1], 8, kPermRead, "flags")) return 0;
    return res_unlock(cx, a);
  });
  add_bits_iterator_kfuncs(r);
  add_graph_kfuncs(r);
  add_arena_kfuncs(r);
}

KfuncRegistry& global_kfunc_registry() {
  static KfuncRegistry* r = [] {
    auto* reg = new KfuncRegistry;
    add_generic_kfuncs(*reg);
    return reg;
  }();
  return *r;
}

}  // namespace scx::bpf
