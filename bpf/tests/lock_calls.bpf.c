/* SPDX-License-Identifier: GPL-2.0 */
/* Calls made around a bpf_spin_lock that the kernel's verifier accepts: a static function
 * called with the lock held, a __hidden global function (libbpf makes it static), a global
 * function called where the lock is only held on some paths (the verifier follows each path;
 * the load-time check must not reject), and a static function that returns with the lock taken
 * on success, the scx sdt allocator's pattern. Each program returns a value the test checks. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

private(L) struct bpf_spin_lock lock;
u64 counter;
u32 flip;

static __noinline u64 add_static(u64 x) { return counter += x; }
__hidden __noinline u64 add_hidden(u64 x) { return counter += x; }
__noinline u64 add_global(u64 x) { return x + 1; }

/* Returns 0 with the lock taken, -11 (-EAGAIN) without it. */
static __noinline int take_if_even(u32 v) {
  bpf_spin_lock(&lock);
  if (!(v & 1)) return 0;
  bpf_spin_unlock(&lock);
  return -11;
}

SEC("syscall")
int static_under_lock(void *ctx) {
  counter = 0;
  bpf_spin_lock(&lock);
  add_static(2);
  add_hidden(3);
  bpf_spin_unlock(&lock);
  return counter; /* 5 */
}

SEC("syscall")
int global_after_maybe_lock(void *ctx) {
  u64 r = 0;
  if (take_if_even(flip) == 0) {
    counter += 10;
    bpf_spin_unlock(&lock);
  }
  r = add_global(counter); /* the lock is never held here, whatever the path */
  return r;
}
