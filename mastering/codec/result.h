// Result<T>: a value or an Error, for recoverable failures (bad images, short
// reads, I/O, refused requests). Programming errors use assert/DM_VERIFY instead.
// C++20 on Debian 12 has no std::expected, so this is the project's one small
// replacement, with DM_TRY for early return (after SerenityOS ErrorOr/TRY).
#pragma once

#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace mastering {

// What went wrong, coarsely: enough for a tool to pick an exit status and for a
// FUSE adapter to pick an errno. The message says the rest, for a person.
enum class Errc {
    io,              // the operating system refused a read/write/open
    not_found,       // a path, session, file system or item does not exist
    exists,          // an item of that name already exists
    invalid_argument,// a caller asked for something malformed
    corrupt,         // on-disc or on-wire data does not follow its standard
    unsupported,     // valid, but not something we implement
    no_space,        // the medium or image has no room
    changed,         // a source changed while it was being read
    cancelled,       // the caller cancelled
    device,          // a drive answered with an error (sense data in the message)
    no_medium,       // no medium in the drive
    internal,        // a bug of ours reported as an error instead of a crash
};

const char* errc_name(Errc c);

struct Error {
    Errc code = Errc::internal;
    std::string message;

    // "context: message" chains, outermost first.
    Error with_context(std::string_view context) const {
        return Error{code, std::string(context) + ": " + message};
    }
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }
// An Error from errno (or a given errno value) with what we tried to do.
Error os_error(std::string_view what, int err = errno);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : m_v(std::in_place_index<0>, v) {}
    Result(T&& v) : m_v(std::in_place_index<0>, std::move(v)) {}
    Result(Error e) : m_v(std::in_place_index<1>, std::move(e)) {}
    template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                      !std::is_same_v<std::decay_t<U>, Error> &&
                                                      !std::is_same_v<std::decay_t<U>, Result>>>
    Result(U&& v) : m_v(std::in_place_index<0>, std::forward<U>(v)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(m_v); }
    const T& value() const& { assert(ok()); return std::get<0>(m_v); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(m_v)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { assert(!ok()); return std::get<1>(m_v); }
    Error&& error() && { assert(!ok()); return std::get<1>(std::move(m_v)); }

    // Used by DM_TRY.
    T release_value() { return std::get<0>(std::move(m_v)); }
    Error release_error() { return std::get<1>(std::move(m_v)); }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : m_error(std::move(e)), m_failed(true) {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { assert(m_failed); return m_error; }
    void release_value() {}
    Error release_error() { return std::move(m_error); }

private:
    Error m_error;
    bool m_failed = false;
};

using Status = Result<void>;

}  // namespace mastering

// DM_TRY(expr): evaluate a Result; on error return it from the enclosing
// function; otherwise the expression's value (GCC/Clang statement expression).
#define DM_CONCAT_INNER(a, b) a##b
#define DM_CONCAT(a, b) DM_CONCAT_INNER(a, b)
#define DM_TRY_IMPL(var, expr)                        \
    ({                                                \
        auto var = (expr);                            \
        if (!var.ok()) return var.release_error();    \
        var.release_value();                          \
    })
#define DM_TRY(expr) DM_TRY_IMPL(DM_CONCAT(dm_try_result_, __COUNTER__), expr)

// DM_VERIFY(cond): an invariant of ours; aborts with the location if broken.
#define DM_VERIFY(cond)                                                               \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                             \
        }                                                                             \
    } while (0)
