#include "bpf/maps/arena.h"

#include <cerrno>

namespace scx::bpf {

Result<std::shared_ptr<Map>> ArenaMap::create(const MapSpec& spec, std::shared_ptr<MapEnv> env) {
  if (spec.key_size || spec.value_size)
    return Status::Errorf("map '" + spec.name + "'", "arena: key_size and value_size must be 0");
  auto arena = Arena::create(spec.name, spec.max_entries, spec.map_flags, spec.map_extra);
  if (!arena.ok()) return arena.status();
  std::shared_ptr<Arena> shared = std::move(arena).value();
  return std::shared_ptr<Map>(new ArenaMap(spec, std::move(env), std::move(shared)));
}

long ArenaMap::update(const void*, const void*, uint64_t) { return -EOPNOTSUPP; }
long ArenaMap::remove(const void*) { return -EOPNOTSUPP; }
long ArenaMap::get_next_key(const void*, void*) { return -EOPNOTSUPP; }
long ArenaMap::push(const void*, uint64_t) { return -EOPNOTSUPP; }
long ArenaMap::pop(void*) { return -EOPNOTSUPP; }
long ArenaMap::peek(void*) { return -EOPNOTSUPP; }

Arena* ArenaMap::from_handle(uint64_t handle) {
  auto* m = dynamic_cast<ArenaMap*>(Map::from_handle(handle));
  return m ? m->arena_.get() : nullptr;
}

}  // namespace scx::bpf
