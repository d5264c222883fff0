# cmake -DDIR=<dir> -DOUT=<.cc> -DNS=<namespace> -DTABLE=<array name> -P embed_json.cmake
# Writes a C++ source with every DIR/**/*.json (named by its path under DIR) as the array
# NS::TABLE of EmbeddedJson {name, text}, ended by {nullptr, nullptr}, and NS::TABLECount.
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*.json")
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(f ${files})
  file(READ "${DIR}/${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" hex "${hex}")
  string(APPEND body "const char kFile${i}[] = {\n${hex}0};\n")
  string(APPEND table "  {\"${f}\", kFile${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "// Generated from ${DIR}/*.json by embed_json.cmake; do not edit.\n#include <cstddef>\n"
  "namespace ${NS} {\nstruct EmbeddedJson {\n  const char* name;\n  const char* text;\n};\n"
  "namespace {\n${body}}  // namespace\n"
  "extern const EmbeddedJson ${TABLE}[];\nextern const std::size_t ${TABLE}Count;\n"
  "const EmbeddedJson ${TABLE}[] = {\n${table}  {nullptr, nullptr}};\n"
  "const std::size_t ${TABLE}Count = ${i};\n}  // namespace ${NS}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(TOUCH "${OUT}")
