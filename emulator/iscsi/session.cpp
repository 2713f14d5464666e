#include "emulator/iscsi/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

#include "emulator/iscsi/pdu_session.h"

namespace emulator::iscsi {

using asio::use_awaitable;
using boost::system::error_code;

namespace {

std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

}  // namespace

Session::Session(SessionHost& host, tcp::socket sock)
    : m_host(host), m_o(host.options()),
      m_conn(std::make_shared<Connection>(std::move(sock), host.buffers(), [this](const std::string& s) { log(s); })),
      m_window(m_o.limits.max_commands), m_tasks(*m_conn, host.buffers(), m_window, m_tags, m_params, m_o.max_command_bytes),
      m_dispatch(*m_conn, m_tasks, host.buffers()), m_ping(m_conn->executor()) {
    m_info.peer = m_conn->peer();
    m_conn->on_shutdown([this] {
        m_ping.cancel();
        m_dispatch.cancel();
    });
}

Session::~Session() {
    m_conn->on_shutdown(nullptr);
    m_conn->shutdown("");
}

ConnectionInfo Session::info() {
    std::lock_guard lock(m_info_mutex);
    return m_info;
}

void Session::close() {
    asio::post(m_conn->executor(), [self = shared_from_this()] {
        if (self->m_end == End::open) self->m_end = End::closed_by_target;
        self->m_conn->shutdown("closed by the target");
    });
}

void Session::reinstated() {
    asio::post(m_conn->executor(), [self = shared_from_this()] {
        if (self->m_end != End::open) return;
        self->m_end = End::reinstated;
        self->m_tasks.clear();  // none of them runs
        self->m_conn->shutdown("implicitly logged out: the same initiator port logged in again (session reinstatement)");
    });
}

void Session::log(const std::string& what) {
    if (!m_o.log) return;
    std::string who = m_info.initiator.empty() ? m_info.peer : m_info.initiator + " (" + m_info.peer + ")";
    m_o.log(who + ": " + what);
}

awaitable<void> Session::run() {
    auto self = shared_from_this();
    m_conn->start_writer();
    if (co_await login()) {
        logged_in();
        co_await full_feature();
    }
    // What was queued last (a Login Reject, a Logout Response) goes out before
    // the connection closes.
    co_await m_conn->finish();
    release_nexus();
}

// The I_T nexus of this initiator port: a new one, or the one a session of
// the same port left (no reset unit attention then), whose session, if it is
// still there, ends (session reinstatement).
void Session::claim_nexus() {
    m_port = {m_target->name, m_params.initiator_name, m_isid};
    std::weak_ptr<Session> me = shared_from_this();
    auto claim = m_host.nexus_registry().claim(
        m_port, this,
        [me] {
            if (auto s = me.lock()) s->reinstated();
        },
        m_target->lu);
    m_nexus = claim.id;
    if (claim.end_previous) {
        log("session reinstatement: the previous session of this initiator port is logged out and its tasks end");
        claim.end_previous();
    }
    if (claim.resumed) log("resumes its I_T nexus with " + m_target->name + " (no reset unit attention)");
}

void Session::release_nexus() {
    if (!m_ffp) return;
    if (m_end == End::open)
        log(std::string("connection lost without logout") +
            (m_nexus ? ": its I_T nexus is kept " + std::to_string(m_host.nexus_registry().retention().count() / 1000) +
                           " s for a new login"
                     : ""));
    if (!m_nexus) return;
    m_host.nexus_registry().release(m_port, this, m_end == End::logged_out || m_host.stopping_now());
    m_nexus = 0;
}

// ---- Login (RFC 7143 6): Login Requests to the negotiator, its answers back,
// until the full feature phase or a refusal.
awaitable<bool> Session::login() {
    LoginNegotiator login(m_host.directory(), m_o.limits, m_host.new_tsih());
    asio::steady_timer watchdog(m_conn->executor(), m_o.login_timeout);
    watchdog.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && !self->m_ffp) self->m_conn->shutdown("login did not complete in time: closing the connection");
    });
    while (m_conn->open() && !m_ffp) {
        auto rr = co_await m_conn->read_pdu(8192, nullptr);
        if (rr.fatal || !rr.pdu) {
            if (!rr.error.empty()) log(rr.error);
            co_return false;
        }
        uint8_t op = rr.pdu->opcode();
        uint32_t itt = rr.pdu->itt();
        auto request = LoginRequest::decode(std::move(*rr.pdu));
        if (!request.ok()) {
            log(opcode_name(op) + " before login: closing the connection");
            LoginResponse r;
            r.itt = itt;
            r.status_class = login_status::initiator_error;
            r.status_detail = login_status::invalid_during_login;
            m_conn->send(r.encode());
            m_conn->close_after_drain();
            co_return false;
        }
        auto out = login.on_request(*request);
        m_conn->send(out.response.encode());  // login PDUs carry no digests
        if (out.state == LoginNegotiator::State::failed) {
            log("login refused: " + out.reason);
            m_conn->close_after_drain();
            co_return false;
        }
        if (out.state == LoginNegotiator::State::full_feature) {
            m_ffp = true;
            m_isid = login.isid();
            m_params = login.params();
            m_target = login.target();
            m_window.start(login.exp_cmd_sn(), login.stat_sn());
        }
    }
    watchdog.cancel();
    co_return m_ffp;
}

