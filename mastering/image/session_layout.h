// Internal: one laid-out session (the parts and their pieces), shared by
// FileSystemImage (which builds it) and ImageStream (which emits it).
#pragma once

#include <memory>

#include "mastering/boot/boot_part.h"
#include "mastering/image/file_data.h"
#include "mastering/iso9660/descriptor_part.h"
#include "mastering/iso9660/hierarchy.h"
#include "mastering/model/layout.h"
#include "mastering/udf/writer.h"

namespace mastering::image {

constexpr uint32_t k_chunk_blocks = 512;  // blocks per emission step: 1 MiB

struct SessionLayout {
    std::shared_ptr<model::Tree> tree;  // kept alive while the stream exists
    model::EmitContext ctx;
    std::unique_ptr<FileDataPart> data;
    std::unique_ptr<iso9660::HierarchyPart> primary, iso1999, joliet;
    std::unique_ptr<iso9660::DescriptorPart> descriptors;  // nullptr: a UDF-only session
    std::unique_ptr<udf::UdfPart> udf;
    std::unique_ptr<boot::BootPart> boot;  // nullptr: not bootable, no system area
    std::unique_ptr<model::Allocator> allocator;
    uint32_t start = 0, end = 0;
};

// Lay out a session of `tree` with `options`, bootable as `boot` asks (or
// keeps) when it is given.
Result<std::unique_ptr<SessionLayout>> lay_out(std::shared_ptr<model::Tree> tree, const model::LayoutOptions& options,
                                               const std::optional<boot::BootSetup>& boot = std::nullopt);

}  // namespace mastering::image
