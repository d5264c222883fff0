// A minimal protobuf wire-format encoder (proto2/proto3 compatible): varints, length-delimited
// fields, fixed64. Messages are built bottom-up in std::string buffers, so every length is known
// when it is written and varints are always minimal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scx::proto {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_tag(std::string& out, uint32_t field, WireType type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | type);
}

// A message under construction.
class Message {
 public:
  // Integer fields (uint32/64, int32/64 with non-negative values, bool, enum): varint.
  Message& u(uint32_t field, uint64_t v) {
    put_tag(buf_, field, kVarint);
    put_varint(buf_, v);
    return *this;
  }
  // int32/int64 as protobuf encodes them: negative values sign-extend to 10 bytes.
  Message& i(uint32_t field, int64_t v) { return u(field, static_cast<uint64_t>(v)); }
  Message& str(uint32_t field, std::string_view s) {
    put_tag(buf_, field, kLengthDelimited);
    put_varint(buf_, s.size());
    buf_.append(s);
    return *this;
  }
  Message& msg(uint32_t field, const Message& m) { return str(field, m.buf_); }
  Message& fixed64(uint32_t field, uint64_t v) {
    put_tag(buf_, field, kFixed64);
    for (int b = 0; b < 8; ++b) buf_.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
    return *this;
  }
  // Appends already-encoded fields (e.g. a run of repeated sub-messages).
  Message& raw(std::string_view bytes) {
    buf_.append(bytes);
    return *this;
  }
  const std::string& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }
  void clear() { buf_.clear(); }

 private:
  std::string buf_;
};

}  // namespace scx::proto
