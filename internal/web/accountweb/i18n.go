package accountweb

import (
	"fmt"
	"net/http"
	"strings"

	"paygate/internal/errs"
)

// lang is a page language.
type lang string

const (
	zh lang = "zh"
	en lang = "en"
)

// pickLang chooses the page language, as the cashier does: ?lang=zh|en,
// else the first of zh/en in Accept-Language (by order, ignoring weights
// of 0), else Chinese.
func pickLang(r *http.Request) lang {
	switch r.URL.Query().Get("lang") {
	case "zh":
		return zh
	case "en":
		return en
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			return zh
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return en
		}
	}
	return zh
}

// Other is the language the switch link offers.
func (l lang) Other() lang {
	if l == en {
		return zh
	}
	return en
}

// text returns the message key in l, formatted with args (English texts
// may reorder them with %[n]s).
func (l lang) text(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if l == en {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// errorText is what a person is told about a service error: the
// translation of its code if there is one, else its own (English)
// message. ok is false for an error that is not an application error, or
// an internal one, whose details must not be shown.
func (l lang) errorText(err error) (text string, status int, ok bool) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return "", http.StatusInternalServerError, false
	}
	if _, has := messages["err_"+e.Code]; has {
		return l.text("err_" + e.Code), e.Kind.HTTPStatus(), true
	}
	return e.Message, e.Kind.HTTPStatus(), true
}

