# dm_module_library(NAME DIR): a static library of every .cpp under DIR
# (globbed, so that adding a file needs no edit of a shared list). A module
# that has no sources yet gets an empty translation unit.
function(dm_module_library name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT srcs)
    set(srcs ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cpp)
    file(WRITE ${srcs} "// ${name} has no sources yet\n")
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  dm_warnings(${name})
endfunction()