void Session::logged_in() {
    {
        std::lock_guard lock(m_info_mutex);
        m_info.initiator = m_params.initiator_name;
        m_info.target = m_params.discovery ? "" : m_params.target_name;
        m_info.discovery = m_params.discovery;
        m_info.logged_in = true;
    }
    log(std::string(m_params.discovery ? "discovery session" : "logged in to " + m_params.target_name) +
        (m_params.auth_user.empty() ? "" : " as " + m_params.auth_user) +
        (m_params.header_digest ? ", header digest" : "") + (m_params.data_digest ? ", data digest" : ""));
    m_conn->set_digests({m_params.header_digest, m_params.data_digest});  // from the first PDU after login
    if (m_target) {
        claim_nexus();
        m_front.attach(0, m_target->lu);
        // Without a data digest to compute, read data may be sent straight from the disc's file.
        m_dispatch.attach(&m_front, m_host.strand_for(m_target->name), m_nexus, !m_params.data_digest);
    }
    asio::co_spawn(m_conn->executor(), pinger(), asio::detached);
}

// NOP-In pings (RFC 7143 11.19) to an initiator that has sent nothing for a
// while; one that does not answer in time is gone.
awaitable<void> Session::pinger() {
    auto self = shared_from_this();
    if (m_o.nop_interval.count() <= 0) co_return;
    while (m_conn->open()) {
        error_code ec;
        m_ping.expires_after(m_o.nop_interval);
        co_await m_ping.async_wait(asio::redirect_error(use_awaitable, ec));
        if (!m_conn->open()) break;
        auto idle = std::chrono::steady_clock::now() - m_conn->last_received();
        if (m_ping_ttt) {
            if (idle >= m_o.nop_timeout) {
                m_conn->shutdown("no answer to NOP-In within " + std::to_string(m_o.nop_timeout.count()) +
                                 " ms: the initiator is gone");
                break;
            }
            continue;
        }
        if (idle < m_o.nop_interval) continue;
        NopIn ping;
        m_ping_ttt = m_tags.next();
        ping.ttt = m_ping_ttt;
        ping.sn = m_window.current();
        m_conn->send(ping.encode());
    }
}

// ---- The full feature phase. This coroutine reads PDUs; the dispatcher's
// runs the tasks whose data are complete, in order, meanwhile.
awaitable<void> Session::full_feature() {
    m_conn->set_batching(true);
    m_dispatch.start(shared_from_this());
    DataPlacement* placement = m_params.discovery ? nullptr : &m_tasks;
    while (m_conn->open()) {
        // Bounded: while the executor has work, at most max_commands tasks wait.
        while (m_conn->open() && m_tasks.size() >= m_o.limits.max_commands && m_tasks.head_ready())
            co_await m_dispatch.progress();
        if (!m_conn->open()) break;
        auto rr = co_await m_conn->read_pdu(m_params.target_max_recv, placement);
        if (rr.fatal || !rr.pdu) {
            if (!rr.error.empty()) log(rr.error);
            break;
        }
        if (rr.reject) {
            log("rejected: " + rr.error);
            reject(rr.pdu->bhs, rr.reason);
            continue;
        }
        {
            std::lock_guard lock(m_info_mutex);
            ++m_info.commands;
        }
        uint8_t op = rr.pdu->opcode();
        if (op == opcode::task_management || op == opcode::logout_request) {
            // Every task that can complete does so (and is answered) before
            // these act on the task set or the session.
            while (m_conn->open() && m_dispatch.busy()) co_await m_dispatch.progress();
        }
        handle(std::move(*rr.pdu));
        m_tasks.solicit_all();
        m_dispatch.wake();
    }
    co_await m_dispatch.stop();
    m_conn->set_batching(false);
}

