#include "tools/common/cli.h"
#include "tools/common/version.h"

#include "emulator/mmc/drive.h"
#include "tools/common/interrupt.h"

#include <unistd.h>

#include <cstdio>
#include <exception>

namespace tools {

int exit_code_for(const mastering::Error& e) {
    if (e.code == mastering::Errc::cancelled && interrupt_signal()) return 128 + interrupt_signal();
    return e.code == mastering::Errc::internal ? exit_internal : exit_user_error;
}

int report(std::string_view prog, const mastering::Error& e) {
    if (e.code == mastering::Errc::cancelled && interrupt_signal())
        std::fprintf(stderr, "%.*s: interrupted by %s: %s\n", int(prog.size()), prog.data(),
                     signal_name(interrupt_signal()).c_str(), e.message.c_str());
    else
        std::fprintf(stderr, "%.*s: %s\n", int(prog.size()), prog.data(), e.message.c_str());
    return exit_code_for(e);
}

void notice(std::string_view prog, const std::string& text) {
    std::fprintf(stderr, "%.*s: note: %s\n", int(prog.size()), prog.data(), text.c_str());
}

int run_main(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
    emulator::mmc::register_emu_transport();  // every tool accepts emu:PATH drive addresses
    app.set_version_flag("--version", version_text(app.get_name()), "Print the version and the git revision and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
        return exit_user_error;
    }
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", app.get_name().c_str(), e.what());
        return exit_internal;
    }
}

ProgressBar::ProgressBar(bool enabled_if_tty)
    : m_enabled(enabled_if_tty && ::isatty(2)), m_start(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::string_view label, uint64_t done, uint64_t total) {
    if (!m_enabled) return;
    auto now = std::chrono::steady_clock::now();
    if (m_drawn && done < total && now - m_last < std::chrono::milliseconds(100)) return;
    m_last = now;
    m_drawn = true;
    double frac = total ? double(done) / double(total) : 0.0;
    if (frac > 1) frac = 1;
    constexpr int width = 30;
    int fill = int(frac * width);
    std::string bar(size_t(fill), '#');
    bar.append(size_t(width - fill), '.');
    double secs = std::chrono::duration<double>(now - m_start).count();
    std::string eta = "";
    if (frac > 0.01 && frac < 1) {
        char b[32];
        std::snprintf(b, sizeof b, " ETA %.0fs", secs / frac - secs);
        eta = b;
    }
    std::string lab(label.substr(0, 40));
    std::fprintf(stderr, "\r[%s] %5.1f%%%s %-40s", bar.c_str(), frac * 100, eta.c_str(), lab.c_str());
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (m_enabled && m_drawn) {
        std::fprintf(stderr, "\r%*s\r", 100, "");
        std::fflush(stderr);
    }
    m_drawn = false;
}

}  // namespace tools
