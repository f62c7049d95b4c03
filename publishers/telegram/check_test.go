package telegram_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		chat   string
		token  string
		remove bool
		fault  *telegramfake.Fault
		code   string
		reason string
	}{
		{name: "ok", chat: "@brand"},
		{name: "ok supergroup", chat: "-1001234567890"},
		{name: "wrong token", chat: "@brand", token: "111:WRONG", code: herald.EUNAUTHORIZED, reason: "getMe: Unauthorized"},
		{name: "chat not found", chat: "@brand", remove: true, code: herald.EINVALID, reason: "getChat: Bad Request: chat not found"},
		{name: "throttled", chat: "@brand", fault: ptr(telegramfake.TooManyRequests(5)), code: herald.EUNAVAILABLE, reason: "Too Many Requests"},
		{name: "down", chat: "@brand", fault: ptr(telegramfake.BadGateway()), code: herald.EUNAVAILABLE, reason: "502"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, pub, _ := setup(t)
			if tc.remove {
				fake.RemoveChat(tc.chat)
			}
			if tc.fault != nil {
				fake.Script(*tc.fault)
			}
			ch := request(fake.URL, tc.chat, herald.Message{}).Channel
			if tc.token != "" {
				ch.Credentials["bot_token"] = tc.token
			}
			err := pub.Check(context.Background(), &ch)
			if got := herald.ErrorCode(err); got != tc.code || !strings.Contains(herald.ErrorMessage(err), tc.reason) {
				t.Fatalf("Check: %v, want code %q with %q", err, tc.code, tc.reason)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the token shows in %v", err)
			}
			if n := len(fake.Messages()); n != 0 {
				t.Errorf("Check posted %d messages", n)
			}
			calls := fake.Calls()
			if tc.code == "" && (len(calls) != 2 || calls[0].Method != "getMe" || calls[1].Method != "getChat" || calls[1].ChatID != tc.chat) {
				t.Errorf("calls %+v, want getMe then getChat %s", calls, tc.chat)
			}
		})
	}
}

func TestCheckUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, pub, _ := setup(t)
	ch := request("http://"+addr, "@brand", herald.Message{}).Channel
	err = pub.Check(context.Background(), &ch)
	if herald.ErrorCode(err) != herald.EUNAVAILABLE || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Check: %v, want unavailable without the token", err)
	}
}
