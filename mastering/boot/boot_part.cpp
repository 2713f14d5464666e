#include "mastering/boot/boot_part.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <unordered_map>

#include "mastering/boot/image_source.h"
#include "mastering/os/file.h"

namespace mastering::boot {

using model::Content;
using model::ContentKind;
using model::Node;

namespace {

enum : uint64_t { tag_catalog = 1, tag_system_area, tag_pad, tag_backup, tag_hidden = 0x1000, tag_appended = 0x2000 };
constexpr uint32_t k_block = 2048;
constexpr uint32_t k_cylinder_blocks = 64 * 32 * sector_bytes / k_block;  // 1 MiB: 64 heads of 32 sectors
constexpr size_t k_max_template = system_area_bytes;

uint32_t blocks_of(uint64_t bytes) { return uint32_t((bytes + k_block - 1) / k_block); }
uint64_t sectors_of(uint64_t bytes) { return (bytes + sector_bytes - 1) / sector_bytes; }
uint32_t round_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

Result<Emulation> floppy_of(uint64_t size, const std::string& what) {
    switch (size) {
    case 1228800: return Emulation::floppy_1_2;
    case 1474560: return Emulation::floppy_1_44;
    case 2949120: return Emulation::floppy_2_88;
    }
    return make_error(Errc::invalid_argument, what + ": " + std::to_string(size) +
                                                  " bytes is not the size of a 1.2, 1.44 or 2.88 MB floppy image "
                                                  "(1228800, 1474560 or 2949120 bytes); use --no-emul-boot or --hard-disk-boot");
}

// A host file that must be a non-empty regular file.
Result<uint64_t> host_file_size(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return os_error(what + ": " + path);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::invalid_argument, what + ": " + path + " is not a regular file");
    if (st.st_size == 0) return make_error(Errc::invalid_argument, what + ": " + path + " is empty");
    return uint64_t(st.st_size);
}

Result<std::shared_ptr<BootInfoTable>> new_table(model::DataSource& src, uint64_t size) {
    uint32_t sum = DM_TRY(boot_info_checksum(src));
    return std::make_shared<BootInfoTable>(BootInfoTable{0, 0, uint32_t(size), sum});
}

}  // namespace

struct BootPart::Image {
    Platform platform = Platform::x86;
    CatalogEntry entry;
    std::string what;                      // "boot image PATH", for messages
    Node* node = nullptr;                  // a file in the tree
    std::string host_path;                 // or a host file outside it (hidden)
    uint64_t size = 0;
    std::optional<uint32_t> fixed_lba;     // a kept hidden image stays where it is
    uint32_t hidden_lba = 0;
    std::shared_ptr<BootInfoTable> table;  // patched into the image's copy
    std::vector<std::byte> head;           // its first 512 bytes
};

Result<KeptBoot> read_kept_boot(media::SectorSource& medium, uint64_t session_start) {
    KeptBoot k;
    k.session = DM_TRY(read_session_boot(medium, session_start));
    auto sa = DM_TRY(read_system_area(medium));
    if (sa) k.system_area = std::move(sa->bytes);
    return k;
}

void locate_kept_boot(KeptBoot& kept, const model::Tree& tree) {
    if (!kept.session) return;
    // Imported files by the first block of their data.
    std::unordered_map<uint64_t, const Node*> by_lba;
    std::vector<const Node*> queue{tree.root()};
    for (size_t qi = 0; qi < queue.size(); ++qi)
        for (const Node* n : *queue[qi]->children) {
            if (n->is_dir()) queue.push_back(n);
            else if (n->is_file() && n->content && n->content->kind == ContentKind::medium && !n->content->extents.empty())
                by_lba.emplace(n->content->extents[0].lba, n);
        }
    auto path_at = [&](uint64_t lba) {
        auto it = by_lba.find(lba);
        return it == by_lba.end() ? std::string() : model::Tree::path_of(it->second);
    };
    kept.image_paths.clear();
    for (const auto& [platform, e] : kept.session->catalog.all_entries()) kept.image_paths.push_back(path_at(e.load_rba));
    kept.catalog_path = path_at(kept.session->catalog_lba);
}

BootPart::BootPart(model::Tree& tree, const model::FileData& data, BootSetup setup)
    : m_tree(tree), m_data(data), m_setup(std::move(setup)) {}

BootPart::~BootPart() = default;

