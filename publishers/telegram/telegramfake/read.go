package telegramfake

import (
	"strconv"
	"strings"
)

// RemoveChat makes the bot lose sight of chatID (as addressed: "@name" or
// a numeric id): getChat and sends to it answer 400 "Bad Request: chat not
// found", as when the bot was removed from the chat.
func (s *Server) RemoveChat(chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[chatID] = true
}

func (s *Server) removed(chatID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone[chatID]
}

// me answers getMe: the bot's User, its id the token's leading number.
func (s *Server) me() map[string]any {
	id, _ := strconv.ParseInt(strings.SplitN(s.Token, ":", 2)[0], 10, 64)
	return map[string]any{"id": id, "is_bot": true, "first_name": "Herald Test Bot", "username": "herald_test_bot",
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
}

// chat answers getChat: the chat's ChatFullInfo, or the error Telegram
// gives for a migrated group or an id that is not a chat.
func (s *Server) chat(chatID string) (any, *Fault) {
	s.mu.Lock()
	to := s.migrated[chatID]
	s.mu.Unlock()
	if to != 0 {
		f := Migrate(to)
		return nil, &f
	}
	c, ok := chatObject(chatID)
	if !ok {
		return nil, &Fault{Status: 400, Description: "Bad Request: chat not found"}
	}
	c["accent_color_id"] = 0
	c["max_reaction_count"] = 11
	return c, nil
}
