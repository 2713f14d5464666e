#include "mastering/image/file_system_image.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <random>

#include "mastering/image/open_file_system.h"
#include "mastering/image/session_layout.h"
#include "mastering/udf/descriptors.h"
#include "mastering/udf/reader.h"
#include "mastering/udf/writer.h"

namespace mastering::image {

using model::Content;
using model::ContentKind;
using model::DataSource;
using model::FsMask;
using model::FsType;
using model::LayoutOptions;
using model::Node;
using model::NodeExtra;
using model::Tree;
using model::check_name;
using model::has;

FileSystemImage::FileSystemImage() : m_tree(std::make_shared<Tree>()) {
    Node* r = m_tree->root();
    r->mtime = r->atime = r->ctime = now();
}

namespace {
// Reproducible builds' convention: SOURCE_DATE_EPOCH, decimal seconds.
std::optional<int64_t> source_date_epoch() {
    const char* e = std::getenv("SOURCE_DATE_EPOCH");
    if (!e || !*e) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(e, &end, 10);
    if (errno != 0 || *end != 0 || v <= 0) return std::nullopt;
    return int64_t(v);
}
}  // namespace

int64_t FileSystemImage::now() const {
    if (m_options.now) return m_options.now;
    // SOURCE_DATE_EPOCH replaces the current time (as with xorriso and genisoimage).
    if (auto t = source_date_epoch()) return *t;
    return int64_t(std::time(nullptr));
}

Status FileSystemImage::set_file_systems(FsMask m) {
    if (m == 0) return make_error(Errc::invalid_argument, "no file system selected");
    if ((has(m, FsType::rockridge) || has(m, FsType::joliet)) && !has(m, FsType::iso9660))
        return make_error(Errc::invalid_argument, "Rock Ridge and Joliet need ISO 9660");
    m_options.file_systems = m;
    return {};
}

Status FileSystemImage::set_iso_level(int level) {
    if (level < 1 || level > 4) return make_error(Errc::invalid_argument, "ISO 9660 level must be 1, 2, 3 or 4");
    m_options.iso_level = level;
    return {};
}

Status FileSystemImage::set_udf_revision(uint16_t revision) {
    if (revision != 0x0102 && revision != 0x0150 && revision != 0x0200 && revision != 0x0201 && revision != 0x0250)
        return make_error(Errc::unsupported, "UDF revision must be 1.02, 1.50, 2.00, 2.01 or 2.50");
    m_options.udf_revision = revision;
    return {};
}

Status FileSystemImage::set_volume_name(std::string name) {
    if (name.empty()) return make_error(Errc::invalid_argument, "empty volume name");
    if (name.size() > 32) return make_error(Errc::invalid_argument, "volume name longer than 32 characters");
    m_options.volume_name = std::move(name);
    return {};
}

Status FileSystemImage::set_udf_sparable_packet(uint16_t blocks) {
    if (blocks && media::profile_info(m_profile).recording == media::Recording::write_once)
        return make_error(Errc::invalid_argument, "a sparable UDF partition needs rewritable media; " +
                                                      std::string(media::profile_name(m_profile)) +
                                                      " is write-once (UDF through a virtual allocation table)");
    m_options.udf_sparable_packet = blocks;
    if (blocks) m_options.udf_vat = false;  // packet writing: the medium is written in place
    return {};
}

void FileSystemImage::choose_defaults_for_media(media::Profile profile) {
    const auto& info = media::profile_info(profile);
    m_profile = profile;
    // Sequential media (CD-R/RW, DVD±R, DVD-RW, BD-R) never rewrite a block:
    // UDF goes through a virtual allocation table there.
    m_options.udf_vat = media::is_sequential(profile);
    m_options.absolute_volume_size = media::is_sequential(profile);
    // DVD-RW in restricted overwrite has no defect management of its own and
    // takes fixed packets: UDF spares them (a sparable partition).
    m_options.udf_sparable_packet = profile == media::Profile::dvd_rw_ro ? udf::sparable_packet_for(info.family) : 0;
    m_options.write_unit = info.family == media::Family::bd ? 32 : info.family == media::Family::dvd ? 16 : 1;
    m_options.min_session_blocks = info.family == media::Family::cd && media::is_sequential(profile) ? 300 : 0;
    m_free_blocks = info.capacity_blocks > m_options.session_start ? info.capacity_blocks - m_options.session_start : 0;
}

Result<FsMask> FileSystemImage::identify_file_systems(media::SectorSource& medium, uint64_t session_start) {
    return image::identify_file_systems(medium, session_start);
}

Result<FsType> FileSystemImage::import_file_system(std::shared_ptr<media::SectorSource> medium, uint64_t session_start) {
    return import_specific_file_system(std::move(medium), session_start, FsType::none);
}

Result<FsType> FileSystemImage::import_specific_file_system(std::shared_ptr<media::SectorSource> medium,
                                                            uint64_t session_start, FsType fs) {
    auto reader = DM_TRY(open_file_system(*medium, session_start, fs));
    DM_TRY(import_tree(*m_tree, *reader, medium));
    m_imported = reader->type();
    // A bootable session stays bootable: its catalog and system area are kept.
    auto kept = boot::read_kept_boot(*medium, session_start);
    if (!kept.ok()) return kept.error().with_context("the boot information of the session at block " +
                                                     std::to_string(session_start));
    m_kept_boot.reset();
    if (!kept->empty()) {
        boot::locate_kept_boot(*kept, *m_tree);
        m_kept_boot = std::move(*kept);
    }
    // The new session keeps the file systems of the one it continues (IMAPI2
    // refuses to drop them), and its UDF revision.
    if (auto present = image::identify_file_systems(*medium, session_start); present.ok()) {
        m_options.file_systems |= *present;
        if (has(*present, FsType::udf))
            if (auto u = udf::read_summary(*medium, session_start); u.ok()) {
                (void)set_udf_revision(u->revision);
                // A VAT disc keeps one partition across its sessions.
                if (u->partition_kind == "virtual" && m_options.udf_vat)
                    m_options.udf_partition_start = u->partition_start;
                // A sparable volume goes on with the same packets.
                if (u->sparable_packet && !m_options.udf_vat) m_options.udf_sparable_packet = u->sparable_packet;
            }
    }
    std::string vol = reader->volume_id();
    if (!vol.empty() && vol.size() <= 32) m_options.volume_name = vol;
    return m_imported;
}

Status FileSystemImage::add_tree(const std::string& host_dir, bool include_base_dir, std::string_view at) {
    Node* dir = DM_TRY(m_tree->make_dirs(at, now()));
    // Reproducible: with SOURCE_DATE_EPOCH the access and change times, which
    // reading or checking out the tree moves, are recorded as each file's
    // mtime (xorriso does the same: -volume_date all_file_dates set_to_mtime).
    return add_host_tree(*m_tree, dir, host_dir, include_base_dir, source_date_epoch().has_value());
}

namespace {
// Split "/a/b/c" into the parent path and the last name.
Result<std::pair<std::string_view, std::string_view>> split_path(std::string_view path) {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    size_t slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    std::string_view parent = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
    DM_TRY(check_name(name));
    return std::make_pair(parent, name);
}
}  // namespace

Status FileSystemImage::create_file(std::string_view path, const std::string& host_file) {
    struct stat st {};
    if (::stat(host_file.c_str(), &st) != 0) return os_error(host_file);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::invalid_argument, host_file + ": not a regular file");
    auto [parent, name] = DM_TRY(split_path(path));
    Node* dir = DM_TRY(m_tree->make_dirs(parent, now()));
    Node* n = m_tree->add(dir, name, st.st_mode);
    n->uid = st.st_uid;
    n->gid = st.st_gid;
    n->mtime = st.st_mtim.tv_sec;
    n->atime = st.st_atim.tv_sec;
    n->ctime = st.st_ctim.tv_sec;
    if (st.st_size > 0) {
        Content* c = m_tree->new_content();
        c->kind = ContentKind::host_file;
        c->path = host_file;
        c->size = uint64_t(st.st_size);
        c->dev = st.st_dev;
        c->ino = st.st_ino;
        c->links = 1;
        n->content = c;
    }
    return {};
}

