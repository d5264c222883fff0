# cmake -DDIR=<profiles dir> -DOUT=<.cc> -P embed_profiles.cmake
# Writes a C++ source with every DIR/**/*.json (named by its path under DIR) as scx::bpf::detail::kBundledProfiles (name, text).
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*.json")
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(f ${files})
  set(name "${f}")
  file(READ "${DIR}/${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" hex "${hex}")
  string(APPEND body "const char kProfile${i}[] = {\n${hex}0};\n")
  string(APPEND table "  {\"${name}\", kProfile${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "// Generated from ${DIR}/*.json by embed_profiles.cmake; do not edit.\n#include <cstddef>\n"
  "namespace scx::bpf::detail {\nstruct EmbeddedProfile {\n  const char* name;\n  const char* text;\n};\n"
  "namespace {\n${body}}  // namespace\n"
  "extern const EmbeddedProfile kBundledProfiles[];\nextern const std::size_t kBundledProfilesCount;\n"
  "const EmbeddedProfile kBundledProfiles[] = {\n${table}  {nullptr, nullptr}};\n"
  "const std::size_t kBundledProfilesCount = ${i};\n}  // namespace scx::bpf::detail\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(TOUCH "${OUT}")
