// UDF descriptors made by others decode to what those others say they hold:
// volumes formatted by mkudffs (udftools: physical, sparable and VAT
// partitions, UDF 1.02 to 2.50) and genisoimage -udf images, each decoded
// descriptor by descriptor with mastering/udf's values and compared with
// udfinfo's report and with the files put in.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <regex>

#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/partition_tables.h"
#include "mastering/udf/volume_descriptors.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::udf;
using namespace dmtest;

namespace {

struct Image {
    std::vector<std::byte> data;
    explicit Image(const std::string& path) {
        std::ifstream f(path, std::ios::binary);
        std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        data.resize(s.size());
        std::memcpy(data.data(), s.data(), s.size());
    }
    uint64_t blocks() const { return data.size() / block_size; }
    codec::Bytes block(uint64_t lba, uint64_t count = 1) const {
        return codec::Bytes(data).subspan(size_t(lba) * block_size, size_t(count) * block_size);
    }
    // The last block that is not all zeros (where a VAT disc's VAT is).
    uint64_t last_recorded() const {
        for (uint64_t l = blocks(); l-- > 0;)
            if (!codec::all_zero(block(l))) return l;
        return 0;
    }
};

struct UdfInfo {
    std::map<std::string, std::string> keys;
    std::multimap<std::string, std::pair<uint32_t, uint32_t>> spaces;  // type -> (start, blocks)
    std::string err;
    std::pair<uint32_t, uint32_t> space(const std::string& type) const {
        auto it = spaces.find(type);
        return it == spaces.end() ? std::pair<uint32_t, uint32_t>{0, 0} : it->second;
    }
};

UdfInfo udfinfo(const std::string& image, std::vector<std::string> options = {}) {
    options.insert(options.begin(), "udfinfo");
    options.push_back(image);
    auto r = run(options);
    UdfInfo info;
    info.err = r.err;
    std::istringstream in(r.out);
    std::regex space(R"(start=(\d+), blocks=(\d+), type=(\w+))");
    std::smatch m;
    for (std::string l; std::getline(in, l);) {
        if (std::regex_search(l, m, space)) info.spaces.emplace(m[3], std::pair{uint32_t(std::stoul(m[1])), uint32_t(std::stoul(m[2]))});
        else if (auto eq = l.find('='); eq != std::string::npos) info.keys.emplace(l.substr(0, eq), l.substr(eq + 1));
    }
    return info;
}

uint32_t access_of(const std::string& name) {
    return name == "readonly" ? access_type::read_only : name == "writeonce" ? access_type::write_once
           : name == "rewritable" ? access_type::rewritable : name == "overwritable" ? access_type::overwritable : 99;
}

// The main volume descriptor sequence, decoded: one descriptor of each kind.
struct Sequence {
    PrimaryVolumeDescriptor pvd;
    ImplementationUseVolumeDescriptor iuvd;
    PartitionDescriptor pd;
    LogicalVolumeDescriptor lvd;
    UnallocatedSpaceDescriptor usd;
    bool terminated = false;
};

void decode_sequence(const Image& img, ExtentAd ext, Sequence& s) {
    for (uint32_t i = 0; i < ext.length / block_size && !s.terminated; ++i) {
        uint32_t l = ext.location + i;
        auto b = img.block(l);
        switch (TagId(peek_tag_id(b))) {
        case TagId::primary_volume: s.pvd = *decode_primary(b, l); break;
        case TagId::implementation_use: s.iuvd = *decode_implementation_use(b, l); break;
        case TagId::partition: s.pd = *decode_partition(b, l); break;
        case TagId::logical_volume: s.lvd = *decode_logical_volume(b, l); break;
        case TagId::unallocated_space: s.usd = *decode_unallocated_space(b, l); break;
        case TagId::terminating: s.terminated = decode_terminating(b, l).ok(); break;
        default: ADD_FAILURE() << "tag " << peek_tag_id(b) << " at " << l;
        }
    }
}

// The bytes an entry describes: embedded, or through its allocation
// descriptors, whose logical blocks `lba` maps to the image.
std::vector<std::byte> contents(const Image& img, const FileEntry& fe, uint16_t ref,
                                const std::function<uint64_t(uint16_t, uint32_t)>& lba) {
    if (fe.icb.form() == AdForm::embedded) return {fe.allocation.begin(), fe.allocation.begin() + std::ptrdiff_t(fe.size)};
    std::vector<std::byte> out;
    auto ads = decode_ads(fe.allocation, fe.icb.form(), ref);
    if (!ads.ok()) {
        ADD_FAILURE() << ads.error().message;
        return out;
    }
    for (const LongAd& ad : ads.value()) {
        auto b = img.block(lba(ad.partition, ad.block), (ad.length + block_size - 1) / block_size);
        out.insert(out.end(), b.begin(), b.begin() + ad.length);
    }
    out.resize(size_t(fe.size));
    return out;
}

std::vector<FileIdentifier> identifiers(const std::vector<std::byte>& dir) {
    std::vector<FileIdentifier> out;
    for (size_t off = 0; off + 38 <= dir.size();) {
        auto f = decode_file_identifier(codec::Bytes(dir).subspan(off));
        if (!f.ok()) {
            ADD_FAILURE() << f.error().message;
            break;
        }
        off += f->encoded_size();
        out.push_back(std::move(*f));
    }
    return out;
}

class ThirdPartyUdfDescriptors : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* p : {"mkudffs", "udfinfo", "genisoimage"}) DM_REQUIRE_PROGRAM(p);
    }
    TempDir dir{"udf-descriptors"};
};

}  // namespace

