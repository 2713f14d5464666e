# cmake -DCASE=wrong_include|cycle -DSRC=DIR -DWORK=DIR -DGENERATOR=G -DCXX=C++ -DCC=C -P plant.cmake
#
# wrong_include: in a copy of the sources, a lower module includes a higher
# one in each way docs/architecture.md forbids (mastering/codec -> image,
# udf -> burn, scsi -> emulator, emulator/mmc -> emulator/iscsi, fuse ->
# tools, emulator/iscsi -> image through a private link); building each
# module must fail naming the file and the include, while modules that may
# include what they do still pass.
# cycle: the copy links dm_codec to dm_image; configuring must fail naming
# the cycle.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/src)
foreach(item CMakeLists.txt cmake mastering emulator fuse tools)
  file(COPY ${SRC}/${item} DESTINATION ${WORK}/src)
endforeach()

function(plant file text)
  file(APPEND ${WORK}/src/${file} "${text}\n")
endfunction()

function(configure expect_ok out)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK}/src -B ${WORK}/build -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_C_COMPILER=${CC} -DDM_TESTS=OFF -DDM_BENCH=OFF
    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE text)
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "configuring the copy failed:\n${text}")
  endif()
  set(${out} "${rc}" PARENT_SCOPE)
  set(${out}_text "${text}" PARENT_SCOPE)
endfunction()

# Build TARGET of the copy; EXPECT is "fail" with a message that must appear
# in the output, or "pass".
function(build target expect message)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/build --target ${target}
    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE text)
  string(REGEX REPLACE "[ \t\r\n]+" " " flat "${text}")
  if(expect STREQUAL "pass")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${target} should build, but failed:\n${text}")
    endif()
    message(STATUS "${target}: builds, as it should")
    return()
  endif()
  if(rc EQUAL 0)
    message(FATAL_ERROR "${target} built although ${message}")
  endif()
  string(FIND "${flat}" "${message}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${target} failed, but not for \"${message}\":\n${text}")
  endif()
  message(STATUS "${target}: refused: ${message}")
endfunction()

if(CASE STREQUAL "wrong_include")
  plant(mastering/codec/bytes.h "#include \"mastering/image/file_system_image.h\"")
  plant(mastering/udf/writer.cpp "#include \"mastering/burn/burn_tree.h\"")
  plant(mastering/scsi/sense.h "#include \"emulator/logical_unit.h\"")
  plant(emulator/mmc/drive.cpp "#include \"emulator/iscsi/server.h\"")
  # The iSCSI target reaches the virtual disc, which uses the image
  # privately: the image is not the target's to include.
  plant(emulator/iscsi/drive_farm.cpp "#include \"mastering/image/inspect.h\"")
  plant(fuse/read_only_fs.cpp "#include \"tools/common/cli.h\"")
  # Allowed: the orchestrator includes the file systems below it, and the
  # virtual disc the image it links privately.
  plant(mastering/image/inspect.cpp "#include \"mastering/udf/descriptors.h\"")
  plant(emulator/media/vdisc.cpp "#include \"mastering/image/inspect.h\"")
  configure(TRUE rc)
  # The library itself: its check runs before anything of it compiles.
  build(dm_codec fail "mastering/codec/bytes.h: #include \"mastering/image/file_system_image.h\" (mastering/codec does not reach mastering/image)")
  build(dm_udf_includes fail "mastering/udf/writer.cpp: #include \"mastering/burn/burn_tree.h\" (mastering/udf does not reach mastering/burn)")
  build(dm_scsi_includes fail "mastering/scsi/sense.h: #include \"emulator/logical_unit.h\" (mastering/scsi does not reach emulator)")
  build(dm_mmc_includes fail "emulator/mmc/drive.cpp: #include \"emulator/iscsi/server.h\" (emulator/mmc does not reach emulator/iscsi)")
  build(dm_fuse_includes fail "fuse/read_only_fs.cpp: #include \"tools/common/cli.h\" (fuse does not reach tools/common)")
  build(dm_iscsi_includes fail "emulator/iscsi/drive_farm.cpp: #include \"mastering/image/inspect.h\" (emulator/iscsi does not reach mastering/image)")
  build(dm_image_includes pass "")
  build(dm_emu_media_includes pass "")
elseif(CASE STREQUAL "cycle")
  plant(mastering/CMakeLists.txt "target_link_libraries(dm_codec PUBLIC dm_image)")
  configure(FALSE rc)
  string(REGEX REPLACE "[ \t\r\n]+" " " flat "${rc_text}")
  string(REGEX MATCH "The module graph has a cycle: dm_[a-z0-9_ >-]*" cycle "${flat}")
  if(rc EQUAL 0 OR NOT cycle OR NOT cycle MATCHES "dm_codec" OR NOT cycle MATCHES "dm_image")
    message(FATAL_ERROR "configuring with dm_codec -> dm_image should fail naming the cycle; got (${rc}):\n${rc_text}")
  endif()
  message(STATUS "configure refused: ${cycle}")
else()
  message(FATAL_ERROR "unknown CASE ${CASE}")
endif()
