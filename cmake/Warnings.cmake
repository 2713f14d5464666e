# Warnings on everywhere; errors in CI (DM_WERROR=ON).
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(DM_SHADOW_WARNING -Wshadow-uncaptured-local)
else()
  set(DM_SHADOW_WARNING -Wshadow=local)
endif()
function(dm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra ${DM_SHADOW_WARNING} -Wnon-virtual-dtor
    -Wno-missing-field-initializers $<$<BOOL:${DM_WERROR}>:-Werror>)
endfunction()