Status FileSystemImage::create_file(std::string_view path, std::shared_ptr<DataSource> data, uint32_t mode) {
    auto [parent, name] = DM_TRY(split_path(path));
    Node* dir = DM_TRY(m_tree->make_dirs(parent, now()));
    Node* n = m_tree->add(dir, name, S_IFREG | (mode & 07777));
    n->mtime = n->atime = n->ctime = now();
    if (data && data->size() > 0) {
        Content* c = m_tree->new_content();
        c->kind = ContentKind::source;
        c->size = data->size();
        c->source = std::move(data);
        c->links = 1;
        n->content = c;
    }
    return {};
}

Status FileSystemImage::create_directory(std::string_view path) {
    if (Node* n = m_tree->lookup(path); n && !n->is_dir())
        return make_error(Errc::exists, std::string(path) + " exists and is not a directory");
    DM_TRY(m_tree->make_dirs(path, now()));
    return {};
}

Status FileSystemImage::create_symlink(std::string_view path, std::string target) {
    auto [parent, name] = DM_TRY(split_path(path));
    Node* dir = DM_TRY(m_tree->make_dirs(parent, now()));
    Node* n = m_tree->add(dir, name, S_IFLNK | 0777);
    n->mtime = n->atime = n->ctime = now();
    n->extra = std::make_unique<NodeExtra>();
    n->extra->symlink = std::move(target);
    return {};
}

