// The bytes of a boot image as the writer reads them: a file's content in
// the tree (a host file, a caller's source, an imported extent), a host file
// outside the tree, and a boot image with its boot-info table patched in.
#pragma once

#include <memory>
#include <string>

#include "mastering/boot/boot_info.h"
#include "mastering/model/tree.h"

namespace mastering::boot {

// A DataSource over a host file of `size` bytes; a file that became shorter
// is an error when its end is read.
std::shared_ptr<model::DataSource> host_file_source(std::string path, uint64_t size);
// The data of a tree node's content, whatever its kind.
std::shared_ptr<model::DataSource> content_source(const model::Content& c);
// Reads exactly out.size() bytes from `offset` (a short source is an error).
Status read_exactly(model::DataSource& s, uint64_t offset, std::span<std::byte> out);

// `base` with bytes 8-63 replaced by `table` (filled in after layout).
std::shared_ptr<model::DataSource> patched_source(std::shared_ptr<model::DataSource> base,
                                                  std::shared_ptr<const BootInfoTable> table);

// The boot-info checksum of a whole image (its words from byte 64 on).
Result<uint32_t> boot_info_checksum(model::DataSource& s);

}  // namespace mastering::boot
