// The writer part that makes a session bootable (docs/boot.md): it checks the
// boot images a BootSpec names (or keeps those of the session it continues),
// puts the boot catalog into the tree, patches boot-info tables, fills the
// boot record, and lays out and emits the catalog, hidden boot images,
// appended partitions, the cylinder padding and the backup GPT, and the
// system area (MBR, GPT) for block 0 of an image file or a disc.
//
// The session layout calls, in order: prepare() before the file data are
// collected, boot_record() for the descriptor set, layout_catalog() after the
// directory trees, layout_tail() after the file data, finish() once all is
// laid out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mastering/boot/boot_info.h"
#include "mastering/boot/boot_spec.h"
#include "mastering/boot/reader.h"
#include "mastering/boot/system_area.h"
#include "mastering/model/layout.h"

namespace mastering::boot {

// A bootable session being continued: its catalog, and the medium's system
// area, which the new session keeps as it is.
struct KeptBoot {
    std::optional<SessionBoot> session;
    std::optional<std::vector<std::byte>> system_area;
    // Where the imported tree shows each boot image (by catalog entry) and
    // the catalog ("" where no file holds it: hidden). A new file at one of
    // these paths replaces that image.
    std::vector<std::string> image_paths;
    std::string catalog_path;

    bool empty() const { return !session && !system_area; }
};

// Read what keeps a session bootable when a new one continues it: its catalog
// (nullopt without one) and the medium's system area; then, once its tree is
// imported into `tree`, which files hold the images and the catalog.
Result<KeptBoot> read_kept_boot(media::SectorSource& medium, uint64_t session_start);
void locate_kept_boot(KeptBoot& kept, const model::Tree& tree);

struct BootSetup {
    BootSpec spec;
    std::optional<KeptBoot> kept;   // used where the spec asks for nothing new
    uint32_t session_start = 0;
    uint64_t seed = 0;              // MBR signature and GPT GUIDs
    int64_t now = 0;
};

class BootPart final : public model::Part {
public:
    BootPart(model::Tree& tree, const model::FileData& data, BootSetup setup);
    ~BootPart() override;
    std::string_view name() const override { return "boot"; }

    // Whether the session gets a boot record, or a system area.
    bool has_catalog() const { return !m_images.empty(); }
    bool has_system_area() const { return !m_system_area.empty() || m_hybrid; }

    Status prepare();
    void boot_record(std::byte* block) const;
    void layout_catalog(model::Allocator& a);
    void layout_tail(model::Allocator& a);
    Status finish();

    // Blocks 0-15 (32 KiB) once finished; empty when the session has none.
    const std::vector<std::byte>& system_area() const { return m_system_area; }
    const Catalog& catalog() const { return m_catalog; }

    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

private:
    struct Image;
    Status prepare_spec_image(const BootImageSpec& s);
    Status prepare_kept_images();
    Status patch_node(Image& im, std::shared_ptr<model::DataSource> src);
    Status prepare_catalog_node(const std::string& path);
    Status prepare_hybrid();
    Result<uint32_t> image_lba(const Image& im) const;
    Status emit_file(const std::string& path, uint64_t size, uint64_t offset, std::span<std::byte> out);

    model::Tree& m_tree;
    const model::FileData& m_data;
    BootSetup m_setup;
    std::vector<Image> m_images;
    model::Node* m_catalog_node = nullptr;
    uint32_t m_catalog_lba = 0, m_catalog_blocks = 1;
    Catalog m_catalog;
    std::vector<std::byte> m_catalog_bytes;
    bool m_hybrid = false;            // a new system area (else the kept one, if any)
    HybridPlan m_plan;
    std::vector<uint64_t> m_appended_size;
    std::vector<uint32_t> m_appended_lba;
    uint32_t m_backup_lba = 0;        // the 16 blocks ending with the backup GPT (0: none)
    uint32_t m_image_end = 0;
    std::vector<std::byte> m_system_area;
    BackupGpt m_backup;
};

}  // namespace mastering::boot
