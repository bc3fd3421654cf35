package cashier

import (
	"fmt"
	"net/http"
	"strings"
)

// lang is a page language.
type lang string

const (
	zh lang = "zh"
	en lang = "en"
)

// pickLang chooses the page language: ?lang=zh|en, else the first of zh/en
// in Accept-Language (by order, ignoring weights of 0), else Chinese.
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

// text returns the message key in l, formatted with args.
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

// messages holds every string of the pages: key → {zh, en}.
var messages = map[string][2]string{
	"brand":          {"paygate 收银台", "paygate Checkout"},
	"secure":         {"安全支付", "Secure payment"},
	"title_pay":      {"支付订单", "Pay for your order"},
	"order_no":       {"商户订单号", "Order number"},
	"subject":        {"商品", "Item"},
	"amount":         {"应付金额", "Amount due"},
	"pay_within":     {"请在 %s 内完成支付", "Please pay within %s"},
	"time_left":      {"剩余时间", "Time left"},
	"method":         {"支付方式", "Payment method"},
	"m_bankcard":     {"银行卡", "Bank card"},
	"m_bankcard_sub": {"借记卡 · 无需注册", "Debit card · no sign-up"},
	"bank":           {"选择银行", "Choose your bank"},

	"m_account":       {"账户余额", "Account balance"},
	"m_account_sub":   {"登录账户 · 适合大额", "Log in · for large orders"},
	"acct_email":      {"账户邮箱", "Account email"},
	"acct_password":   {"登录密码", "Password"},
	"acct_hint":       {"使用您的 paygate 账户余额支付；密码仅用于本次验证。", "Pay from your paygate account balance; your password is used only to check it is you."},
	"acct_pay_button": {"使用余额支付 %s", "Pay %s from balance"},
	"acct_register":   {"还没有账户？注册", "No account yet? Register"},
	"acct_missing":    {"请输入账户邮箱和密码。", "Please enter your account email and password."},
	"acct_refused":    {"余额支付未成功", "Could not pay from the balance"},
	"bad_form":        {"表单无法读取，请重试。", "The form could not be read; please try again."},
	"paid_account":    {"支付方式", "Paid with"},
	"paid_balance":    {"账户余额", "Account balance"},

	"err_credentials_invalid":            {"邮箱或密码不正确。", "The email or password is incorrect."},
	"err_account_locked":                 {"登录失败次数过多，该账户暂时被锁定。请稍后再试或重置密码。", "Too many failed log-ins: this account is locked for a while. Try again later, or reset your password."},
	"err_account_not_activated":          {"该账户尚未激活，请打开激活邮件中的链接。", "This account is not activated yet: open the link in the activation email."},
	"err_email_invalid":                  {"请输入有效的邮箱地址。", "Enter a valid email address."},
	"err_account_insufficient_balance":   {"账户余额不足，请先充值或使用银行卡支付。", "The balance is not enough: top it up first, or pay by bank card."},
	"err_account_payment_limit_exceeded": {"金额超过余额支付的单笔限额。", "The amount is above the limit for one payment from a balance."},
	"err_account_daily_limit_exceeded":   {"本笔支付将超过今日余额支付限额。", "This payment would exceed today's limit for paying from a balance."},
	"bank_detected":                      {"已根据卡号识别", "Detected from the card number"},
	"email":                              {"电子邮箱（选填）", "Email (optional)"},
	"email_hint":                         {"用于接收支付凭证", "For your receipt"},
	"card_no":                            {"银行卡号", "Card number"},
	"card_ph":                            {"请输入银行卡号", "Enter your card number"},
	"pin":                                {"银行卡密码", "Card password (PIN)"},
	"pin_hint":                           {"密码仅用于本次支付，加密传送给银行，不会被保存", "Used for this payment only, encrypted for your bank, never stored"},
	"pay_button":                         {"确认支付 %s", "Pay %s"},
	"paying":                             {"正在支付…", "Paying…"},
	"lang_switch":                        {"English", "中文"},
	"footer":                             {"支付信息经加密传输 · 卡密码不会被保存", "Encrypted connection · your PIN is never stored"},
	"cancel":                             {"返回商户", "Back to the shop"},

	"declined_title": {"支付未成功", "Payment declined"},
	"bank_code":      {"银行返回码 %s", "Bank response code %s"},
	"try_again":      {"您可以更换银行卡后重试。", "You can try again with another card."},
	"reversed_title": {"上次支付未完成", "The last try did not go through"},
	"reversed_body":  {"银行未能确认上次支付，已自动撤销。未扣款，您可以重新支付。", "The bank could not confirm the last try, so it was cancelled. No money was taken; you can pay again."},

	"processing_title": {"正在确认支付结果", "Confirming your payment"},
	"processing_body":  {"银行暂未返回结果，我们正在与银行核实。请勿重复支付或关闭本页面。", "Your bank has not answered yet and we are checking with it. Please do not pay again or close this page."},
	"processing_nojs":  {"刷新查看结果", "Refresh to see the result"},
	"not_paid_title":   {"支付未成功，未扣款", "Not paid — no money was taken"},
	"not_paid_body":    {"银行未能完成这笔支付，款项没有被扣除。", "The bank did not complete this payment and no money was taken."},
	"retry":            {"重新支付", "Try again"},

	"success_title": {"支付成功", "Payment successful"},
	"success_body":  {"您已成功支付 %s。", "You paid %s."},
	"paid_card":     {"支付卡", "Card"},
	"paid_at":       {"支付时间", "Paid at"},
	"return_shop":   {"返回商户", "Return to the shop"},
	"redirect_in":   {"%s 秒后自动返回商户", "Returning to the shop in %s s"},
	"no_return":     {"您可以关闭此页面。", "You can close this page now."},

	"expired_title":  {"订单已过期", "This payment has expired"},
	"expired_body":   {"订单已超过支付时限，未扣款。如需购买，请返回商户重新下单。", "The time to pay has run out and no money was taken. Please go back to the shop to order again."},
	"closed_title":   {"订单已关闭", "This payment is closed"},
	"closed_body":    {"该订单已被商户关闭，无法继续支付。", "The shop has closed this payment; it can no longer be paid."},
	"notfound_title": {"找不到该订单", "Payment not found"},
	"notfound_body":  {"链接无效或已失效，请返回商户重新发起支付。", "The link is wrong or no longer valid. Please start again from the shop."},
	"error_title":    {"系统繁忙", "Something went wrong"},
	"error_body":     {"请稍后重试。如问题持续，请联系商户并提供编号 %s。", "Please try again shortly. If it keeps happening, contact the shop and quote %s."},
	"forbidden_body": {"请求来源无效，请在收银台页面重新提交。", "This request did not come from the checkout page. Please submit it from the page again."},

	// Input problems: nothing is sent to the bank.
	"bad_card_empty": {"请输入银行卡号。", "Please enter your card number."},
	"bad_card":       {"银行卡号格式不正确，请检查后重新输入。", "That card number is not valid. Please check it and try again."},
	"bad_pin":        {"银行卡密码应为 4–12 位数字。", "The card password must be 4–12 digits."},
	"bad_email":      {"电子邮箱格式不正确。", "That email address is not valid."},
	"card_not_supp":  {"暂不支持该银行的卡，请更换其他银行卡。", "We cannot take cards from this bank yet. Please use another card."},
	"bank_down":      {"银行暂时无法连接，未扣款，请稍后重试。", "Your bank cannot be reached right now. No money was taken; please try again shortly."},
	"method_na":      {"该订单不支持银行卡支付。", "This payment cannot be paid by bank card."},
	"in_progress":    {"上一笔支付仍在处理中，请稍候。", "The previous try is still being processed. Please wait."},

	// Declines by ISO 8583 response code.
	"rc_51":      {"余额不足。", "Insufficient funds."},
	"rc_55":      {"银行卡密码错误。", "Incorrect card password (PIN)."},
	"rc_61":      {"超出该卡单笔支付限额。", "The amount is above this card's payment limit."},
	"rc_05":      {"发卡银行拒绝了这笔交易，请联系发卡银行或更换银行卡。", "Your bank declined this payment. Please contact your bank or use another card."},
	"rc_14":      {"卡号无效。", "Invalid card number."},
	"rc_54":      {"银行卡已过期。", "This card has expired."},
	"rc_41":      {"该卡已挂失，请联系发卡银行。", "This card has been reported lost. Please contact your bank."},
	"rc_43":      {"该卡已挂失，请联系发卡银行。", "This card has been reported stolen. Please contact your bank."},
	"rc_57":      {"该卡不支持此类交易。", "This card cannot be used for this kind of payment."},
	"rc_62":      {"该卡受限，请联系发卡银行。", "This card is restricted. Please contact your bank."},
	"rc_65":      {"超出该卡支付次数限制。", "This card has reached its limit on the number of payments."},
	"rc_75":      {"密码错误次数过多，请联系发卡银行。", "Too many wrong PIN tries. Please contact your bank."},
	"rc_91":      {"发卡银行暂时无法处理，未扣款，请稍后重试。", "Your bank is not answering right now. No money was taken; please try later."},
	"rc_96":      {"银行系统故障，未扣款，请稍后重试。", "The bank had a system problem. No money was taken; please try later."},
	"rc_XX":      {"未能连接银行，未扣款，请稍后重试。", "We could not reach your bank. No money was taken; please try again."},
	"rc_default": {"银行拒绝了这笔交易。", "The bank declined this payment."},
}

// declineText is the payer's reason for a bank response code.
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