// messages holds every string of the pages: key → {zh, en}.
var messages = map[string][2]string{
	"brand":       {"paygate 账户", "paygate Account"},
	"logo_sub":    {"快钱账户", "Account"},
	"lang_switch": {"English", "中文"},
	"footer":      {"安全连接 · 银行卡密码不会被保存", "Secure connection · card PINs are never stored"},
	"signed_in":   {"已登录", "Signed in as"},
	"enterprise":  {"企业", "Enterprise"},
	"personal":    {"个人", "Personal"},

	"nav_home":      {"账户概览", "Overview"},
	"nav_send":      {"付款到邮箱", "Send money"},
	"nav_topup":     {"充值", "Top up"},
	"nav_withdraw":  {"提现", "Withdraw"},
	"nav_statement": {"对账单", "Statement"},
	"logout":        {"退出", "Log out"},
	"back_home":     {"返回账户", "Back to my account"},

	// Log-in and registration.
	"title_login":     {"登录", "Log in"},
	"login_lead":      {"用电子邮箱和密码登录您的账户。", "Log in with your email address and password."},
	"email":           {"电子邮箱", "Email"},
	"password":        {"密码", "Password"},
	"login_button":    {"登录", "Log in"},
	"no_account":      {"还没有账户？", "No account yet?"},
	"register_link":   {"免费注册", "Sign up"},
	"forgot":          {"忘记密码？", "Forgot your password?"},
	"title_register":  {"注册账户", "Create an account"},
	"register_lead":   {"只需一个电子邮箱和一个密码。发送到该邮箱的款项会在激活后转入您的余额。", "All you need is an email address and a password. Money sent to the address becomes your balance once you activate it."},
	"password_hint":   {"至少 10 个字符，包含小写字母、大写字母、数字、符号中的至少两类。", "At least 10 characters, mixing at least two of: lower-case, upper-case, digits, symbols."},
	"kind":            {"账户类型", "Account type"},
	"kind_personal":   {"个人账户", "Personal"},
	"kind_enterprise": {"企业账户", "Enterprise"},
	"company":         {"企业名称", "Company name"},
	"company_hint":    {"仅企业账户需要填写", "Enterprise accounts only"},
	"register_button": {"注册", "Create account"},
	"have_account":    {"已有账户？", "Already registered?"},

	"title_registered": {"请查收激活邮件", "Check your email"},
	"registered_body":  {"我们已向 %s 发送了激活链接。请打开邮件中的链接激活账户；链接只能使用一次，过期后请重新注册获取新链接。", "We sent an activation link to %s. Open it to activate your account; the link works once, and if it expires, register again to get a new one."},
	"title_activate":   {"激活账户", "Activate your account"},
	"activate_body":    {"点击下面的按钮完成激活。", "Press the button to activate your account."},
	"activate_button":  {"激活账户", "Activate my account"},
	"title_activated":  {"账户已激活", "Your account is active"},
	"activated_body":   {"%s 已激活。发送到该邮箱的款项已转入您的余额。现在可以登录了。", "%s is active now. Any money sent to this address is in your balance. You can log in."},
	"title_link_bad":   {"链接无法使用", "This link cannot be used"},
	"go_login":         {"去登录", "Log in"},
	"go_register":      {"重新注册", "Register again"},
	"go_reset":         {"重新获取链接", "Ask for a new link"},

	// Password reset.
	"title_reset":         {"找回密码", "Reset your password"},
	"reset_lead":          {"输入账户的电子邮箱，我们会发送设置新密码的链接。", "Enter your account's email address and we will send you a link to choose a new password."},
	"reset_button":        {"发送链接", "Send me the link"},
	"title_reset_sent":    {"请查收邮件", "Check your email"},
	"reset_sent_body":     {"如果 %s 有账户，我们已向它发送了设置新密码的链接。链接只能使用一次，并会过期。", "If %s has an account, we have sent it a link to choose a new password. The link works once and expires."},
	"title_new_password":  {"设置新密码", "Choose a new password"},
	"new_password":        {"新密码", "New password"},
	"set_password_button": {"保存新密码", "Save the new password"},
	"title_password_set":  {"密码已更新", "Password changed"},
	"password_set_body":   {"新密码已生效，该账户的所有登录会话均已退出。请用新密码登录。", "Your new password is in use, and every session of the account has been logged out. Log in with the new password."},

	// Overview and history.
	"title_home":      {"账户概览", "Overview"},
	"balance":         {"可用余额", "Available balance"},
	"history":         {"交易明细", "History"},
	"f_from":          {"开始日期", "From"},
	"f_to":            {"结束日期", "To"},
	"f_dir":           {"收支", "Direction"},
	"dir_all":         {"全部", "All"},
	"dir_in":          {"收入", "Money in"},
	"dir_out":         {"支出", "Money out"},
	"filter_button":   {"筛选", "Filter"},
	"filter_clear":    {"清除", "Clear"},
	"col_time":        {"时间", "Time"},
	"col_type":        {"类型", "Type"},
	"col_desc":        {"摘要", "Description"},
	"col_amount":      {"金额", "Amount"},
	"col_balance":     {"余额", "Balance after"},
	"no_lines":        {"没有符合条件的交易。", "No transactions match."},
	"older":           {"更早的记录 →", "Older →"},
	"newest":          {"← 最新记录", "← Newest"},
	"download_csv":    {"下载对账单 (CSV)", "Download statement (CSV)"},
	"print_statement": {"打印对账单", "Printable statement"},
	"claims_title":    {"等待领取的付款", "Money waiting to be claimed"},
	"claims_lead":     {"以下款项发送到了尚未注册的邮箱：对方注册并激活后即到账，到期未领取将退回您的余额。", "You sent these to addresses with no account yet: they arrive when the address signs up and activates, and come back to your balance if unclaimed when they expire."},
	"col_to":          {"收款邮箱", "To"},
	"col_returns":     {"到期退回", "Returns on"},
	"t_sent":          {"付款", "Sent"},
	"t_received":      {"收款", "Received"},
	"t_topup":         {"充值", "Top-up"},
	"t_withdraw":      {"提现", "Withdrawal"},
	"t_claimed":       {"领取付款", "Claimed"},
	"t_returned":      {"付款退回", "Returned"},
	"t_other":         {"其他", "Other"},

	// Statement.
	"title_statement": {"账户对账单", "Account statement"},
	"st_account":      {"账户", "Account"},
	"st_period":       {"期间", "Period"},
	"st_all_time":     {"全部", "All dates"},
	"st_generated":    {"生成时间", "Generated"},
	"st_opening":      {"期初余额", "Opening balance"},
	"st_in":           {"收入合计", "Total in"},
	"st_out":          {"支出合计", "Total out"},
	"st_closing":      {"期末余额", "Closing balance"},
	"st_lines":        {"笔数", "Transactions"},
	"print":           {"打印", "Print"},
	"csv_header":      {"时间,摘要,金额,余额", "Time,Description,Amount,Balance after"},

	// Sending money.
	"title_send":  {"付款到邮箱", "Send money to an email address"},
	"send_lead":   {"可以付款给任何电子邮箱：对方已有账户则立即到账；没有账户，我们会邀请对方注册领取。", "Send money to any email address: if it has an account, the money lands at once; if not, we invite the address to sign up and claim it."},
	"to_email":    {"收款人邮箱", "Recipient's email"},
	"amount":      {"金额（元）", "Amount (CNY)"},
	"amount_ph":   {"例如 1,000.00", "e.g. 1,000.00"},
	"note":        {"附言（选填）", "Note (optional)"},
	"send_button": {"确认付款", "Send"},
	"flash_sent":  {"已向 %s 付款 %s，款项已到账。", "You sent %[2]s to %[1]s; it is in their account now."},
	"flash_held":  {"已向 %s 付款 %s。对方还没有账户，我们已发邮件邀请其注册领取；%s 前未领取将退回您的余额。", "You sent %[2]s to %[1]s. The address has no account yet: we invited it to sign up and claim the money, which comes back to you if unclaimed by %[3]s."},
	"flash_again": {"这笔付款此前已提交过，未重复扣款。", "This transfer had already been made; no money moved twice."},
	"key_reused":  {"这张表单已经提交过一笔不同的付款。请核对交易明细，如仍需付款请再次提交。", "This form was already used for a different transfer. Check your history; submit again if you still want to send."},

	// Cards.
	"title_topup":     {"银行卡充值", "Top up from a bank card"},
	"topup_lead":      {"从您的借记卡转入余额。", "Move money from your debit card into your balance."},
	"card_no":         {"银行卡号", "Card number"},
	"card_ph":         {"请输入银行卡号", "Enter your card number"},
	"pin":             {"银行卡密码", "Card password (PIN)"},
	"pin_hint":        {"密码仅用于本次充值，加密传送给银行，不会被保存。", "Used for this top-up only, encrypted for your bank, never stored."},
	"topup_button":    {"确认充值", "Top up"},
	"flash_topup":     {"已从银行卡 %s 充值 %s。", "%[2]s added from card %[1]s."},
	"title_withdraw":  {"提现到银行卡", "Withdraw to a bank card"},
	"withdraw_lead":   {"把余额转到您的借记卡，收款无需银行卡密码。", "Move money from your balance to your debit card; no PIN is needed to receive money."},
	"withdraw_button": {"确认提现", "Withdraw"},
	"flash_withdraw":  {"已提现 %s 到银行卡 %s。", "%[1]s sent to card %[2]s."},
	"declined_title":  {"银行未批准", "The bank declined"},
	"bank_code":       {"银行返回码 %s", "Bank response code %s"},
	"topup_unknown":   {"银行没有及时确认，本次充值未入账；如已扣款将自动撤销。", "The bank did not confirm in time: nothing was added, and any debit is being reversed."},
	"withdraw_unknown": {"银行暂未确认提现结果，我们正在核实；如未到账，款项将退回您的余额。",
		"The bank has not confirmed the withdrawal yet and we are checking with it; if the money did not arrive, it comes back to your balance."},
	"card_in_flight": {"这张表单已经提交过，银行仍在处理中，请勿重复提交；稍后请在账户概览查看结果。",
		"This form was already submitted and the bank is still processing it. Do not submit it again; check your overview shortly for the result."},

	// Input problems: nothing was sent anywhere.
	"bad_email":      {"请输入正确的电子邮箱，例如 name@example.com。", "Enter a valid email address, like name@example.com."},
	"bad_amount":     {"请输入正确的金额，例如 100 或 1,000.50。", "Enter an amount like 100 or 1,000.50."},
	"amount_zero":    {"金额必须大于 0。", "The amount must be more than zero."},
	"amount_big":     {"金额不能超过 %s。", "The amount can be at most %s."},
	"note_long":      {"附言最多 200 个字。", "The note can be at most 200 characters."},
	"bad_card_empty": {"请输入银行卡号。", "Please enter your card number."},
	"bad_card":       {"银行卡号格式不正确，请检查后重新输入。", "That card number is not valid. Please check it and try again."},
	"bad_pin":        {"银行卡密码应为 4–12 位数字。", "The card password must be 4–12 digits."},
	"bad_date":       {"日期格式应为 2026-03-31。", "Dates must look like 2026-03-31."},
	"bad_range":      {"开始日期不能晚于结束日期。", "The start date must not be after the end date."},
	"too_many_lines": {"该期间的交易过多，请缩小日期范围。", "Too many transactions in this period; choose a shorter date range."},
	"bad_form_title": {"表单无法读取", "The form could not be read"},
	"bad_form_body":  {"表单过大或格式不正确，未做任何更改。", "The form was too large or malformed, and nothing was changed."},

	// Refusals and errors.
	"forbidden_title": {"请求已被拒绝", "Request refused"},
	"csrf_body":       {"表单已过期或并非来自本站，未做任何更改。请刷新页面后重试。", "The form expired or did not come from this site, and nothing was changed. Reload the page and try again."},
	"error_title":     {"系统繁忙", "Something went wrong"},
	"error_body":      {"请稍后重试。如问题持续，请联系客服并提供编号 %s。", "Please try again shortly. If it keeps happening, contact support and quote %s."},
	"notfound_title":  {"页面不存在", "Page not found"},
	"notfound_body":   {"您访问的页面不存在。", "There is no such page."},

	// Service errors by code (errs.Error.Code); others show their English message.
	"err_email_invalid":                  {"请输入正确的电子邮箱，例如 name@example.com。", "Enter a valid email address, like name@example.com."},
	"err_password_too_weak":              {"密码至少 10 个字符，并包含小写字母、大写字母、数字、符号中的至少两类。", "Use a password of at least 10 characters that mixes at least two of: lower-case letters, upper-case letters, digits, other characters."},
	"err_password_too_long":              {"密码最多 256 个字符。", "Use a password of at most 256 characters."},
	"err_account_kind_invalid":           {"账户类型必须是个人或企业。", "The account kind must be personal or enterprise."},
	"err_company_required":               {"企业账户需要填写企业名称（最多 200 个字）。", "An enterprise account needs the company name (at most 200 characters)."},
	"err_email_registered":               {"该邮箱已有账户。请直接登录，忘记密码可以重置。", "This email already has an account. Log in, or reset your password if you forgot it."},
	"err_activation_link_invalid":        {"激活链接无效。请使用我们最新发送的链接，或重新注册获取新链接。", "This activation link is not valid. Use the latest link we sent, or register again to get a new one."},
	"err_activation_link_expired":        {"激活链接已过期。请用同一邮箱重新注册，获取新的链接。", "This activation link has expired. Register again with the same email to get a new one."},
	"err_activation_link_used":           {"激活链接已使用过。请用邮箱和密码登录。", "This activation link has already been used. Log in with your email and password."},
	"err_reset_link_invalid":             {"重置密码链接无效。请使用最新发送的链接，或重新获取。", "This password reset link is not valid. Use the latest link we sent, or ask for a new one."},
	"err_reset_link_expired":             {"重置密码链接已过期，请重新获取。", "This password reset link has expired. Ask for a new one."},
	"err_reset_link_used":                {"重置密码链接已使用过。如有需要请重新获取。", "This password reset link has already been used. Ask for a new one if you need to."},
	"err_credentials_invalid":            {"邮箱或密码不正确。", "The email or password is incorrect."},
	"err_account_locked":                 {"密码错误次数过多，该账户暂时无法登录。请稍后再试，或重置密码。", "Too many failed log-in attempts: log-in is blocked for this account for a while. Try again later, or reset your password."},
	"err_account_not_activated":          {"该账户尚未激活。请打开激活邮件中的链接，或重新注册获取新链接。", "This account is not activated yet. Open the link in the email we sent, or register again to get a new one."},
	"err_account_not_found":              {"账户不存在。", "No such account."},
	"err_wallet_invalid":                 {"付款信息不正确。", "The transfer is invalid."},
	"err_wallet_insufficient_funds":      {"余额不足。", "Your balance is not enough for this."},
	"err_wallet_self_transfer":           {"不能付款给自己的账户。", "You cannot send money to your own account."},
	"err_wallet_key_reused":              {"这张表单已经提交过一笔不同的充值或提现。请核对交易明细，如仍需办理请再次提交。", "This form was already used for a different top-up or withdrawal. Check your history; submit again if you still want it."},
	"err_ledger_insufficient_funds":      {"余额不足。", "Your balance is not enough for this."},
	"err_card_not_supported":             {"暂不支持该银行的卡，请更换其他银行卡。", "We cannot take cards from this bank yet. Please use another card."},
	"err_card_invalid":                   {"银行卡信息不正确。", "The card details are not valid."},
	"err_bank_unavailable":               {"银行暂时无法连接，未做任何扣款，请稍后重试。", "The bank cannot be reached right now and no money moved; please try again shortly."},
	"err_account_payment_limit_exceeded": {"金额超过账户单笔支付限额。", "The amount is above the limit for one payment from an account balance."},
	"err_account_daily_limit_exceeded":   {"超出账户当日支付限额。", "This would exceed today's limit for paying from this account balance."},

	// Declines by ISO 8583 response code, as on the cashier.
	"rc_51":      {"余额不足。", "Insufficient funds."},
	"rc_55":      {"银行卡密码错误。", "Incorrect card password (PIN)."},
	"rc_61":      {"超出该卡单笔限额。", "The amount is above this card's limit."},
	"rc_05":      {"发卡银行拒绝了这笔交易，请联系发卡银行或更换银行卡。", "Your bank declined this. Please contact your bank or use another card."},
	"rc_14":      {"卡号无效。", "Invalid card number."},
	"rc_54":      {"银行卡已过期。", "This card has expired."},
	"rc_41":      {"该卡已挂失，请联系发卡银行。", "This card has been reported lost. Please contact your bank."},
	"rc_43":      {"该卡已挂失，请联系发卡银行。", "This card has been reported stolen. Please contact your bank."},
	"rc_57":      {"该卡不支持此类交易。", "This card cannot be used for this kind of transaction."},
	"rc_62":      {"该卡受限，请联系发卡银行。", "This card is restricted. Please contact your bank."},
	"rc_65":      {"超出该卡交易次数限制。", "This card has reached its limit on the number of transactions."},
	"rc_75":      {"密码错误次数过多，请联系发卡银行。", "Too many wrong PIN tries. Please contact your bank."},
	"rc_91":      {"发卡银行暂时无法处理，未扣款，请稍后重试。", "Your bank is not answering right now. No money moved; please try later."},
	"rc_96":      {"银行系统故障，未扣款，请稍后重试。", "The bank had a system problem. No money moved; please try later."},
	"rc_XX":      {"未能连接银行，未扣款，请稍后重试。", "We could not reach your bank. No money moved; please try again."},
	"rc_default": {"银行拒绝了这笔交易。", "The bank declined this."},
}

// declineText is the reason for a bank response code.
func (l lang) declineText(code string) string {
	switch code {
	case "12", "13", "30":
		code = "default"
	case "06", "96":
		code = "96"
	case "68", "91":
		code = "91"
	}
	if _, ok := messages["rc_"+code]; !ok {
		code = "default"
	}
	return l.text("rc_" + code)
}
