// A virtual disc on the host: NAME.vdisc/ with data.img (every written
// 2048-byte block at byte offset LBA × 2048, a sparse file) and toc.json (the
// DiscModel, replaced atomically: written beside, fsync'ed, renamed, the
// directory fsync'ed). See docs/vdisc.md.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "emulator/logical_unit.h"
#include "emulator/media/disc_model.h"
#include "mastering/media/sector_source.h"
#include "mastering/os/file.h"

namespace emulator::media {

class VirtualDisc {
public:
    ~VirtualDisc();
    VirtualDisc(const VirtualDisc&) = delete;
    VirtualDisc& operator=(const VirtualDisc&) = delete;

    // A new blank disc of `profile` at `dir` (which must not exist yet).
    static Result<std::unique_ptr<VirtualDisc>> create_blank(const std::string& dir, Profile profile,
                                                             std::optional<uint32_t> capacity = {});
    // A closed disc holding a plain image (copied; reflinked where the file
    // system can), read like the ROM profile of `family_of` (cd-*, dvd-*, bd-*).
    static Result<std::unique_ptr<VirtualDisc>> create_from_image(const std::string& dir, const std::string& image,
                                                                  Profile family_of);
    // A plain image file served in place as a closed ROM disc of the family
    // of `family_of` (nothing is copied; the file is opened read-only and
    // nothing is ever written next to it).
    static Result<std::unique_ptr<VirtualDisc>> open_image(const std::string& image, Profile family_of);
    // The ROM family a plain image of `bytes` fits: CD up to 80 minutes, then DVD, then BD.
    static Profile family_for_image(uint64_t bytes);
    // An existing disc; `exclusive` takes its lock (one drive per disc).
    static Result<std::unique_ptr<VirtualDisc>> open(const std::string& dir, bool exclusive = true);
    // Does `dir` look like a virtual disc?
    static bool is_vdisc(const std::string& dir);

    const std::string& path() const { return m_dir; }
    DiscModel& model() { return m_model; }
    const DiscModel& model() const { return m_model; }

    Status read(uint64_t lba, std::span<std::byte> out) const;
    // Where `bytes` from block `lba` lie in the data file, for a transport
    // that sends them from there; nullopt where a read must fill in zeros
    // (beyond the end of the file).
    std::optional<FileRange> file_range(uint64_t lba, size_t bytes) const;
    Status write(uint64_t lba, std::span<const std::byte> data);
    // Data on stable storage, then the model: what this acknowledges survives a crash.
    Status sync();
    // Only the model (after a change that wrote no data).
    Status save_model();
    // Throw away every data block (blanking).
    Status discard_data();
    // The model as last saved (what a drive finds after a power loss).
    Status reload_model();
    // Tests and fuzzing can skip fsync (the page cache still survives a killed process).
    void set_durable(bool on) { m_durable = on; }

private:
    VirtualDisc(std::string dir, mastering::os::Fd data, mastering::os::Fd lock, DiscModel m);
    std::string m_dir;
    int m_data_fd;
    std::shared_ptr<const SharedFile> m_data_file;  // owns m_data_fd
    uint64_t m_data_size = 0;                       // bytes in the data file
    uint64_t m_unkicked = 0;                        // bytes written since write-back was last started
    mastering::os::Fd m_lock;
    DiscModel m_model;
    bool m_durable = true;
    bool m_image_only = false;  // open_image(): read-only, no toc.json
};

// Read-only view of a virtual disc as a Medium (blocks + TOC) for master-info
// and master-mount. Unrecorded blocks read as errors, as on a drive; the
// sessions of overwritable media are those of the ISO 9660 chain in the data.
Result<std::shared_ptr<mastering::media::Medium>> open_vdisc_medium(const std::string& dir);

}  // namespace emulator::media
