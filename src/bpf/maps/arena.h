// BPF_MAP_TYPE_ARENA: a map that is only a handle on an Arena (vm/arena.h), the sparse shared
// memory that programs reach through __arena pointers and the bpf_arena_* kfuncs. As in
// kernel/bpf/arena.c the element operations do not apply: lookup gives NULL, update, delete,
// get_next_key and push/pop/peek give -EOPNOTSUPP. key_size and value_size must be 0,
// max_entries is the number of pages (at most 2^20), map_flags must include BPF_F_MMAPABLE
// (BPF_F_SEGV_ON_FAULT and BPF_F_NO_USER_CONV are the only others), map_extra is the user
// address of page 0 (0: the simulator picks one, see Arena::create).
#pragma once

#include <memory>

#include "bpf/maps/map.h"
#include "bpf/vm/arena.h"

namespace scx::bpf {

inline constexpr uint32_t kMapArena = 33;

class ArenaMap : public Map {
 public:
  static Result<std::shared_ptr<Map>> create(const MapSpec& spec, std::shared_ptr<MapEnv> env);

  void* lookup(const void*) override { return nullptr; }
  long update(const void*, const void*, uint64_t) override;
  long remove(const void*) override;
  long get_next_key(const void*, void*) override;
  long push(const void*, uint64_t) override;
  long pop(void*) override;
  long peek(void*) override;
  void* lookup_cpu(const void*, uint32_t) override { return nullptr; }
  size_t size() const override { return 0; }
  void for_each(const std::function<bool(const void*, void*)>&) override {}

  const std::shared_ptr<Arena>& arena() const { return arena_; }
  // The arena behind a program-supplied map handle, or nullptr (not a map, or not an arena).
  static Arena* from_handle(uint64_t handle);

 private:
  ArenaMap(MapSpec spec, std::shared_ptr<MapEnv> env, std::shared_ptr<Arena> arena)
      : Map(std::move(spec), std::move(env)), arena_(std::move(arena)) {}
  std::shared_ptr<Arena> arena_;
};

}  // namespace scx::bpf
