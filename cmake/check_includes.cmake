# cmake -DCONFIG=FILE [-DSTAMP=FILE] -P check_includes.cmake
#
# The include check of one module (cmake/Module.cmake writes CONFIG from the
# target graph): every #include of a project path ("mastering/...",
# "emulator/...", "fuse/...", "tools/...", "tests/...", "bench/...") in the
# module's FILES must name a file directly in MODULE_DIR or in one of the
# ALLOWED folders (cmake/Module.cmake: the modules it links, and what their
# headers may use, on down). Fails listing every wrong include; on success
# touches STAMP.
cmake_minimum_required(VERSION 3.25)
include(${CONFIG})

set(problems)
foreach(file IN LISTS FILES)
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
  file(RELATIVE_PATH shown ${ROOT} ${file})
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[\"<]([^\">]*)[\">].*$" "\\1" target "${line}")
    if(NOT target MATCHES "^(mastering|emulator|fuse|tools|tests|bench)/")
      if(target MATCHES "^\\.\\./")
        list(APPEND problems "  ${shown}: #include \"${target}\" (name project headers from the top: \"mastering/...\")")
      endif()
      continue()
    endif()
    get_filename_component(folder ${target} DIRECTORY)
    if(NOT folder STREQUAL MODULE_DIR AND NOT folder IN_LIST ALLOWED)
      list(APPEND problems "  ${shown}: #include \"${target}\" (${MODULE_DIR} does not reach ${folder})")
    endif()
  endforeach()
endforeach()

if(problems)
  list(JOIN problems "\n" text)
  list(JOIN ALLOWED ", " allowed)
  message(FATAL_ERROR "${MODULE} (${MODULE_DIR}) includes folders its links do not reach:\n${text}\n"
                      "It may include only ${MODULE_DIR} and what its target_link_libraries reach: ${allowed}. "
                      "Arrows point down only (docs/architecture.md): move the code to the layer it belongs "
                      "to, or, if the arrow is right, add the module to DEPENDS (or PRIVATE) in its CMakeLists.txt.")
endif()
if(STAMP)
  file(TOUCH ${STAMP})
endif()
