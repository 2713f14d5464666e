#include "mastering/image/session_layout.h"

namespace mastering::image {

Result<std::unique_ptr<SessionLayout>> lay_out(std::shared_ptr<Tree> tree, const LayoutOptions& o) {
    if (has(o.file_systems, FsType::udf)) return make_error(Errc::unsupported, "writing UDF is not supported yet");
    if (!has(o.file_systems, FsType::iso9660))
        return make_error(Errc::invalid_argument, "ISO 9660 must be among the file systems (Rock Ridge and Joliet extend it)");
    if (o.iso_level < 1 || o.iso_level > 4)
        return make_error(Errc::invalid_argument, "ISO 9660 level must be 1, 2, 3 or 4 (4 = ISO 9660:1999)");
    auto s = std::make_unique<SessionLayout>();
    s->tree = tree;
    s->start = o.session_start;
    s->allocator = std::make_unique<Allocator>(o.session_start);
    Allocator& a = *s->allocator;

    s->data = std::make_unique<FileDataPart>(*tree, s->ctx);
    DM_TRY(s->data->prepare(o.dedup));

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

    DM_TRY(s->descriptors->layout(a));
    DM_TRY(s->primary->layout(a));
    if (s->iso1999) DM_TRY(s->iso1999->layout(a));
    if (s->joliet) DM_TRY(s->joliet->layout(a));
    s->data->layout(a);
    s->end = a.end();
    uint32_t blocks = s->end - s->start;
    if (o.max_blocks && s->end > o.max_blocks)
        return make_error(Errc::no_space, "the session needs " + std::to_string(blocks) + " blocks but only " +
                                              std::to_string(o.max_blocks > s->start ? o.max_blocks - s->start : 0) +
                                              " are free on the medium");
    s->descriptors->set_session_blocks(blocks);
    s->ctx.sectors_total = blocks;
    return s;
}

}  // namespace mastering::image
