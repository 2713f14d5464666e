// The read side of every file system (ISO 9660 and its Rock Ridge and Joliet
// views, UDF): one interface, so that import, master-info and the FUSE mount
// treat them alike. A reader is opened over one session of a medium and
// returns nodes whose file data are absolute extents on that medium.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/result.h"

namespace mastering::model {

// File systems as a bit set. ISO 9660, Joliet and UDF carry IMAPI2's
// FsiFileSystems values; Rock Ridge is our own bit (a view over ISO 9660).
enum class FsType : uint32_t { none = 0, iso9660 = 1, joliet = 2, udf = 4, rockridge = 8 };
using FsMask = uint32_t;
inline constexpr FsMask mask(FsType t) { return static_cast<FsMask>(t); }
inline constexpr bool has(FsMask m, FsType t) { return (m & mask(t)) != 0; }
std::string_view fs_name(FsType t);                 // "iso9660", "joliet", "rockridge", "udf"
std::optional<FsType> fs_from_name(std::string_view name);
std::string fs_mask_names(FsMask m);                // "iso9660,rockridge,joliet"
// "iso9660,joliet,udf" -> a mask (empty items are skipped); a clear error for an unknown name.
Result<FsMask> fs_mask_from_names(std::string_view list);

enum class NodeType : uint8_t { file, directory, symlink, char_device, block_device, fifo, socket };
// The S_IFMT bits of a node type (S_IFREG, S_IFDIR, ...).
uint32_t posix_type_bits(NodeType t);

struct Timestamp {
    int64_t sec = 0;
    uint32_t nsec = 0;
    bool operator==(const Timestamp&) const = default;
};

// Where a file's bytes are: `length` bytes from block `lba` of the medium. A
// sparse extent (UDF "not recorded") reads as zeros and has no lba.
struct Extent {
    uint64_t lba = 0;
    uint64_t length = 0;
    bool sparse = false;
};

struct NodeAttr {
    // Stable within one reader: the same node always has the same id (e.g. the
    // byte address of its directory record or its ICB), so FUSE inode numbers
    // can be derived from it.
    uint64_t id = 0;
    NodeType type = NodeType::file;
    uint32_t mode = 0;          // permission bits (07777); the view's defaults if it records none
    uint32_t uid = 0, gid = 0;
    uint32_t nlink = 1;
    uint64_t size = 0;          // bytes
    Timestamp mtime, atime, ctime, birth;
    uint64_t rdev = 0;          // devices (Rock Ridge PN, UDF device spec)
    std::string symlink;        // symlinks: the target path
    std::vector<Extent> extents;        // files: data location, in file order
    std::vector<std::byte> inline_data; // files whose data sit inside their metadata (UDF in-ICB)
    // Identity of the underlying file across names (Rock Ridge PX inode, UDF
    // unique id): equal for hard links. nullopt where the view records none.
    std::optional<uint64_t> file_id;
    // Names of this node in the other views and other facts beyond POSIX,
    // exposed by master-mount as xattrs ("user.iso9660.name", ...).
    std::map<std::string, std::string> extra;
};

struct DirEntry {
    std::string name;  // UTF-8, as the view shows it
    NodeAttr attr;
};

class FileSystemReader {
public:
    virtual ~FileSystemReader() = default;
    virtual FsType type() const = 0;
    virtual std::string volume_id() const = 0;
    virtual Result<NodeAttr> root() = 0;
    // Entries of a directory, without "." and "..", in on-disc order.
    virtual Result<std::vector<DirEntry>> list(const NodeAttr& dir) = 0;
    // Bytes of a file from `offset`; fewer than out.size() only at the end.
    virtual Result<size_t> read(const NodeAttr& file, uint64_t offset, std::span<std::byte> out) = 0;
};

}  // namespace mastering::model
