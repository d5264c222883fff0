// 128-bit integers for exact products of 64-bit values (GCC/Clang extension; __extension__
// keeps -Wpedantic quiet about it).
#pragma once

namespace scx {
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;
}  // namespace scx