void Session::handle(Pdu p) {
    switch (p.opcode()) {
    case opcode::nop_out: return on_nop_out(std::move(p));
    case opcode::scsi_command: return on_command(std::move(p));
    case opcode::data_out: return on_data_out(std::move(p));
    case opcode::task_management: return on_task_management(std::move(p));
    case opcode::logout_request: return on_logout(std::move(p));
    case opcode::text_request: return on_text(std::move(p));
    case opcode::login_request:
        log("Login Request in the full feature phase: rejected");
        return reject(p.bhs, reject_reason::protocol_error);
    default: return reject(p.bhs, reject_reason::command_not_supported);
    }
}

void Session::reject(const Header& header, uint8_t reason) {
    Reject r;
    r.reason = reason;
    r.sn = m_window.current();
    r.header.assign(header.begin(), header.end());
    m_conn->send(r.encode());
}

// CmdSN checks for commands that are not immediate (RFC 7143 4.2.2.1).
bool Session::accept_cmd_sn(const Header& header, uint32_t sn, bool immediate) {
    switch (m_window.accept(sn, immediate)) {
    case CommandWindow::Verdict::accepted: return true;
    case CommandWindow::Verdict::outside:
        log("CmdSN " + hex32(sn) + " outside the window [" + hex32(m_window.exp_cmd_sn()) + ", " +
            hex32(m_window.max_cmd_sn()) + "]: rejected");
        break;
    case CommandWindow::Verdict::skipped:
        log("CmdSN " + hex32(sn) + " skips " + hex32(m_window.exp_cmd_sn()) + ": rejected");
        break;
    }
    reject(header, reject_reason::protocol_error);
    return false;
}

