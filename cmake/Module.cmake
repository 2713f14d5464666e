# One static library per folder (docs/architecture.md "Build"): the folder's
# target_link_libraries are the arrows of the module map, and the include
# check below turns them into a rule of the build.
include(${CMAKE_CURRENT_LIST_DIR}/ModuleGraph.cmake)

# dm_module_library(NAME DIR [DEPENDS target...] [PRIVATE target...]): a
# static library of every .cpp directly in DIR (globbed, so that adding a
# file needs no edit of a shared list; a subfolder is a module of its own).
# DEPENDS are the modules right below it that its headers may use (and so
# its dependents too); PRIVATE ones only its own files may use. DIR is
# relative to the current source directory ("." for the folder itself).
function(dm_module_library name dir)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "DEPENDS;PRIVATE")
  get_filename_component(abs ${dir} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB srcs CONFIGURE_DEPENDS ${abs}/*.cpp)
  if(NOT srcs)
    set(srcs ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cpp)
    file(WRITE ${srcs} "// ${name} has no sources yet\n")
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${arg_DEPENDS} PRIVATE ${arg_PRIVATE})
  dm_warnings(${name})
  dm_module_folder(${name} ${abs})
endfunction()

# dm_module_folder(TARGET ABS_DIR [FILES file...]): TARGET holds the folder
# ABS_DIR (its sources and headers, or only FILES) for the include check.
function(dm_module_folder target abs)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "FILES")
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
  if(arg_FILES)
    set(files ${arg_FILES})
  else()
    file(GLOB files CONFIGURE_DEPENDS ${abs}/*.cpp ${abs}/*.h)
  endif()
  set_target_properties(${target} PROPERTIES DM_MODULE_DIR "${rel}" DM_MODULE_FILES "${files}")
  set_property(GLOBAL APPEND PROPERTY DM_MODULES ${target})
endfunction()

# dm_aggregate_library(NAME DEPENDS target...): an interface target that
# gathers modules (for tests, fuzzers, benches and tools); part of the graph
# the cycle check walks, with no folder of its own.
function(dm_aggregate_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS")
  add_library(${name} INTERFACE)
  target_link_libraries(${name} INTERFACE ${arg_DEPENDS})
  set_property(GLOBAL APPEND PROPERTY DM_MODULES ${name})
endfunction()

# Two module graphs as "TARGET:DEP,DEP,..." items (cmake/ModuleGraph.cmake):
# ALL_OUT with every module and aggregate and all it links, PUBLIC_OUT with
# only what it links PUBLIC (or INTERFACE), which its dependents see too.
function(dm_module_graphs all_out public_out)
  get_property(modules GLOBAL PROPERTY DM_MODULES)
  set(all)
  set(public)
  foreach(t IN LISTS modules)
    get_target_property(libs ${t} LINK_LIBRARIES)
    get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
    set(deps)
    set(pdeps)
    foreach(lib IN LISTS libs ilibs)
      if(lib IN_LIST modules)
        list(APPEND deps ${lib})
      endif()
    endforeach()
    foreach(lib IN LISTS ilibs)
      if(lib IN_LIST modules)  # a static library's PRIVATE ones are $<LINK_ONLY:...> here
        list(APPEND pdeps ${lib})
      endif()
    endforeach()
    list(REMOVE_DUPLICATES deps)
    list(JOIN deps "," joined)
    list(APPEND all "${t}:${joined}")
    list(REMOVE_DUPLICATES pdeps)
    list(JOIN pdeps "," joined)
    list(APPEND public "${t}:${joined}")
  endforeach()
  set(${all_out} ${all} PARENT_SCOPE)
  set(${public_out} ${public} PARENT_SCOPE)
endfunction()

# After every module is defined (the top-level CMakeLists.txt calls this
# last): fail on a cycle between modules, then give each module a check that
# its files include only its own folder and the folders its links reach (a
# module it links, and what that one's headers may use: its PUBLIC links,
# on down). The check runs before the module's sources compile, so a wrong
# include fails the build.
function(dm_check_module_graph)
  dm_module_graphs(all public)
  dm_graph_check_acyclic("${all}")
  get_property(modules GLOBAL PROPERTY DM_MODULES)
  set(script ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake)
  foreach(t IN LISTS modules)
    get_target_property(dir ${t} DM_MODULE_DIR)
    if(NOT dir)
      continue()  # an aggregate
    endif()
    dm_graph_deps("${all}" ${t} deps)
    set(reached ${t})
    foreach(d IN LISTS deps)
      dm_graph_reachable("${public}" ${d} below)
      list(APPEND reached ${below})
    endforeach()
    set(allowed)
    foreach(r IN LISTS reached)
      get_target_property(rdir ${r} DM_MODULE_DIR)
      if(rdir)
        list(APPEND allowed ${rdir})
      endif()
    endforeach()
    list(REMOVE_DUPLICATES allowed)
    get_target_property(files ${t} DM_MODULE_FILES)
    set(config ${PROJECT_BINARY_DIR}/include-check/${t}.cmake)
    set(stamp ${PROJECT_BINARY_DIR}/include-check/${t}.stamp)
    file(CONFIGURE OUTPUT ${config} CONTENT
      "set(MODULE ${t})\nset(MODULE_DIR \"${dir}\")\nset(ALLOWED \"${allowed}\")\nset(ROOT \"${PROJECT_SOURCE_DIR}\")\nset(FILES \"${files}\")\n")
    add_custom_command(OUTPUT ${stamp}
      COMMAND ${CMAKE_COMMAND} -DCONFIG=${config} -DSTAMP=${stamp} -P ${script}
      DEPENDS ${files} ${config} ${script}
      COMMENT "Checking the includes of ${t} (${dir})"
      VERBATIM)
    add_custom_target(${t}_includes DEPENDS ${stamp})
    add_dependencies(${t} ${t}_includes)
  endforeach()
endfunction()
