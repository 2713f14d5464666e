// Ctrl-C (SIGINT) and SIGTERM for the tools that write: the first stops the
// work at its next safe point through the engine's cancel flag, and the tool
// says what it left behind; a second ends the program at once (the default
// action is restored). A stopped tool exits 128 + the signal's number, as a
// shell reports a process a signal ended: 130 for SIGINT, 143 for SIGTERM.
#pragma once

#include <atomic>
#include <string>

namespace tools {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>& catch_interrupts();
// The signal that set the flag, or 0.
int interrupt_signal();
// "SIGINT", "SIGTERM".
std::string signal_name(int sig);

}  // namespace tools
