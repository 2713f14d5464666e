# Warnings on everywhere; errors in CI (DM_WERROR=ON).
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(DM_SHADOW_WARNING -Wshadow-uncaptured-local)
else()
  # GCC 12 reports std::string concatenations as overlapping memcpy at -O3
  # (GCC bugs 105329, 105651): a false positive, so -Wrestrict stays off.
  set(DM_SHADOW_WARNING -Wshadow=local -Wno-restrict)
endif()
function(dm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra ${DM_SHADOW_WARNING} -Wnon-virtual-dtor
    -Wno-missing-field-initializers $<$<BOOL:${DM_WERROR}>:-Werror>)
endfunction()
