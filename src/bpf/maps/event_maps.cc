// The maps that carry events between programs and user space beyond BPF_MAP_TYPE_RINGBUF:
// perf_event_array (always empty here) and user_ringbuf (user space produces, programs drain).
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "bpf/maps/map.h"

namespace scx::bpf {

namespace {
constexpr uint64_t kIndexMask = 0xffffffffULL;   // BPF_F_INDEX_MASK
constexpr uint64_t kCurrentCpu = kIndexMask;     // BPF_F_CURRENT_CPU
constexpr uint32_t kSampleFlagBits = 3u << 30;   // BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT
constexpr uint32_t kDynptrMaxSize = (1u << 24) - 1;  // DYNPTR_MAX_SIZE

Status check_event_map(const MapSpec& spec) {
  const std::string where = "map '" + spec.name + "'";
  auto need = [&](bool ok, const char* what) -> Status {
    return ok ? Status() : Status::Errorf(where, "{}: {}", map_type_name(spec.type), what);
  };
  if (spec.type == kMapPerfEventArray)  // fd_array_map_alloc_check: a u32 fd per u32 index
    return need(spec.key_size == 4 && spec.value_size == 4, "key_size and value_size must be 4");
  SCX_RETURN_IF_ERROR(need(spec.key_size == 0 && spec.value_size == 0, "key_size and value_size must be 0"));
  return need(spec.max_entries >= 4096 && (spec.max_entries & (spec.max_entries - 1)) == 0,
              "max_entries must be a power of 2 multiple of the page size");
}
}  // namespace

Result<std::shared_ptr<Map>> create_event_map(const MapSpec& spec, std::shared_ptr<MapEnv> env) {
  SCX_RETURN_IF_ERROR(check_event_map(spec));
  if (spec.type == kMapUserRingbuf) return std::shared_ptr<Map>(new UserRingbufMap(spec, env));
  MapSpec s = spec;
  // libbpf sizes a perf event array without max_entries to the number of possible CPUs.
  if (s.max_entries == 0) s.max_entries = env->nr_cpus;
  return std::shared_ptr<Map>(new PerfEventArrayMap(s, env));
}

// ---------------------------------------------------------------------------------------------
long PerfEventArrayMap::get_next_key(const void* key, void* next) {
  return array_next_key(key, next, spec_.max_entries);
}

long PerfEventArrayMap::event_slot(uint64_t flags, uint32_t cpu) const {
  if (flags & ~kIndexMask) return -EINVAL;
  const uint64_t index = (flags & kIndexMask) == kCurrentCpu ? cpu : flags & kIndexMask;
  if (index >= spec_.max_entries) return -E2BIG;
  return -ENOENT;  // no perf event is ever installed
}

// ---------------------------------------------------------------------------------------------
UserRingbufMap::~UserRingbufMap() { detach(); }

void UserRingbufMap::detach() {
  if (peeked_ && env_->memory) env_->memory->remove(peeked_);
  peeked_ = 0;
  Map::detach();
}

long UserRingbufMap::produce(std::span<const uint8_t> sample, bool discard) {
  // The length's top two bits are the header's busy/discard flags (libbpf: -E2BIG).
  if (sample.size() > UINT32_MAX || (static_cast<uint32_t>(sample.size()) & kSampleFlagBits) != 0) return -E2BIG;
  const uint64_t total = rec_bytes(sample.size());
  if (total > spec_.max_entries) return -E2BIG;
  if (total > spec_.max_entries - (prod_pos_ - cons_pos_)) return -ENOSPC;
  Record r;
  r.len = static_cast<uint32_t>(sample.size());
  r.bytes = std::make_unique<uint8_t[]>(std::max<size_t>(r.len, 1));
  if (r.len) std::memcpy(r.bytes.get(), sample.data(), r.len);
  r.discard = discard;
  records_.push_back(std::move(r));
  prod_pos_ += total;
  return 0;
}

long UserRingbufMap::peek(uint64_t* data, uint32_t* len) {
  if (records_.empty()) return -ENODATA;
  Record& r = records_.front();
  if (r.discard) {  // skipped: the consumer moves past it
    cons_pos_ += rec_bytes(r.len);
    records_.pop_front();
    return -EAGAIN;
  }
  if (r.len > kDynptrMaxSize) return -E2BIG;
  const uint64_t a = reinterpret_cast<uint64_t>(r.bytes.get());
  // The sample is read-only to the callback (the verifier's rdonly dynptr memory).
  if (env_->memory && r.len && !peeked_ && env_->memory->add(Region{a, r.len, kPermRead, "user_ringbuf sample"}).ok())
    peeked_ = a;
  *data = a;
  *len = r.len;
  return 0;
}

void UserRingbufMap::release() {
  if (records_.empty()) return;
  if (peeked_ && env_->memory) env_->memory->remove(peeked_);
  peeked_ = 0;
  cons_pos_ += rec_bytes(records_.front().len);
  records_.pop_front();
}

}  // namespace scx::bpf