TEST_F(ThirdPartyUdfDescriptors, mkudffs_volumes_decode_to_what_udfinfo_reports) {
    struct Case {
        const char* media;
        const char* rev;
        const char* size;
        PartitionMap::Kind top;
    };
    using K = PartitionMap::Kind;
    for (const Case& c : {Case{"hd", "2.01", "16M", K::physical}, Case{"hd", "1.02", "16M", K::physical},
                          Case{"cdrw", "1.50", "64M", K::sparable}, Case{"dvdrw", "2.01", "64M", K::sparable},
                          Case{"cdr", "1.50", "16M", K::virtual_}, Case{"bdr", "2.50", "16M", K::virtual_}}) {
        std::string tag = std::string(c.media) + "-" + c.rev;
        SCOPED_TRACE(tag);
        std::string path = (dir / (tag + ".img")).string();
        run({"truncate", "-s", c.size, path});
        auto made = run({"mkudffs", "--media-type=" + std::string(c.media), "--udfrev=" + std::string(c.rev), "-b",
                         "2048", "--vid=VOLID", "--lvid=LOGICAL", "--fsid=FILESET", "--uuid=0123456789abcdef", path});
        ASSERT_EQ(made.exit_code, 0) << made.err;
        Image img(path);
        bool vat = c.top == K::virtual_;
        uint64_t vat_block = img.last_recorded();
        UdfInfo info = vat ? udfinfo(path, {"--vatblock=" + std::to_string(vat_block)}) : udfinfo(path);
        ASSERT_EQ(info.keys["udfrev"], c.rev) << info.err;
        uint16_t rev = *revision_from_text(c.rev);

        // Recognition sequence and anchor.
        EXPECT_EQ(info.space("VRS").first, 16u);
        const char* nsr = rev >= rev200 ? "NSR03" : "NSR02";
        EXPECT_EQ(decode_volume_structure(img.block(16))->identifier, "BEA01");
        EXPECT_EQ(decode_volume_structure(img.block(17))->identifier, nsr);
        EXPECT_EQ(decode_volume_structure(img.block(18))->identifier, "TEA01");
        auto anchor = decode_anchor(img.block(256), 256u);
        ASSERT_TRUE(anchor.ok()) << anchor.error().message;
        EXPECT_EQ(anchor->main.location, info.space("MVDS").first);
        EXPECT_EQ(anchor->main.length, info.space("MVDS").second * block_size);
        EXPECT_EQ(anchor->reserve.location, info.space("RVDS").first);

        // The main sequence: what udfinfo reports of the volume.
        Sequence s;
        decode_sequence(img, anchor->main, s);
        EXPECT_TRUE(s.terminated);
        EXPECT_EQ(s.pvd.volume_id, info.keys["vid"]);
        EXPECT_EQ(s.pvd.volume_set_id, info.keys["fullvsid"]);
        EXPECT_EQ(s.pvd.application.identifier, info.keys["appid"]);
        EXPECT_EQ(s.pvd.implementation.identifier, info.keys["impid"]);
        EXPECT_EQ(s.iuvd.identifier.identifier, "*UDF LV Info");
        EXPECT_EQ(s.iuvd.logical_volume_id, "LOGICAL");
        EXPECT_EQ(s.pd.contents.identifier, rev >= rev200 ? "+NSR03" : "+NSR02");
        EXPECT_EQ(s.pd.access, access_of(info.keys["accesstype"]));
        const uint32_t pstart = info.space("PSPACE").first, pblocks = info.space("PSPACE").second;
        EXPECT_EQ(s.pd.start, pstart);
        if (!vat) {
            EXPECT_EQ(s.pd.length, pblocks);
        }
        EXPECT_EQ(s.lvd.logical_volume_id, info.keys["lvid"]);
        EXPECT_EQ(std::to_string(s.lvd.logical_block_size), info.keys["blocksize"]);
        EXPECT_EQ(s.lvd.domain.identifier, domain_ident);
        EXPECT_EQ(s.lvd.domain.revision(), rev);
        EXPECT_EQ(s.lvd.integrity.location, info.space("LVID").first);
        ASSERT_FALSE(s.lvd.maps.empty());
        EXPECT_EQ(s.lvd.maps.back().kind, c.top);
        if (vat) {
            ASSERT_EQ(s.lvd.maps.size(), 2u);
            EXPECT_EQ(s.lvd.maps[0].kind, K::physical);
        }

        // The sparing tables where udfinfo finds them, listing the spare area.
        if (c.top == K::sparable) {
            const PartitionMap& m = s.lvd.maps[0];
            std::vector<uint32_t> tables;
            for (auto it = info.spaces.lower_bound("STABLE"); it != info.spaces.upper_bound("STABLE"); ++it)
                tables.push_back(it->second.first);
            EXPECT_EQ(m.sparing_tables, tables);
            auto [sstart, sblocks] = info.space("SSPACE");
            for (uint32_t t : m.sparing_tables) {
                auto st = decode_sparing_table(img.block(t, (m.table_bytes + block_size - 1) / block_size), t);
                ASSERT_TRUE(st.ok()) << st.error().message;
                ASSERT_EQ(st->entries.size(), sblocks / m.packet_length);
                EXPECT_EQ(st->entries.front().mapped, sstart);
            }
        }

        // The integrity descriptor: closed, with udfinfo's counts (a VAT
        // disc records them in its VAT).
        auto lvid = decode_integrity(img.block(s.lvd.integrity.location), s.lvd.integrity.location);
        ASSERT_TRUE(lvid.ok()) << lvid.error().message;
        ASSERT_TRUE(lvid->udf);
        EXPECT_EQ(lvid->partitions.size(), s.lvd.maps.size());
        EXPECT_EQ(revision_text(lvid->udf->max_write_revision), info.keys["udfwriterev"]);
        if (!vat) {
            EXPECT_EQ(info.keys["integrity"], lvid->type == integrity_type::close ? "closed" : "opened");
            EXPECT_EQ(std::to_string(lvid->udf->files), info.keys["numfiles"]);
            EXPECT_EQ(std::to_string(lvid->udf->directories), info.keys["numdirs"]);
        }

        // The VAT: the entry at the last recorded block.
        std::vector<uint32_t> vat_entries;
        if (vat) {
            auto fe = decode_file_entry(img.block(vat_block));
            ASSERT_TRUE(fe.ok()) << fe.error().message;
            bool v2 = fe->icb.file_type == FileType::vat20;
            EXPECT_EQ(v2, rev >= rev200);
            auto bytes = contents(img, *fe, 0, [&](uint16_t, uint32_t b) { return uint64_t(pstart) + b; });
            auto table = decode_vat(bytes, v2);
            ASSERT_TRUE(table.ok()) << table.error().message;
            if (v2) {
                EXPECT_EQ(std::to_string(table->files), info.keys["numfiles"]);
                EXPECT_EQ(std::to_string(table->directories), info.keys["numdirs"]);
                EXPECT_EQ(table->logical_volume_id, "LOGICAL");
            } else {
                EXPECT_EQ(table->identifier.identifier, vat_ident);
            }
            vat_entries = table->entries;
        }
        auto lba = [&](uint16_t ref, uint32_t b) -> uint64_t {
            if (ref == 1 && vat) return b < vat_entries.size() ? uint64_t(pstart) + vat_entries[b] : 0;
            return uint64_t(pstart) + b;
        };

        // The file set and the root directory: its identifiers, one per file and directory.
        uint64_t fsd_block = lba(s.lvd.file_set.partition, s.lvd.file_set.block);
        auto fsd = decode_file_set(img.block(fsd_block), s.lvd.file_set.block);
        ASSERT_TRUE(fsd.ok()) << fsd.error().message;
        EXPECT_EQ(fsd->file_set_id, info.keys["fsid"]);
        EXPECT_EQ(fsd->logical_volume_id, "LOGICAL");
        auto root = decode_file_entry(img.block(lba(fsd->root.partition, fsd->root.block)), fsd->root.block);
        ASSERT_TRUE(root.ok()) << root.error().message;
        EXPECT_EQ(root->extended, rev >= rev200);
        EXPECT_EQ(root->icb.file_type, FileType::directory);
        EXPECT_EQ(root->implementation.identifier, info.keys["impid"]);
        auto fids = identifiers(contents(img, *root, fsd->root.partition, lba));
        ASSERT_FALSE(fids.empty());
        EXPECT_TRUE(fids[0].characteristics & fid_flag::parent);
        EXPECT_EQ(fids.size() - 1, std::stoul(info.keys["numfiles"]) + std::stoul(info.keys["numdirs"]) - 1)
            << "every file and directory but the root has an identifier";
    }
}

