#include "tools/common/interrupt.h"

#include <signal.h>

#include <csignal>

namespace tools {

namespace {

std::atomic<bool> g_interrupted{false};
volatile std::sig_atomic_t g_signal = 0;

void on_signal(int sig) {
    // Only lock-free stores: async-signal-safe.
    g_signal = sig;
    g_interrupted.store(true);
}

}  // namespace

const std::atomic<bool>& catch_interrupts() {
    static bool installed = [] {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART | SA_RESETHAND;  // a second signal: the default action
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        return true;
    }();
    (void)installed;
    return g_interrupted;
}

int interrupt_signal() { return g_interrupted.load() ? int(g_signal) : 0; }

std::string signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    }
    return "signal " + std::to_string(sig);
}

}  // namespace tools
