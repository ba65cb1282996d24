package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// kernelMessage is the part of a Jupyter message the tests read.
type kernelMessage struct {
	Header struct {
		MsgType string `json:"msg_type"`
	} `json:"header"`
	ParentHeader struct {
		MsgID string `json:"msg_id"`
	} `json:"parent_header"`
	Content struct {
		Data           map[string]any `json:"data"`
		Name           string         `json:"name"`
		Text           string         `json:"text"`
		ExecutionState string         `json:"execution_state"`
		Ename          string         `json:"ename"`
		Evalue         string         `json:"evalue"`
		Traceback      []string       `json:"traceback"`
	} `json:"content"`
}

// executeRequest is a Jupyter execute_request of code on the shell
// channel, and its message id.
func executeRequest(code string) (string, map[string]any) {
	msgID := randomHex(8)
	return msgID, map[string]any{
		"header": map[string]any{"msg_id": msgID, "username": "e2e", "session": randomHex(8),
			"msg_type": "execute_request", "version": "5.3", "date": time.Now().UTC().Format(time.RFC3339)},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "channel": "shell",
		"content": map[string]any{"code": code, "silent": false, "store_history": false,
			"user_expressions": map[string]any{}, "allow_stdin": false},
	}
}

// executeOnKernel runs code on a kernel over its websocket and returns the
// text/plain of the execute_result.
func executeOnKernel(t *testing.T, ws *websocket.Conn, code string) string {
	t.Helper()
	msgID, msg := executeRequest(code)
	if err := ws.WriteJSON(msg); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		var reply kernelMessage
		if err := ws.ReadJSON(&reply); err != nil {
			t.Fatalf("read kernel reply: %v", err)
		}
		if reply.ParentHeader.MsgID != msgID {
			continue
		}
		switch reply.Header.MsgType {
		case "execute_result":
			s, _ := reply.Content.Data["text/plain"].(string)
			return s
		case "error":
			t.Fatalf("kernel error %s", reply.Content.Ename)
		}
	}
}