TEST_F(ThirdPartyUdfDescriptors, genisoimage_udf_decodes_to_its_files) {
    write_file(dir / "src" / "a.txt", "hello\n");
    std::string random(5000, '\0');
    for (size_t i = 0; i < random.size(); ++i) random[i] = char(i * 131 + 7);
    write_file(dir / "src" / "sub" / "b.bin", random);
    std::string path = (dir / "gen.iso").string();
    auto made = run({"genisoimage", "-quiet", "-udf", "-R", "-J", "-V", "GENVOL", "-o", path, (dir / "src").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    UdfInfo info = udfinfo(path);
    ASSERT_EQ(info.keys["udfrev"], "1.02") << info.err;
    Image img(path);
    auto anchor = decode_anchor(img.block(256), 256u);
    ASSERT_TRUE(anchor.ok()) << anchor.error().message;
    Sequence s;
    decode_sequence(img, anchor->main, s);
    EXPECT_EQ(s.pvd.volume_id, info.keys["vid"]);
    EXPECT_EQ(s.pvd.implementation.identifier, info.keys["impid"]);
    EXPECT_EQ(s.lvd.logical_volume_id, "GENVOL");
    EXPECT_EQ(s.lvd.domain.revision(), rev102);
    ASSERT_EQ(s.lvd.maps.size(), 1u);
    EXPECT_EQ(s.lvd.maps[0].kind, PartitionMap::Kind::physical);
    EXPECT_EQ(s.pd.access, access_of(info.keys["accesstype"]));
    EXPECT_EQ(s.pd.start, info.space("PSPACE").first);
    EXPECT_EQ(s.pd.length, info.space("PSPACE").second);
    auto lvid = decode_integrity(img.block(s.lvd.integrity.location), s.lvd.integrity.location);
    ASSERT_TRUE(lvid.ok() && lvid->udf);
    EXPECT_EQ(std::to_string(lvid->udf->files), info.keys["numfiles"]);
    EXPECT_EQ(std::to_string(lvid->udf->directories), info.keys["numdirs"]);
    auto lba = [&](uint16_t, uint32_t b) { return uint64_t(s.pd.start) + b; };
    auto fsd = decode_file_set(img.block(lba(0, s.lvd.file_set.block)), s.lvd.file_set.block);
    ASSERT_TRUE(fsd.ok()) << fsd.error().message;
    EXPECT_EQ(fsd->file_set_id, info.keys["fsid"]);
    // The tree: the root's identifiers, then each file's entry and bytes.
    std::function<void(const LongAd&, const std::string&)> walk;
    std::map<std::string, std::string> files;
    walk = [&](const LongAd& icb, const std::string& at) {
        auto fe = decode_file_entry(img.block(lba(icb.partition, icb.block)), icb.block);
        ASSERT_TRUE(fe.ok()) << at << ": " << fe.error().message;
        EXPECT_FALSE(fe->extended) << "UDF 1.02 has file entries";
        auto bytes = contents(img, *fe, icb.partition, lba);
        if (fe->icb.file_type != FileType::directory) {
            files[at] = std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            return;
        }
        for (const auto& f : identifiers(bytes))
            if (!(f.characteristics & fid_flag::parent)) walk(f.icb, at + "/" + f.name());
    };
    walk(fsd->root, "");
    EXPECT_EQ(files, (std::map<std::string, std::string>{{"/a.txt", "hello\n"}, {"/sub/b.bin", random}}));
}
