# Installing discmaster (GNUInstallDirs; docs/library.md, debian/): the engine
# as two shared libraries with a SONAME and their static twins, built from
# the objects of the per-folder modules (cmake/Module.cmake); the public
# headers under include/discmaster/; a CMake package (find_package(discmaster)
# -> discmaster::mastering, discmaster::emulator, and *_static) and a
# pkg-config file per library. The tools, man pages, completion and the
# service install from their own folders.
include(CMakePackageConfigHelpers)

# The public API: the IMAPI2-like objects (FileSystemImage, DiscMaster and
# DiscRecorder, DiscFormatData, burn_tree, append_session), image files and
# inspection, the Transport registry, the virtual disc and the in-process
# drive that serves emu: addresses, and what their declarations include,
# nothing more (tests/packaging/install.sh fails when one of these includes a
# header not listed here).
# Everything else in mastering/ and emulator/ is private.
set(DM_PUBLIC_HEADERS
  mastering/burn/burn_tree.h mastering/burn/format_data.h mastering/burn/recorder.h
  mastering/image/append.h mastering/image/file_system_image.h mastering/image/image_file.h
  mastering/image/inspect.h mastering/image/result_stream.h mastering/image/session_head.h
  mastering/boot/boot_info.h mastering/boot/boot_part.h mastering/boot/boot_spec.h mastering/boot/eltorito.h
  mastering/boot/gpt.h mastering/boot/mbr.h mastering/boot/reader.h mastering/boot/system_area.h
  mastering/transport/transport.h
  mastering/codec/bytes.h mastering/codec/result.h mastering/os/file.h
  mastering/media/profile.h mastering/media/sector_source.h mastering/media/toc.h
  mastering/model/data_source.h mastering/model/fs_reader.h mastering/model/layout.h mastering/model/tree.h
  mastering/scsi/commands.h mastering/scsi/mmc.h mastering/scsi/opcodes.h mastering/scsi/sense.h
  emulator/logical_unit.h
  emulator/media/disc_model.h emulator/media/fault_plan.h emulator/media/vdisc.h
  emulator/mmc/drive.h emulator/mmc/identity.h emulator/mmc/recording.h emulator/mmc/trace.h)