Status BootPart::prepare() {
    const BootSpec& spec = m_setup.spec;
    if (!spec.images.empty()) {
        for (const auto& s : spec.images) DM_TRY(prepare_spec_image(s));
        Catalog provisional;
        provisional.sections.resize(m_images.size() - 1);  // at most one section per further image
        for (auto& s : provisional.sections) s.entries.resize(1);
        m_catalog_blocks = uint32_t(catalog_blocks(provisional));
        DM_TRY(prepare_catalog_node(spec.catalog_path.empty() ? default_catalog_path : spec.catalog_path));
    } else if (m_setup.kept && m_setup.kept->session) {
        DM_TRY(prepare_kept_images());
    }
    if (!spec.isohybrid_mbr.empty() || spec.gpt_basdat || !spec.appended.empty()) DM_TRY(prepare_hybrid());
    else if (m_setup.kept && m_setup.kept->system_area) m_system_area = *m_setup.kept->system_area;
    return {};
}

Status BootPart::prepare_spec_image(const BootImageSpec& s) {
    Image im;
    im.platform = s.platform;
    im.what = "boot image " + s.path;
    std::shared_ptr<model::DataSource> src;
    if (Node* n = m_tree.lookup(s.path)) {
        if (!n->is_file()) return make_error(Errc::invalid_argument, im.what + ": not a regular file in the image");
        if (!n->content || n->content->size == 0) return make_error(Errc::invalid_argument, im.what + ": the file is empty");
        im.node = n;
        im.size = n->content->size;
        src = content_source(*n->content);
    } else {
        struct stat st {};
        if (::stat(s.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            return make_error(Errc::not_found, im.what + ": not in the image's tree and not a file on the host");
        im.host_path = s.path;
        im.size = DM_TRY(host_file_size(s.path, "boot image"));
        src = host_file_source(s.path, im.size);
    }
    if (im.size > 0xFFFFFFFFull) return make_error(Errc::invalid_argument, im.what + ": larger than 4 GiB");
    im.head.assign(sector_bytes, std::byte{0});
    DM_TRY(read_exactly(*src, 0, std::span(im.head.data(), size_t(std::min<uint64_t>(im.size, sector_bytes)))));
    CatalogEntry& e = im.entry;
    switch (s.mode) {
    case BootImageSpec::Mode::floppy:
        e.emulation = DM_TRY(floppy_of(im.size, im.what));
        e.sector_count = 1;
        break;
    case BootImageSpec::Mode::no_emulation:
        e.emulation = Emulation::none;
        if (s.load_size) {
            uint64_t n = *s.load_size;
            if (n == 0 || n > 0xFFFF)
                return make_error(Errc::invalid_argument, im.what + ": --boot-load-size " + std::to_string(n) +
                                                              " does not fit El Torito's sector count (1 to 65535)");
            if (n * sector_bytes > uint64_t(blocks_of(im.size)) * k_block)
                return make_error(Errc::invalid_argument, im.what + ": --boot-load-size " + std::to_string(n) + " (" +
                                                              std::to_string(n * sector_bytes) +
                                                              " bytes) is larger than the image (" +
                                                              std::to_string(im.size) + " bytes)");
            e.sector_count = uint16_t(n);
        } else {
            // xorriso's default: the whole image; an EFI image too large for
            // the field records 0 ("to the end of the medium").
            uint64_t whole = sectors_of(im.size);
            e.sector_count = uint16_t(whole <= 0xFFFF ? whole : (s.platform == Platform::efi ? 0 : 0xFFFF));
        }
        break;
    case BootImageSpec::Mode::hard_disk: {
        auto mbr = decode_mbr(im.head);
        if (!mbr.ok() || im.size < sector_bytes)
            return make_error(Errc::invalid_argument, im.what + ": hard disk emulation needs an image that starts with an MBR");
        int used = 0;
        for (const auto& p : mbr->partitions)
            if (p.used()) {
                ++used;
                e.system_type = p.type;
            }
        if (used != 1)
            return make_error(Errc::invalid_argument, im.what + ": hard disk emulation needs an MBR with exactly one "
                                                                "partition (it has " + std::to_string(used) + ")");
        e.emulation = Emulation::hard_disk;
        e.sector_count = 1;
        break;
    }
    }
    if (s.boot_info_table) {
        if (s.mode != BootImageSpec::Mode::no_emulation)
            return make_error(Errc::invalid_argument, im.what + ": --boot-info-table is for no-emulation images");
        if (im.size < boot_info_min_image)
            return make_error(Errc::invalid_argument, im.what + ": too short for a boot-info table (" +
                                                          std::to_string(im.size) + " bytes, at least 64)");
        if (im.node) DM_TRY(patch_node(im, src));
        else im.table = DM_TRY(new_table(*src, im.size));
    }
    m_images.push_back(std::move(im));
    return {};
}

Status BootPart::patch_node(Image& im, std::shared_ptr<model::DataSource> src) {
    im.table = DM_TRY(new_table(*src, im.size));
    // The image's copy on the disc differs from its source: new data, never
    // stored as one with a file of the same bytes.
    Content* c = m_tree.new_content();
    c->kind = ContentKind::source;
    c->size = im.size;
    c->source = patched_source(std::move(src), im.table);
    c->links = 1;
    c->unique = true;
    if (im.node->content->links) --im.node->content->links;
    im.node->content = c;
    return {};
}

Status BootPart::prepare_kept_images() {
    const KeptBoot& kept = *m_setup.kept;
    const SessionBoot& sb = *kept.session;
    auto entries = sb.catalog.all_entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        Image im;
        im.platform = entries[i].first;
        im.entry = entries[i].second;
        const std::string& path = i < kept.image_paths.size() ? kept.image_paths[i] : std::string();
        im.what = "boot image " + (path.empty() ? "at block " + std::to_string(im.entry.load_rba) : path);
        Node* n = path.empty() ? nullptr : m_tree.lookup(path);
        if (n && n->is_file() && n->content && n->content->size) {
            im.node = n;
            im.size = n->content->size;
            const Content& c = *n->content;
            bool moved = !(c.kind == ContentKind::medium && !c.extents.empty() && c.extents[0].lba == im.entry.load_rba);
            // A new file at the old image's path: patched as the old one was.
            if (moved && i < sb.images.size() && sb.images[i].boot_info_table && im.size >= boot_info_min_image)
                DM_TRY(patch_node(im, content_source(c)));
        } else {
            im.fixed_lba = im.entry.load_rba;  // hidden, or its file was removed: it stays on the medium
        }
        m_images.push_back(std::move(im));
    }
    m_catalog_blocks = uint32_t(catalog_blocks(sb.catalog));
    if (!kept.catalog_path.empty()) DM_TRY(prepare_catalog_node(kept.catalog_path));
    return {};
}

Status BootPart::prepare_catalog_node(const std::string& path) {
    std::string_view p = path;
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    size_t slash = p.rfind('/');
    std::string_view parent = slash == std::string_view::npos ? std::string_view{} : p.substr(0, slash);
    std::string_view name = slash == std::string_view::npos ? p : p.substr(slash + 1);
    if (auto st = model::check_name(name); !st.ok()) return st.error().with_context("boot catalog " + path);
    Node* dir = DM_TRY(m_tree.make_dirs(parent, m_setup.now));
    if (Node* old = m_tree.child(dir, name); old && old->is_dir())
        return make_error(Errc::invalid_argument, "boot catalog " + path + ": a directory of that name is in the image");
    Node* n = m_tree.add(dir, name, S_IFREG | 0444);
    n->mtime = n->atime = n->ctime = m_setup.now;
    Content* c = m_tree.new_content();
    c->kind = ContentKind::medium;  // its block is this part's, not the file data's
    c->size = uint64_t(m_catalog_blocks) * k_block;
    c->extents = {{0, c->size, false}};
    c->links = 1;
    n->content = c;
    m_catalog_node = n;
    return {};
}

Status BootPart::prepare_hybrid() {
    const BootSpec& spec = m_setup.spec;
    m_hybrid = true;
    if (!spec.isohybrid_mbr.empty()) {
        const std::string what = "--isohybrid-mbr " + spec.isohybrid_mbr;
        auto fd = os::open_file(spec.isohybrid_mbr, O_RDONLY);
        if (!fd.ok()) return fd.error().with_context(what);
        std::vector<std::byte> t(k_max_template + 1);
        size_t n = DM_TRY(os::pread_some(fd->get(), t.data(), t.size(), 0, spec.isohybrid_mbr));
        t.resize(n);
        if (auto st = check_mbr_template(t); !st.ok()) return st.error().with_context(what + " is not an MBR template");
        m_plan.mbr_template = std::move(t);
        const Image* bios = nullptr;
        for (const auto& im : m_images)
            if (im.platform == Platform::x86 && im.entry.emulation == Emulation::none) {
                bios = &im;
                break;
            }
        if (!bios)
            return make_error(Errc::invalid_argument, what + ": an isohybrid MBR starts a BIOS boot image in "
                                                             "no-emulation mode (-b IMAGE --no-emul-boot)");
        if (!is_isohybrid_capable(bios->head))
            return make_error(Errc::invalid_argument, bios->what + ": no isohybrid signature (0x7078C0FB at byte 64, "
                                                                   "ISOLINUX 4 or later): an isohybrid MBR cannot start it");
    }
    if (spec.gpt_basdat && spec.isohybrid_mbr.empty())
        return make_error(Errc::invalid_argument, "--isohybrid-gpt-basdat needs --isohybrid-mbr");
    for (const auto& a : spec.appended) {
        if (a.number < 2 || a.number > 4)
            return make_error(Errc::invalid_argument, "--append-partition " + std::to_string(a.number) +
                                                          ": the partition number must be 2, 3 or 4 (1 is the ISO image)");
        m_appended_size.push_back(DM_TRY(host_file_size(a.host_path, "--append-partition")));
    }
    m_appended_lba.assign(spec.appended.size(), 0);
    m_plan.gpt_basdat = spec.gpt_basdat;
    m_plan.seed = m_setup.seed;
    return {};
}

void BootPart::boot_record(std::byte* block) const { encode_boot_record(BootRecord{m_catalog_lba}, block); }

void BootPart::layout_catalog(model::Allocator& a) {
    if (m_hybrid && m_setup.session_start == 0) {
        // A disc's system area is its first session's: written with it.
        auto at = a.reserve_at(0, 16, this, tag_system_area);
        DM_VERIFY(at.ok());
    }
    if (!has_catalog()) return;
    m_catalog_lba = a.reserve(m_catalog_blocks, this, tag_catalog);
    if (m_catalog_node) m_catalog_node->content->extents = {{m_catalog_lba, m_catalog_node->content->size, false}};
    for (size_t i = 0; i < m_images.size(); ++i)
        if (!m_images[i].host_path.empty())
            m_images[i].hidden_lba = a.reserve(blocks_of(m_images[i].size), this, tag_hidden + i);
}

void BootPart::layout_tail(model::Allocator& a) {
    if (!m_hybrid) return;
    const BootSpec& spec = m_setup.spec;
    uint32_t end = a.end();
    if (!m_plan.mbr_template.empty()) {
        // xorriso's cylinder alignment: the ISO part ends on a whole MiB (64
        // heads x 32 sectors), with the backup GPT in its last blocks when no
        // partition follows.
        uint32_t backup = spec.gpt_basdat && spec.appended.empty() ? 16 : 0;
        uint32_t target = round_up(end + backup, k_cylinder_blocks);
        if (target - end > backup) a.reserve(target - end - backup, this, tag_pad);
        if (backup) m_backup_lba = a.reserve(backup, this, tag_backup);
    }
    uint32_t iso_end = a.end();
    for (size_t i = 0; i < spec.appended.size(); ++i)
        m_appended_lba[i] = a.reserve(blocks_of(m_appended_size[i]), this, tag_appended + i);
    if (spec.gpt_basdat && !spec.appended.empty()) m_backup_lba = a.reserve(16, this, tag_backup);
    m_image_end = a.end();
    m_plan.iso_sectors = uint64_t(spec.appended.empty() ? m_image_end : iso_end) * (k_block / sector_bytes);
    m_plan.image_sectors = uint64_t(m_image_end) * (k_block / sector_bytes);
}

Result<uint32_t> BootPart::image_lba(const Image& im) const {
    if (im.fixed_lba) return *im.fixed_lba;
    if (!im.node) return im.hidden_lba;
    auto ext = m_data.placement(*im.node);
    if (ext.empty() || ext[0].sparse) return make_error(Errc::internal, im.what + ": the image has no data blocks");
    if (ext[0].lba > 0xFFFFFFFFull) return make_error(Errc::unsupported, im.what + ": beyond block 2^32");
    return uint32_t(ext[0].lba);
}

Status BootPart::finish() {
    for (auto& im : m_images) {
        im.entry.load_rba = DM_TRY(image_lba(im));
        if (im.table) {
            im.table->pvd_lba = m_setup.session_start + 16;
            im.table->file_lba = im.entry.load_rba;
        }
    }
    if (has_catalog()) {
        if (m_setup.spec.images.empty()) {
            // The kept catalog as it was, with its images where they are now.
            m_catalog = m_setup.kept->session->catalog;
            size_t i = 0;
            m_catalog.default_entry.load_rba = m_images[i++].entry.load_rba;
            for (auto& s : m_catalog.sections)
                for (auto& e : s.entries) e.load_rba = m_images[i++].entry.load_rba;
        } else {
            m_catalog = Catalog{};
            m_catalog.platform = m_images[0].platform;
            m_catalog.default_entry = m_images[0].entry;
            for (size_t i = 1; i < m_images.size(); ++i) {
                if (m_catalog.sections.empty() || m_catalog.sections.back().platform != m_images[i].platform)
                    m_catalog.sections.push_back({m_images[i].platform, {}, {}});
                m_catalog.sections.back().entries.push_back(m_images[i].entry);
            }
        }
        m_catalog_bytes = encode_catalog(m_catalog);
        DM_VERIFY(m_catalog_bytes.size() <= size_t(m_catalog_blocks) * k_block);
        m_catalog_bytes.resize(size_t(m_catalog_blocks) * k_block);
    }
    if (m_hybrid) {
        constexpr uint64_t per_block = k_block / sector_bytes;
        m_plan.efi_images.clear();
        m_plan.appended.clear();
        for (const auto& im : m_images) {
            if (im.platform == Platform::x86 && im.entry.emulation == Emulation::none && !m_plan.bios_image_sector)
                m_plan.bios_image_sector = uint64_t(im.entry.load_rba) * per_block;
            if (im.platform == Platform::efi && m_plan.gpt_basdat)
                m_plan.efi_images.push_back({uint64_t(im.entry.load_rba) * per_block, sectors_of(im.size), 0xEF, 0});
        }
        const auto& app = m_setup.spec.appended;
        for (size_t i = 0; i < app.size(); ++i)
            m_plan.appended.push_back({uint64_t(m_appended_lba[i]) * per_block, sectors_of(m_appended_size[i]),
                                       app[i].type, app[i].number});
        auto sa = DM_TRY(plan_system_area(m_plan));
        m_system_area = encode_system_area(sa);
        if (sa.gpt) m_backup = encode_backup_gpt(sa);
    }
    return {};
}

Status BootPart::emit_file(const std::string& path, uint64_t size, uint64_t offset, std::span<std::byte> out) {
    std::memset(out.data(), 0, out.size());
    if (offset >= size) return {};
    auto src = host_file_source(path, size);
    return read_exactly(*src, offset, out.first(size_t(std::min<uint64_t>(out.size(), size - offset))));
}

Status BootPart::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    uint64_t off = uint64_t(first) * k_block;
    std::memset(out.data(), 0, out.size());
    auto copy_from = [&](const std::vector<std::byte>& src, uint64_t src_off) {
        if (src_off < src.size()) std::memcpy(out.data(), src.data() + src_off, std::min<size_t>(out.size(), src.size() - size_t(src_off)));
    };
    if (tag == tag_catalog) {
        copy_from(m_catalog_bytes, off);
    } else if (tag == tag_system_area) {
        copy_from(m_system_area, off);
    } else if (tag == tag_backup) {
        // The 16 blocks end with the backup GPT.
        uint64_t at = m_backup.first_sector * sector_bytes - uint64_t(m_backup_lba) * k_block;
        for (size_t i = 0; i < out.size(); ++i) {
            uint64_t pos = off + i;
            if (pos >= at && pos - at < m_backup.bytes.size()) out[i] = m_backup.bytes[size_t(pos - at)];
        }
    } else if (tag >= tag_appended) {
        size_t i = size_t(tag - tag_appended);
        DM_TRY(emit_file(m_setup.spec.appended[i].host_path, m_appended_size[i], off, out));
    } else if (tag >= tag_hidden) {
        const Image& im = m_images[size_t(tag - tag_hidden)];
        DM_TRY(emit_file(im.host_path, im.size, off, out));
        if (im.table && first == 0) encode_boot_info_table(*im.table, out.data());
    }
    return {};
}

}  // namespace mastering::boot