void Session::on_nop_out(Pdu p) {
    Header header = p.bhs;
    auto n = NopOut::decode(std::move(p));
    if (!n.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (n->itt == reserved_tag) {  // the answer to our ping
        if (n->ttt == m_ping_ttt) m_ping_ttt = 0;
        return;
    }
    if (!accept_cmd_sn(header, n->cmd_sn, n->immediate)) return;
    NopIn r;
    r.lun = n->lun;
    r.itt = n->itt;
    r.sn = m_window.status();
    r.data = std::move(n->data);
    m_conn->send(r.encode());
}

void Session::on_command(Pdu p) {
    Header header = p.bhs;
    if (m_params.discovery) {
        log("SCSI Command in a discovery session: rejected");
        return reject(header, reject_reason::protocol_error);
    }
    auto c = ScsiCommand::decode(std::move(p));
    if (!c.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (!accept_cmd_sn(header, c->cmd_sn, c->immediate)) return;
    if (auto refused = m_tasks.add(std::move(*c))) {
        if (!refused->why.empty()) log(refused->why);
        reject(header, refused->reason);
    }
}

void Session::on_data_out(Pdu p) {
    Header header = p.bhs;
    auto d = DataOut::decode(std::move(p));
    if (!d.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (auto refused = m_tasks.data_out(*d)) {
        log(refused->why);
        reject(header, refused->reason);
    }
}

void Session::on_task_management(Pdu p) {
    Header header = p.bhs;
    auto t = TaskManagementRequest::decode(std::move(p));
    if (!t.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (!accept_cmd_sn(header, t->cmd_sn, t->immediate)) return;
    uint8_t response = tmf_response::complete;
    switch (t->function) {
    case tmf::abort_task:
        if (!m_tasks.abort(t->referenced_task_tag)) response = tmf_response::no_such_task;  // done or unknown
        break;
    case tmf::abort_task_set:
    case tmf::clear_task_set: m_tasks.clear(); break;
    case tmf::clear_aca: break;
    case tmf::logical_unit_reset:
    case tmf::target_warm_reset:
    case tmf::target_cold_reset:
        m_tasks.clear();
        if (m_target) m_target->lu->reset(m_nexus);
        break;
    case tmf::task_reassign: response = tmf_response::allegiance_reassignment_unsupported; break;  // needs ERL 2
    default: response = tmf_response::not_supported;
    }
    m_conn->send(TaskManagementResponse{response, t->itt, m_window.status()}.encode());
    if (t->function == tmf::target_cold_reset) {  // the connection goes too
        m_end = End::closed_by_target;
        m_conn->close_after_drain();
    }
}

// ---- Text (RFC 7143 11.10, 11.11): SendTargets; an answer longer than the
// initiator takes in one PDU continues when it asks with our tag.
void Session::on_text(Pdu p) {
    Header header = p.bhs;
    auto t = TextRequest::decode(std::move(p));
    if (!t.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (!accept_cmd_sn(header, t->cmd_sn, t->immediate)) return;
    if (t->ttt != reserved_tag && !m_text_rest.empty()) return send_text_part(t->itt);  // continuing our answer
    auto keys = parse_keys(t->data);
    if (!keys.ok()) return reject(header, reject_reason::protocol_error);
    KeyList reply;
    for (const auto& [k, v] : *keys) {
        if (k == "SendTargets") {
            auto targets = send_targets(v);
            reply.insert(reply.end(), targets.begin(), targets.end());
        } else {
            reply.emplace_back(k, "NotUnderstood");
        }
    }
    m_text_rest = encode_keys(reply);
    send_text_part(t->itt);
}

// RFC 7143 appendix C: SendTargets=All in a discovery session names every
// target; in a normal session, All or empty names the session's own. Each
// with the addresses the server announces; none by default, and the
// initiator logs in where it discovered (through NAT or a port forward too).
KeyList Session::send_targets(const std::string& which) const {
    const Directory& dir = m_host.directory();
    std::vector<std::string> names;
    if (which == "All") {
        if (!m_params.discovery && !m_params.target_name.empty()) names = {m_params.target_name};
        if (m_params.discovery) names = dir.names();
    } else if (which.empty()) {
        if (!m_params.target_name.empty()) names = {m_params.target_name};
    } else if (dir.find(which)) {
        names = {which};
    }
    auto addresses = dir.target_addresses();
    KeyList out;
    for (const auto& n : names) {
        out.emplace_back("TargetName", n);
        for (const auto& a : addresses) out.emplace_back("TargetAddress", a);
    }
    return out;
}

void Session::send_text_part(uint32_t itt) {
    uint32_t seg = std::max<uint32_t>(512, m_params.initiator_max_recv);
    TextResponse r;
    r.itt = itt;
    size_t n = std::min<size_t>(seg, m_text_rest.size());
    r.data.assign(m_text_rest.begin(), m_text_rest.begin() + long(n));
    m_text_rest.erase(m_text_rest.begin(), m_text_rest.begin() + long(n));
    if (!m_text_rest.empty()) {  // the initiator asks for the rest
        r.final = false;
        r.cont = true;
        r.ttt = 0x1000 + (m_tags.next() & 0xFFF);
    }
    r.sn = m_window.status();
    m_conn->send(r.encode());
}

// ---- Logout (RFC 7143 11.14, 11.15).
void Session::on_logout(Pdu p) {
    Header header = p.bhs;
    auto l = LogoutRequest::decode(std::move(p));
    if (!l.ok()) return reject(header, reject_reason::invalid_pdu_field);
    if (!accept_cmd_sn(header, l->cmd_sn, l->immediate)) return;
    LogoutResponse r;
    // Connection recovery is not supported (ErrorRecoveryLevel 0).
    r.response = l->reason == logout_reason::remove_for_recovery ? 2 : 0;
    r.itt = l->itt;
    r.sn = m_window.status();
    r.time2wait = uint16_t(m_params.default_time2wait);
    r.time2retain = uint16_t(m_params.default_time2retain);
    m_conn->send(r.encode());
    if (l->reason != logout_reason::remove_for_recovery) {
        log("logged out");
        m_end = End::logged_out;
        m_conn->close_after_drain();
    }
}

}  // namespace emulator::iscsi