set(DM_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/discmaster)
set(DM_HEADER_DIR ${CMAKE_INSTALL_INCLUDEDIR}/discmaster)
# For the pkg-config files: under ${prefix} unless given as absolute paths.
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE ${CMAKE_INSTALL_${kind}})
    set(DM_PC_${kind} ${CMAKE_INSTALL_${kind}})
  else()
    set(DM_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()

# dm_install_configured(TEMPLATE DESTINATION NAME [COMPONENT c]): TEMPLATE
# with @VAR@ replaced at configure time, and @DM_PREFIX@ replaced when it is
# installed, by the prefix it is installed to (cmake --install --prefix), so
# that the file names the paths it really lands under.
function(dm_install_configured template destination name)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "COMPONENT" "")
  set(DM_PREFIX "@DM_PREFIX@")
  set(staged ${PROJECT_BINARY_DIR}/install-templates/${name}.in)
  configure_file(${template} ${staged} @ONLY)
  install(CODE "
    set(DM_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    if(IS_ABSOLUTE \"${destination}\")
      set(dm_dest \"\$ENV{DESTDIR}${destination}\")
    else()
      set(dm_dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${destination}\")
    endif()
    message(STATUS \"Installing: \${dm_dest}/${name}\")
    configure_file(\"${staged}\" \"\${dm_dest}/${name}\" @ONLY)"
    COMPONENT ${arg_COMPONENT})
endfunction()

# dm_bundle_library(NAME MODULES module... [LINKS bundle...]): libNAME.so.MAJOR
# and libNAME.a from the objects of MODULES (compiled position-independent),
# linked as the modules are: their links outside the project, and the
# bundles in LINKS for modules that live there. Exported as
# discmaster::SHORT and discmaster::SHORT_static (SHORT: NAME without
# "discmaster-"); only the symbols of cmake/NAME.map are exported.
function(dm_bundle_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "MODULES;LINKS")
  string(REGEX REPLACE "^discmaster-" "" short ${name})
  get_property(all_modules GLOBAL PROPERTY DM_MODULES)
  set(objects)
  set(public)
  set(private)
  foreach(m IN LISTS arg_MODULES)
    # No semantic interposition: with the version script nothing may replace
    # the library's own functions, so calls within it may be inlined as in
    # the executables.
    set_target_properties(${m} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_compile_options(${m} PRIVATE -fno-semantic-interposition)
    list(APPEND objects $<TARGET_OBJECTS:${m}>)
    get_target_property(ilibs ${m} INTERFACE_LINK_LIBRARIES)
    if(NOT ilibs)
      continue()
    endif()
    foreach(lib IN LISTS ilibs)
      set(is_private OFF)
      if(lib MATCHES "^\\$<LINK_ONLY:(.*)>$")
        set(lib ${CMAKE_MATCH_1})
        set(is_private ON)
      endif()
      if(lib IN_LIST all_modules)
        if(NOT lib IN_LIST arg_MODULES)
          list(APPEND private ${arg_LINKS})  # a module of a bundle below
        endif()
      elseif(is_private)
        list(APPEND private ${lib})
      else()
        list(APPEND public ${lib})
      endif()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES public)
  list(REMOVE_DUPLICATES private)
  if(public)
    list(REMOVE_ITEM private ${public})
  endif()
  set(map ${PROJECT_SOURCE_DIR}/cmake/${name}.map)

  add_library(${name} SHARED ${objects})
  set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name} EXPORT_NAME ${short}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} LINK_DEPENDS ${map})
  target_link_options(${name} PRIVATE -Wl,--no-undefined -Wl,--version-script=${map})
  target_link_libraries(${name} PUBLIC ${arg_LINKS} ${public} PRIVATE ${private})

  # The static twin links the static twins of LINKS, and what a static
  # archive cannot carry: the external libraries, by their -l names.
  set(static_links)
  foreach(b IN LISTS arg_LINKS)
    list(APPEND static_links ${b}_static)
  endforeach()
  foreach(lib IN LISTS private)
    if(lib MATCHES "^PkgConfig::(.*)$")
      list(APPEND static_links $<LINK_ONLY:${${CMAKE_MATCH_1}_LIBRARIES}>)
    elseif(NOT lib IN_LIST arg_LINKS)
      list(APPEND static_links $<LINK_ONLY:${lib}>)
    endif()
  endforeach()
  add_library(${name}_static STATIC ${objects})
  set_target_properties(${name}_static PROPERTIES OUTPUT_NAME ${name} EXPORT_NAME ${short}_static)
  target_link_libraries(${name}_static PUBLIC ${public} ${static_links})

  foreach(t ${name} ${name}_static)
    target_include_directories(${t} INTERFACE $<INSTALL_INTERFACE:${DM_HEADER_DIR}>)
    target_compile_features(${t} INTERFACE cxx_std_20)
  endforeach()
  install(TARGETS ${name} EXPORT discmasterTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
  install(TARGETS ${name}_static EXPORT discmasterTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  dm_install_configured(${PROJECT_SOURCE_DIR}/cmake/${name}.pc.in ${CMAKE_INSTALL_LIBDIR}/pkgconfig ${name}.pc
    COMPONENT dev)
endfunction()

# dm_folder_modules(OUT DIR...): the modules defined in those folders' CMakeLists.txt.
function(dm_folder_modules out)
  set(found)
  foreach(dir IN LISTS ARGN)
    get_property(targets DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      get_target_property(folder ${t} DM_MODULE_DIR)
      if(type STREQUAL "STATIC_LIBRARY" AND folder)
        list(APPEND found ${t})
      endif()
    endforeach()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# The sanitizer build (scripts/build.sh asan) tests the modules, not the
# package: it makes no shared libraries (clang leaves the sanitizer runtime
# out of them) and installs no headers.
if(DM_SANITIZE)
  return()
endif()

# Every module of mastering/; of emulator/ the virtual disc and the drive
# model (the iSCSI target, with Boost.Asio and OpenSSL, stays inside
# master-drive).
dm_folder_modules(mastering_modules mastering)
dm_folder_modules(emulator_modules emulator)
list(REMOVE_ITEM emulator_modules dm_iscsi)
dm_bundle_library(discmaster-mastering MODULES ${mastering_modules})
dm_bundle_library(discmaster-emulator MODULES ${emulator_modules} LINKS discmaster-mastering)

foreach(header IN LISTS DM_PUBLIC_HEADERS)
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES ${header} DESTINATION ${DM_HEADER_DIR}/${dir} COMPONENT dev)
endforeach()

install(EXPORT discmasterTargets NAMESPACE discmaster:: DESTINATION ${DM_PACKAGE_DIR} COMPONENT dev)
configure_package_config_file(cmake/discmasterConfig.cmake.in ${PROJECT_BINARY_DIR}/discmasterConfig.cmake
  INSTALL_DESTINATION ${DM_PACKAGE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/discmasterConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/discmasterConfig.cmake ${PROJECT_BINARY_DIR}/discmasterConfigVersion.cmake
  DESTINATION ${DM_PACKAGE_DIR} COMPONENT dev)
