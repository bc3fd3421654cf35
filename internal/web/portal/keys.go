package portal

import (
	"net/http"
	"strings"

	"paygate/internal/errs"
)

// keyRow is one public key on the keys page.
type keyRow struct {
	ID, Type, PEM, Since string
}

// keysData is the keys page: the merchant's keys, which verify its
// requests, and the gateway's, which verify responses and notifications.
type keysData struct {
	Merchant []keyRow
	Gateway  []keyRow
	PEM      string // the upload form as sent
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, u who) {
	v := h.userView(r, u, "title_keys", "keys")
	d, err := h.keysData(r, u)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "keys", v.with(d))
}

func (h *Handler) keysData(r *http.Request, u who) (*keysData, error) {
	keys, err := h.d.Merchants.ListKeys(r.Context(), u.MerchantID)
	if err != nil {
		return nil, err
	}
	d := &keysData{}
	for _, k := range keys {
		d.Merchant = append(d.Merchant, keyRow{ID: k.ID, Type: string(k.SignType), PEM: k.PEM, Since: h.formatTime(k.CreatedAt)})
	}
	if h.d.GatewayKeys != nil {
		for _, k := range h.d.GatewayKeys() {
			d.Gateway = append(d.Gateway, keyRow{ID: k.KeyID, Type: string(k.Alg), PEM: k.PublicKeyPEM, Since: h.formatTime(k.ActiveFrom)})
		}
	}
	return d, nil
}

// addKey registers a public key (PEM) of the merchant's, pasted or as a
// file.
func (h *Handler) addKey(w http.ResponseWriter, r *http.Request, u who) {
	ctx := r.Context()
	pemText := strings.TrimSpace(r.PostForm.Get("pem"))
	k, err := h.d.Merchants.AddKey(ctx, u.MerchantID, []byte(pemText))
	if err != nil {
		v := h.userView(r, u, "title_keys", "keys")
		text, status, ok := messages.ErrorText(v.Lang, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "portal: key refused", "staff_id", u.ID, "merchant_id", u.MerchantID, "code", errs.CodeOf(err))
		d, derr := h.keysData(r, u)
		if derr != nil {
			h.internalError(w, r, derr)
			return
		}
		d.PEM = pemText
		v.Problem = text
		h.render(w, r, status, "keys", v.with(d))
		return
	}
	h.log.InfoContext(ctx, "portal: key added", "staff_id", u.ID, "merchant_id", u.MerchantID, "key_id", k.ID, "sign_type", k.SignType)
	h.flash(ctx, "key_added", k.ID)
	h.seeOther(w, r, "/portal/keys")
}
