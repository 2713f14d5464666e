#include "tools/common/chap_option.h"

#include "mastering/transport/transport.h"

namespace tools {

void add_chap_secret_file_option(CLI::App& app) {
    app.add_option_function<std::string>(
           "--chap-secret-file",
           [](const std::string& path) {
               auto lines = mastering::transport::read_secret_lines(path);
               if (!lines.ok()) throw CLI::ValidationError(lines.error().message);
               if (lines->size() != 1)
                   throw CLI::ValidationError(path + ": a secret file holds one line, the CHAP secret");
               mastering::transport::set_default_chap_secret(lines->front());
           },
           "FILE whose one line is the CHAP secret for an iscsi://USER@HOST/... drive (chmod 600)")
        ->type_name("FILE");
}

}  // namespace tools
