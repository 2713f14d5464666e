#include "tests/support/libiscsi_session.h"

namespace dmtest {

std::string local_iscsi_url(int port, const std::string& iqn, int lun) {
    return "iscsi://127.0.0.1:" + std::to_string(port) + "/" + iqn + "/" + std::to_string(lun);
}

LibiscsiSession::LibiscsiSession(const std::string& url, const Options& o) {
    m_ctx = iscsi_create_context(o.initiator.c_str());
    if (!m_ctx) {
        m_error = "cannot create a libiscsi context";
        return;
    }
    iscsi_url* u = iscsi_parse_full_url(m_ctx, url.c_str());
    if (!u) {
        m_error = "bad URL " + url + ": " + iscsi_get_error(m_ctx);
        return;
    }
    iscsi_set_targetname(m_ctx, u->target);
    iscsi_set_session_type(m_ctx, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(m_ctx, o.header_digest);
    m_lun = u->lun;
    bool ok = iscsi_full_connect_sync(m_ctx, u->portal, u->lun) == 0;
    iscsi_destroy_url(u);
    if (!ok) {
        m_error = "cannot log in to " + url + ": " + iscsi_get_error(m_ctx);
        return;
    }
    m_logged_in = true;
    for (int i = 0; i < 6; ++i) {  // past the power-on (and medium-change) unit attentions
        scsi_task* t = iscsi_testunitready_sync(m_ctx, m_lun);
        bool good = t && t->status == SCSI_STATUS_GOOD;
        if (t) scsi_free_scsi_task(t);
        if (good) break;
    }
}

LibiscsiSession::~LibiscsiSession() {
    if (!m_ctx) return;
    if (m_logged_in && iscsi_is_logged_in(m_ctx)) iscsi_logout_sync(m_ctx);
    iscsi_destroy_context(m_ctx);
}

}  // namespace dmtest
