# cmake -DIN=<binary file> -DOUT=<.cc> -DSYMBOL=<name> -P embed.cmake
# Writes a C++ source defining `const unsigned char scx::bpf::detail::SYMBOL[]` and SYMBOL_size.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by embed.cmake; do not edit.\n#include <cstddef>\n"
  "namespace scx::bpf::detail {\nextern const unsigned char ${SYMBOL}[];\nextern const std::size_t ${SYMBOL}_size;\n"
  "alignas(8) const unsigned char ${SYMBOL}[] = {\n${body}\n};\n"
  "const std::size_t ${SYMBOL}_size = ${size};\n}  // namespace scx::bpf::detail\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
# Ninja compares time stamps: mark the output fresh even when its content did not change, or the
# step would run again on every build.
file(TOUCH "${OUT}")
