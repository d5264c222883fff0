// bpf_bprintf: the printf dialect of bpf_trace_printk / bpf_snprintf / scx_bpf_error, with
// strings read from the program's address space (checked). A 64-bit number that points into
// the address space prints as its simulated address (AddressSpace::printed).
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "bpf/helpers/helpers.h"

namespace scx::bpf {

Result<std::string> bpf_bprintf(const AddressSpace& memory, std::string_view fmt, std::span<const uint64_t> args) {
  std::string out;
  size_t next = 0;
  auto arg = [&](uint64_t* v) -> bool {
    if (next >= args.size()) return false;
    *v = args[next++];
    return true;
  };
  if (args.size() > 12) return Status::Error("format", "more than 12 arguments");
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '\0') break;
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t start = i++;
    std::string spec = "%";
    while (i < fmt.size() && std::strchr("-+ #0", fmt[i])) spec += fmt[i++];
    while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') spec += fmt[i++];
    if (i < fmt.size() && fmt[i] == '.') {
      spec += fmt[i++];
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') spec += fmt[i++];
    }
    int len = 0;  // 0 int, 1 long, 2 long long, -1 short, -2 char
    if (i < fmt.size() && fmt[i] == 'l') {
      ++i;
      len = 1;
      if (i < fmt.size() && fmt[i] == 'l') {
        ++i;
        len = 2;
      }
    } else if (i < fmt.size() && fmt[i] == 'h') {
      ++i;
      len = -1;
      if (i < fmt.size() && fmt[i] == 'h') {
        ++i;
        len = -2;
      }
    }
    if (i >= fmt.size())
      return Status::Errorf("format", "incomplete directive '{}' at offset {}", fmt.substr(start), start);
    char conv = fmt[i];
    uint64_t v = 0;
    char buf[512];
    switch (conv) {
      case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
        if (!arg(&v)) return Status::Errorf("format", "missing argument for directive {} at offset {}", next + 1, start);
        bool is_signed = conv == 'd' || conv == 'i';
        std::string f = spec + "ll" + conv;
        if (is_signed) {
          long long sv = len >= 1 ? static_cast<long long>(memory.printed(v))
                         : len == -1 ? static_cast<short>(v)
                         : len == -2 ? static_cast<signed char>(v)
                                     : static_cast<int>(v);
          std::snprintf(buf, sizeof buf, f.c_str(), sv);
        } else {
          unsigned long long uv = len >= 1 ? memory.printed(v)
                                  : len == -1 ? static_cast<unsigned short>(v)
                                  : len == -2 ? static_cast<unsigned char>(v)
                                              : static_cast<unsigned int>(v);
          std::snprintf(buf, sizeof buf, f.c_str(), uv);
        }
        out += buf;
        break;
      }
      case 'c': {
        if (!arg(&v)) return Status::Errorf("format", "missing argument for %c at offset {}", start);
        out += static_cast<char>(v);
        break;
      }
      case 'p': {
        if (!arg(&v)) return Status::Errorf("format", "missing argument for %p at offset {}", start);
        // %pK %px %pS %ps %pB: print the value (no hashing: keeps output deterministic), a
        // pointer as its simulated address (a host address would vary with the allocator).
        if (i + 1 < fmt.size() && std::strchr("KxSsB", fmt[i + 1])) ++i;
        out += fmt::format("0x{:x}", memory.printed(v));
        break;
      }
      case 's': {
        if (!arg(&v)) return Status::Errorf("format", "missing argument for %s at offset {}", start);
        std::string s;
        for (uint64_t a = v; s.size() < 1024; ++a) {
          if (!memory.allowed(a, 1, kPermRead)) {
            s.clear();  // unreadable: the kernel prints an empty string
            break;
          }
          char ch = *reinterpret_cast<const char*>(a);
          if (!ch) break;
          s += ch;
        }
        std::string f = spec + "s";
        std::snprintf(buf, sizeof buf, f.c_str(), s.c_str());
        out += buf;
        break;
      }
      default:
        return Status::Errorf("format", "unsupported directive '%{}' at offset {}", conv, start);
    }
  }
  return out;
}

}  // namespace scx::bpf
