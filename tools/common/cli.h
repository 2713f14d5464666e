// What every tool shares: exit codes, one-line errors, a progress bar on a
// terminal, and running main() so that CLI11 and Result errors become exit
// codes in one place (docs/architecture.md, "Tools").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "mastering/codec/result.h"

namespace tools {

enum ExitCode : int { exit_ok = 0, exit_user_error = 1, exit_internal = 2 };

// User errors (a bad path, a closed disc, a corrupt image) exit 1; our own
// failures exit 2; work a signal stopped (interrupt.h) 128 + the signal.
int exit_code_for(const mastering::Error& e);

// Print "PROG: message" on stderr and return the exit code for it.
int report(std::string_view prog, const mastering::Error& e);
// Print "PROG: note: text" on stderr: what the engine decided on its own.
void notice(std::string_view prog, const std::string& text);

// Runs body(app) after CLI11 parsing, with --version added (version.h).
// Exceptions that escape become exit 2 with their message; CLI11 parse
// errors exit 1 (--help and --version exit 0).
int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

// A one-line progress bar on stderr, drawn only when stderr is a terminal;
// at most ten redraws a second.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled_if_tty = true);
    ~ProgressBar();
    void update(std::string_view label, uint64_t done, uint64_t total);
    void finish();
    bool active() const { return m_enabled; }

private:
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_last{};
    std::chrono::steady_clock::time_point m_start;
};

}  // namespace tools
