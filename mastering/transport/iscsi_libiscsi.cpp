// iSCSI backend through libiscsi: iscsi://[user%secret@]host[:port]/IQN/LUN.
// One session per transport; commands run through libiscsi's async API and
// our own poll loop so that every command has a timeout.
#include <poll.h>

#include <cstring>

extern "C" {
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
}

#include "mastering/transport/transport.h"

namespace mastering::transport {

namespace {

constexpr const char* k_initiator_name = "iqn.2026-11.org.discmaster:initiator";

struct Pending {
    bool done = false;
    int status = 0;
};

void on_done(iscsi_context*, int status, void*, void* private_data) {
    auto* p = static_cast<Pending*>(private_data);
    p->done = true;
    p->status = status;
}

class IscsiTransport final : public Transport {
public:
    IscsiTransport(iscsi_context* ctx, int lun, std::string url) : m_ctx(ctx), m_lun(lun), m_url(std::move(url)) {}
    ~IscsiTransport() override {
        if (iscsi_is_logged_in(m_ctx)) iscsi_logout_sync(m_ctx);
        iscsi_destroy_context(m_ctx);
    }
    std::string address() const override { return m_url; }

protected:
    Status do_execute(Command& cmd) override {
        int dir = cmd.data.empty() ? SCSI_XFER_NONE
                  : cmd.direction == Direction::in ? SCSI_XFER_READ
                  : cmd.direction == Direction::out ? SCSI_XFER_WRITE
                                                    : SCSI_XFER_NONE;
        scsi_task* task = scsi_create_task(cmd.cdb_length, cmd.cdb.data(), dir,
                                           dir == SCSI_XFER_NONE ? 0 : int(cmd.data.size()));
        if (!task) return make_error(Errc::internal, m_url + ": out of memory for a SCSI task");
        if (dir == SCSI_XFER_READ &&
            scsi_task_add_data_in_buffer(task, int(cmd.data.size()), reinterpret_cast<unsigned char*>(cmd.data.data())) != 0) {
            scsi_free_scsi_task(task);
            return make_error(Errc::internal, m_url + ": cannot attach a data-in buffer");
        }
        iscsi_data out{cmd.data.size(), reinterpret_cast<unsigned char*>(cmd.data.data())};
        Pending pending;
        if (iscsi_scsi_command_async(m_ctx, m_lun, task, on_done, dir == SCSI_XFER_WRITE ? &out : nullptr, &pending) != 0) {
            scsi_free_scsi_task(task);
            return make_error(Errc::io, m_url + ": cannot send the command: " + iscsi_get_error(m_ctx));
        }
        auto deadline = std::chrono::steady_clock::now() + cmd.timeout;
        while (!pending.done) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                iscsi_scsi_cancel_task(m_ctx, task);  // dequeues it and runs the callback with CANCELLED
                scsi_free_scsi_task(task);
                return make_error(Errc::io, m_url + ": command timed out");
            }
            pollfd pfd{iscsi_get_fd(m_ctx), short(iscsi_which_events(m_ctx)), 0};
            int n = ::poll(&pfd, 1, int(std::min<int64_t>(left.count(), 1000)));
            if (n < 0 && errno != EINTR) {
                scsi_free_scsi_task(task);
                return os_error(m_url + ": poll");
            }
            if (iscsi_service(m_ctx, n > 0 ? pfd.revents : 0) < 0) {
                std::string why = iscsi_get_error(m_ctx);
                if (!pending.done) {
                    scsi_free_scsi_task(task);
                    return make_error(Errc::io, m_url + ": connection failed: " + why);
                }
            }
        }
        Status result;
        switch (pending.status) {
        case SCSI_STATUS_ERROR:
        case SCSI_STATUS_CANCELLED:
        case SCSI_STATUS_TIMEOUT:
            result = make_error(Errc::io, m_url + ": command failed: " + iscsi_get_error(m_ctx));
            break;
        default:
            cmd.status = scsi::Status(task->status & 0xFF);
            if (cmd.status == scsi::Status::check_condition && task->datain.size >= 2 && task->datain.data) {
                // The response's data segment: SenseLength (2 bytes) + sense data.
                size_t len = (size_t(task->datain.data[0]) << 8) | task->datain.data[1];
                len = std::min(len, size_t(task->datain.size) - 2);
                cmd.sense.assign(task->datain.data + 2, task->datain.data + 2 + len);
            } else if (cmd.status == scsi::Status::check_condition) {
                scsi::Sense s{scsi::SenseKey(task->sense.key), uint8_t(task->sense.ascq >> 8), uint8_t(task->sense.ascq)};
                auto b = scsi::encode_fixed_sense(s);
                cmd.sense.assign(b.begin(), b.end());
            }
            if (task->residual_status == SCSI_RESIDUAL_UNDERFLOW) cmd.residual = task->residual;
            cmd.transferred = dir == SCSI_XFER_NONE ? 0 : cmd.data.size() - std::min(cmd.data.size(), cmd.residual);
        }
        scsi_free_scsi_task(task);
        return result;
    }

private:
    iscsi_context* m_ctx;
    int m_lun;
    std::string m_url;
};

}  // namespace

Result<std::unique_ptr<Transport>> open_iscsi(const std::string& url, const OpenOptions&) {
    iscsi_context* ctx = iscsi_create_context(k_initiator_name);
    if (!ctx) return make_error(Errc::internal, "cannot create an iSCSI context");
    std::string shown = redact_address(url);
    auto fail = [&](Errc code, const std::string& what) -> Error {
        std::string msg = shown + ": " + what + ": " + iscsi_get_error(ctx);
        iscsi_destroy_context(ctx);
        return make_error(code, msg);
    };
    iscsi_url* u = iscsi_parse_full_url(ctx, url.c_str());
    if (!u) return fail(Errc::invalid_argument, "not an iSCSI URL (iscsi://[user%secret@]host[:port]/IQN/LUN)");
    iscsi_set_targetname(ctx, u->target);
    iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    iscsi_set_noautoreconnect(ctx, 1);
    if (u->user[0]) iscsi_set_initiator_username_pwd(ctx, u->user, u->passwd);
    if (u->target_user[0]) iscsi_set_target_username_pwd(ctx, u->target_user, u->target_passwd);
    std::string portal = u->portal;
    int lun = u->lun;
    iscsi_destroy_url(u);
    if (iscsi_full_connect_sync(ctx, portal.c_str(), lun) != 0) return fail(Errc::io, "cannot log in");
    return std::unique_ptr<Transport>(new IscsiTransport(ctx, lun, shown));
}

}  // namespace mastering::transport
