package portal

import (
	"net/http"
	"strings"

	"paygate/internal/errs"
)

// settingsData is the settings page: the default notification URL.
type settingsData struct {
	NotifyURL string
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, u who) {
	v := h.userView(r, u, "title_settings", "settings")
	h.render(w, r, http.StatusOK, "settings", v.with(settingsData{NotifyURL: u.Merchant.NotifyURL}))
}

// saveSettings sets the default notification URL ("" removes it).
func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	f := settingsData{NotifyURL: strings.TrimSpace(r.PostForm.Get("notify_url"))}
	m, err := h.d.Merchants.SetNotifyURL(ctx, u.MerchantID, f.NotifyURL)
	if err != nil {
		v := h.userView(r, u, "title_settings", "settings")
		text, status, ok := messages.ErrorText(v.Lang, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "portal: notify URL refused", "staff_id", u.ID, "merchant_id", u.MerchantID, "code", errs.CodeOf(err))
		v.Problem = text
		h.render(w, r, status, "settings", v.with(f))
		return
	}
	h.log.InfoContext(ctx, "portal: notify URL set", "staff_id", u.ID, "merchant_id", u.MerchantID, "notify_url", m.NotifyURL)
	h.flash(ctx, "settings_saved")
	h.seeOther(w, r, "/portal/settings")
}
