package web

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/spawnhub/spawnhub/spawner/form"
)

func decodeForm(body string) (form.Form, error) {
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	c := echo.New().NewContext(req, httptest.NewRecorder())
	var f form.Form
	err := decodeStrict(c, &f)
	return f, err
}

// TestDecodeStrictNamesNestedFields: an unknown or mistyped field at any
// depth of the spawn form is refused with its JSON path.
func TestDecodeStrictNamesNestedFields(t *testing.T) {
	for _, tt := range []struct{ name, body, field, code string }{
		{"unknown top-level field", `{"name":"a","bogus":1}`, "bogus", "json.unknown"},
		{"unknown field in workspace.new", `{"workspace":{"new":{"size":"4Gi","storageClass":"fast"}}}`, "workspace.new.storageClass", "json.unknown"},
		{"unknown field in workspace", `{"workspace":{"existing":"x","shared":true}}`, "workspace.shared", "json.unknown"},
		{"unknown field in a data volume", `{"dataVolumes":[{"existing":"x"},{"existing":"y","foo":1}]}`, "dataVolumes[1].foo", "json.unknown"},
		{"unknown field in a new data volume", `{"dataVolumes":[{"new":{"name":"d","mode":"rwx"}}]}`, "dataVolumes[0].new.mode", "json.unknown"},
		{"field names match exactly", `{"NAME":"a"}`, "NAME", "json.unknown"},
		{"wrong type, nested", `{"dataVolumes":[{"mountPath":7}]}`, "dataVolumes[0].mountPath", "json.type"},
		{"wrong type, top level", `{"gpus":"one"}`, "gpus", "json.type"},
		{"fraction for an integer", `{"gpus":1.5}`, "gpus", "json.type"},
		{"object for a list", `{"dataVolumes":{"new":{}}}`, "dataVolumes", "json.type"},
		{"string in the configurations", `{"configurations":[1]}`, "configurations[0]", "json.type"},
		{"not an object", `[1]`, "", "body.invalid_json"},
		{"trailing data", `{"name":"a"} {}`, "", "body.invalid_json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeForm(tt.body)
			var fe *form.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Code != tt.code {
				t.Errorf("decode %s = %v, want %s on %q", tt.body, err, tt.code, tt.field)
			}
		})
	}
}

func TestDecodeStrictAcceptsTheWholeForm(t *testing.T) {
	f, err := decodeForm(`{"name":"lab","image":"demo","cpu":"1","gpus":0,"sharedMemory":false,"language":"fr",
		"workspace":{"new":{"name":"w","size":"4Gi"}},"configurations":["proxy"],
		"dataVolumes":[{"new":{"name":"d","size":"8Gi"},"mountPath":"/home/jovyan/d"},{"existing":"e"},null]}`)
	if err != nil {
		t.Fatal(err)
	}
	if f.Workspace.New.Size != "4Gi" || len(f.DataVolumes) != 3 || f.DataVolumes[1].Existing != "e" || *f.SharedMemory {
		t.Errorf("form = %+v", f)
	}
	if _, err := decodeForm(""); err != nil {
		t.Errorf("empty body: %v, want an empty form", err)
	}
}