Status FileSystemImage::remove(std::string_view path) {
    Node* n = m_tree->lookup(path);
    if (!n) return make_error(Errc::not_found, std::string(path) + ": no such file or directory in the image");
    if (!n->parent) return make_error(Errc::invalid_argument, "the root directory cannot be removed");
    if (n->is_dir() && !n->children->empty())
        return make_error(Errc::invalid_argument, std::string(path) + ": directory not empty (use remove_tree)");
    m_tree->remove(n);
    return {};
}

Status FileSystemImage::remove_tree(std::string_view path) {
    Node* n = m_tree->lookup(path);
    if (!n) return make_error(Errc::not_found, std::string(path) + ": no such file or directory in the image");
    if (!n->parent) return make_error(Errc::invalid_argument, "the root directory cannot be removed");
    m_tree->remove(n);
    return {};
}

Result<std::unique_ptr<ImageStream>> FileSystemImage::create_result_image() {
    LayoutOptions o = m_options;
    o.now = now();
    o.max_blocks = m_free_blocks ? m_options.session_start + m_free_blocks : 0;
    std::optional<boot::BootSetup> b;
    if (!m_boot.empty() || m_kept_boot) {
        // Random disk and partition identifiers, or with SOURCE_DATE_EPOCH
        // ones that the same inputs repeat.
        auto epoch = source_date_epoch();
        uint64_t seed = epoch ? uint64_t(*epoch) : (uint64_t(std::random_device{}()) << 32 | std::random_device{}());
        b = boot::BootSetup{m_boot, m_kept_boot, o.session_start, seed, o.now};
    }
    auto layout = DM_TRY(lay_out(m_tree, o, b));
    return std::make_unique<ImageStream>(std::move(layout));
}

Result<uint16_t> parse_udf_revision(std::string_view text) { return udf::parse_revision(text); }

Result<uint16_t> parse_udf_partition(std::string_view kind, media::Family family) {
    return udf::parse_partition(kind, family);
}

}  // namespace mastering::image
