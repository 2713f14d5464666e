// --chap-secret-file FILE for every tool that opens drives: the CHAP secret
// for iscsi://USER@HOST/... addresses, read from a file only its owner may
// read, so that it stays off the command line (docs/iscsi-client.md).
#pragma once

#include <CLI/CLI.hpp>

namespace tools {

void add_chap_secret_file_option(CLI::App& app);

}  // namespace tools
