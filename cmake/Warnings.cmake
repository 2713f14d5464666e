# Warnings on everywhere; errors in CI (DM_WERROR=ON).
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(DM_SHADOW_WARNING -Wshadow-uncaptured-local)
else()
  # GCC 12 at -O3 reports std::string concatenations as overlapping memcpy
  # and std::vector::insert of short lists as out-of-bounds (GCC bugs 105329,
  # 105651, 107852): false positives, so -Wrestrict and -Warray-bounds stay off
  # for GCC (the clang + ASan build checks bounds at run time).
  set(DM_SHADOW_WARNING -Wshadow=local -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread)
endif()
function(dm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra ${DM_SHADOW_WARNING} -Wnon-virtual-dtor
    -Wno-missing-field-initializers $<$<BOOL:${DM_WERROR}>:-Werror>)
endfunction()
