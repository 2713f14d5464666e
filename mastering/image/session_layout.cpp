#include "mastering/image/session_layout.h"

namespace mastering::image {

using model::Allocator;
using model::FsType;
using model::LayoutOptions;
using model::Tree;
using model::has;

Result<std::unique_ptr<SessionLayout>> lay_out(std::shared_ptr<Tree> tree, const LayoutOptions& o,
                                               const std::optional<boot::BootSetup>& boot) {
    bool iso = has(o.file_systems, FsType::iso9660), udf = has(o.file_systems, FsType::udf);
    if (!iso && !udf) return make_error(Errc::invalid_argument, "no file system to write (ISO 9660 or UDF)");
    if (!iso && (has(o.file_systems, FsType::rockridge) || has(o.file_systems, FsType::joliet)))
        return make_error(Errc::invalid_argument, "Rock Ridge and Joliet extend ISO 9660: add iso9660");
    if (o.iso_level < 1 || o.iso_level > 4)
        return make_error(Errc::invalid_argument, "ISO 9660 level must be 1, 2, 3 or 4 (4 = ISO 9660:1999)");
    auto s = std::make_unique<SessionLayout>();
    s->tree = tree;
    s->start = o.session_start;
    s->allocator = std::make_unique<Allocator>(o.session_start);
    Allocator& a = *s->allocator;

    s->data = std::make_unique<FileDataPart>(*tree, s->ctx);
    // Boot first: it puts the catalog into the tree and patches boot images
    // before the file data are collected.
    if (boot && (!boot->spec.empty() || (boot->kept && !boot->kept->empty()))) {
        if (!iso) return make_error(Errc::invalid_argument, "a bootable session needs ISO 9660 (El Torito is part of it)");
        s->boot = std::make_unique<boot::BootPart>(*tree, *s->data, *boot);
        DM_TRY(s->boot->prepare());
    }
    // UDF alone: files that fit their file entry live in it (no data block).
    DM_TRY(s->data->prepare(o.dedup, udf && !iso ? udf::UdfPart::embed_limit(o.udf_revision) : 0));

    if (udf) {
        udf::UdfOptions u;
        u.revision = o.udf_revision;
        u.volume_name = o.volume_name;
        u.now = o.now;
        u.own_vrs = !iso;
        u.vat = o.udf_vat;
        u.medium_end = o.max_blocks;
        u.write_unit = o.write_unit;
        u.min_blocks = o.min_session_blocks;
        u.partition_start = o.udf_partition_start;
        u.sparable_packet = o.udf_sparable_packet;
        s->udf = std::make_unique<udf::UdfPart>(*tree, *s->data, u);
    }
    if (iso) {
        iso9660::HierarchyOptions primary{iso9660::HierarchyKind::primary,
                                          o.iso_level == 1 ? iso9660::NamePolicy::level1 : iso9660::NamePolicy::level2,
                                          has(o.file_systems, FsType::rockridge), o.iso_level >= 3, o.now};
        s->primary = std::make_unique<iso9660::HierarchyPart>(*tree, *s->data, primary);
        if (o.iso_level == 4) {
            iso9660::HierarchyOptions h{iso9660::HierarchyKind::iso1999, iso9660::NamePolicy::relaxed, false, true, o.now};
            s->iso1999 = std::make_unique<iso9660::HierarchyPart>(*tree, *s->data, h);
        }
        if (has(o.file_systems, FsType::joliet)) {
            iso9660::HierarchyOptions h{iso9660::HierarchyKind::joliet, iso9660::NamePolicy::level2, false, true, o.now};
            s->joliet = std::make_unique<iso9660::HierarchyPart>(*tree, *s->data, h);
        }
        iso9660::VolumeInfo info;
        info.volume_name = o.volume_name;
        info.now = o.now;
        s->descriptors = std::make_unique<iso9660::DescriptorPart>(info, s->primary.get(), s->iso1999.get(), s->joliet.get());
        if (udf)
            for (uint32_t i = 0; i < 3; ++i)
                s->descriptors->append_after_terminator(
                    [i, rev = o.udf_revision](std::byte* b) { udf::UdfPart::vrs_block(i, rev, b); });
        if (s->boot && s->boot->has_catalog())
            s->descriptors->set_boot_record([b = s->boot.get()](std::byte* block) { b->boot_record(block); });
        DM_TRY(s->descriptors->layout(a));
    }
    if (s->udf) DM_TRY(s->udf->layout_head(a));
    if (s->primary) DM_TRY(s->primary->layout(a));
    if (s->iso1999) DM_TRY(s->iso1999->layout(a));
    if (s->joliet) DM_TRY(s->joliet->layout(a));
    if (s->boot) s->boot->layout_catalog(a);
    if (s->udf) DM_TRY(s->udf->layout_entries(a));
    s->data->layout(a);
    if (s->boot) s->boot->layout_tail(a);
    if (s->udf) DM_TRY(s->udf->layout_tail(a));
    s->end = a.end();
    uint32_t blocks = s->end - s->start;
    if (o.max_blocks && s->end > o.max_blocks)
        return make_error(Errc::no_space, "the session needs " + std::to_string(blocks) + " blocks but only " +
                                              std::to_string(o.max_blocks > s->start ? o.max_blocks - s->start : 0) +
                                              " are free on the medium");
    if (s->descriptors) s->descriptors->set_session_blocks(o.absolute_volume_size ? s->end : blocks);
    if (s->boot) DM_TRY(s->boot->finish());
    s->ctx.sectors_total = blocks;
    return s;
}

}  // namespace mastering::image
