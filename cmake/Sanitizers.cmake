# ASan + UBSan for the whole build (DM_SANITIZE=ON); libFuzzer targets with
# DM_FUZZ=ON (clang): every library is then built with fuzzer coverage too.
if(DM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # clang 14 cannot emit UBSan's "function" check for C++20 coroutine frames
  # ("Cannot represent a difference across sections"): leave that one check out.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_compile_options(-fno-sanitize=function)
    # -O1 and line tables only: what ASan recommends, and a third less build
    # time on CI's two cores than -O2 -g (stack traces keep file:line).
    set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
    set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
  endif()
endif()
if(DM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "DM_FUZZ needs clang (CC=clang CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
