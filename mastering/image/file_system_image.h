// FileSystemImage: IMAPI2's MsftFileSystemImage for Linux (docs/architecture.md
// "The object model"): which file systems to create, the volume name, media
// defaults, importing the previous session, a tree of files and directories
// to add and remove, and the result image as a lazily produced stream.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mastering/boot/boot_part.h"
#include "mastering/image/result_stream.h"
#include "mastering/media/profile.h"
#include "mastering/model/data_source.h"
#include "mastering/model/fs_reader.h"
#include "mastering/model/layout.h"
#include "mastering/model/tree.h"

namespace mastering::image {

class FileSystemImage {
public:
    FileSystemImage();

    // ---- What to create
    model::FsMask file_systems() const { return m_options.file_systems; }
    Status set_file_systems(model::FsMask m);
    int iso_level() const { return m_options.iso_level; }
    Status set_iso_level(int level);  // 1, 2, 3, or 4 (ISO 9660:1999)
    // UDF revision as recorded (0x0102, 0x0150, 0x0200, 0x0201, 0x0250).
    uint16_t udf_revision() const { return m_options.udf_revision; }
    Status set_udf_revision(uint16_t revision);
    // A sparable UDF partition with packets of this many blocks (0: physical):
    // a CD-RW or DVD-RW written in fixed packets, not through a VAT.
    uint16_t udf_sparable_packet() const { return m_options.udf_sparable_packet; }
    Status set_udf_sparable_packet(uint16_t blocks);
    const std::string& volume_name() const { return m_options.volume_name; }
    Status set_volume_name(std::string name);
    // File systems and free blocks suited to a medium (IMAPI2 ChooseImageDefaultsForMediaType).
    void choose_defaults_for_media(media::Profile profile);

    // ---- Where the session goes
    uint32_t session_start_block() const { return m_options.session_start; }
    void set_session_start_block(uint32_t lba) { m_options.session_start = lba; }
    // The volume space size from LBA 0 (sequential media, the default after
    // choose_defaults_for_media) or the session's own (image files).
    void set_absolute_volume_size(bool on) { m_options.absolute_volume_size = on; }
    // Blocks free for this session (0 = no limit).
    uint64_t free_media_blocks() const { return m_free_blocks; }
    void set_free_media_blocks(uint64_t blocks) { m_free_blocks = blocks; }
    void set_time(int64_t now) { m_options.now = now; }
    // Store identical file contents once (default on; costs reading files that share a size).
    void set_dedup(bool on) { m_options.dedup = on; }

    // ---- Booting (docs/boot.md)
    // Make the session bootable as `spec` asks: El Torito boot images, the
    // catalog, a hybrid system area. Checked when the session is laid out.
    void set_boot(boot::BootSpec spec) { m_boot = std::move(spec); }
    const boot::BootSpec& boot() const { return m_boot; }
    // What keeps an imported bootable session bootable (its catalog, the
    // medium's system area): used where the spec asks for nothing new.
    const std::optional<boot::KeptBoot>& kept_boot() const { return m_kept_boot; }

    // ---- Previous session
    // Which file systems the session at `session_start` holds.
    static Result<model::FsMask> identify_file_systems(media::SectorSource& medium, uint64_t session_start);
    // Import the most advanced file system present (UDF > Rock Ridge > Joliet >
    // ISO 9660): its files become references to their extents on `medium`.
    // Items already in the tree win over imported ones of the same name.
    Result<model::FsType> import_file_system(std::shared_ptr<media::SectorSource> medium, uint64_t session_start);
    Result<model::FsType> import_specific_file_system(std::shared_ptr<media::SectorSource> medium, uint64_t session_start,
                                               model::FsType fs);
    model::FsType imported_file_system() const { return m_imported; }

    // ---- The tree (paths inside the image, '/'-separated)
    // The contents of host_dir (or host_dir itself if include_base_dir) under
    // `at`; what comes from the host replaces items of the same name.
    Status add_tree(const std::string& host_dir, bool include_base_dir, std::string_view at = "/");
    Status create_file(std::string_view path, const std::string& host_file);
    Status create_file(std::string_view path, std::shared_ptr<model::DataSource> data, uint32_t mode = 0644);
    Status create_directory(std::string_view path);
    Status create_symlink(std::string_view path, std::string target);
    // A file or an empty directory.
    Status remove(std::string_view path);
    Status remove_tree(std::string_view path);
    bool exists(std::string_view path) const { return m_tree->lookup(path) != nullptr; }
    model::Tree& tree() { return *m_tree; }

    // ---- Result
    // Lays out the session and returns its stream. The tree must not change
    // while the stream is in use.
    Result<std::unique_ptr<ImageStream>> create_result_image();

private:
    int64_t now() const;
    std::shared_ptr<model::Tree> m_tree;
    model::LayoutOptions m_options;
    uint64_t m_free_blocks = 0;
    media::Profile m_profile = media::Profile::none;  // from choose_defaults_for_media
    model::FsType m_imported = model::FsType::none;
    boot::BootSpec m_boot;
    std::optional<boot::KeptBoot> m_kept_boot;
};

// The tools' UDF flags, read through the image so that front ends need not
// know the UDF module: "1.02", "1.50", "2.01" or "2.50" -> the revision for
// set_udf_revision; "physical" or "sparable" -> the packet length for
// set_udf_sparable_packet on a medium of `family` (0: physical).
Result<uint16_t> parse_udf_revision(std::string_view text);
Result<uint16_t> parse_udf_partition(std::string_view kind, media::Family family);

// Build the tree below `at` from a host directory (used by add_tree);
// `dates_from_mtime`: record every access and change time as the mtime.
Status add_host_tree(model::Tree& tree, model::Node* at, const std::string& host_dir, bool include_base_dir,
                     bool dates_from_mtime = false);
// Populate the tree from a reader; existing items win (used by import).
Status import_tree(model::Tree& tree, model::FileSystemReader& reader, std::shared_ptr<media::SectorSource> medium);

}  // namespace mastering::image
