package form

import (
	"errors"
	"strings"
	"testing"

	"github.com/spawnhub/spawnhub/store"
)

// demoCommand is a command like the local backend's demo image.
var demoCommand = []string{"{{.Executable}}", "demo-server", "--listen", "{{.Host}}:{{.Port}}", "--base-url", "{{.BaseURL}}"}

func testConfig() Config {
	return Config{
		Images: []Image{
			{ID: "demo", Kind: KindDemo, Command: demoCommand, Default: true},
			{ID: "jupyter", Kind: KindJupyter, Command: []string{"/usr/bin/python3", "-m", "notebook"}, ReadyPath: "api/status"},
			{ID: "sas", Kind: KindSAS, Container: "sas:1", Groups: []string{"employees"}, EmailDomains: []string{"statcan.gc.ca"}},
		},
		Configurations: []Configuration{{ID: "proxy", Env: map[string]string{"HTTP_PROXY": "http://p", "A": "1"}}},
		Limits: Limits{
			CPU:           Range{Min: "0.1", Max: "4", Default: "1"},
			Memory:        Range{Min: "512Mi", Max: "16Gi", Default: "2Gi"},
			WorkspaceSize: Range{Min: "4Gi", Max: "32Gi", Default: "16Gi"},
			VolumeSize:    Range{Min: "1Gi", Max: "512Gi", Default: "64Gi"},
			MaxGPUs:       1,
		},
	}
}

func fieldOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	if err != nil {
		return "not a FieldError: " + err.Error()
	}
	return ""
}

func TestValidateName(t *testing.T) {
	for _, tt := range []struct{ name, in, wantErr string }{
		{"empty", "", "name"},
		{"upper case", "MyServer", "name"},
		{"underscore", "my_server", "name"},
		{"space", "my server", "name"},
		{"leading digit", "1server", "name"},
		{"leading dash", "-server", "name"},
		{"trailing dash", "server-", "name"},
		{"too long", strings.Repeat("a", 41), "name"},
		{"longest", strings.Repeat("a", 40), ""},
		{"one letter", "a", ""},
		{"ok", "my-server-1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldOf(ValidateName(tt.in)); got != tt.wantErr {
				t.Errorf("ValidateName(%q) field = %q, want %q", tt.in, got, tt.wantErr)
			}
		})
	}
}

func TestBuildSpecRules(t *testing.T) {
	alice := Requester{UserID: "alice", Email: "alice@example.com"}
	employee := Requester{UserID: "bob", Email: "bob@example.com", Groups: []string{"employees"}}
	statcan := Requester{UserID: "eve", Email: "eve@StatCan.gc.ca"}
	no := false
	for _, tt := range []struct {
		name      string
		who       Requester
		f         Form
		wantField string
		wantCode  string
	}{
		{"defaults", alice, Form{Name: "lab"}, "", ""},
		{"bad name", alice, Form{Name: "Lab"}, "name", "name.invalid"},
		{"unknown image", alice, Form{Name: "lab", Image: "nope"}, "image", "image.unknown"},
		{"forbidden image", alice, Form{Name: "lab", Image: "sas"}, "image", "image.forbidden"},
		{"image by group", employee, Form{Name: "lab", Image: "sas"}, "", ""},
		{"image by email domain", statcan, Form{Name: "lab", Image: "sas"}, "", ""},
		{"image and custom image", alice, Form{Name: "lab", Image: "demo", CustomImage: "x/y:1"}, "image", "image.conflict"},
		{"custom image not allowed", alice, Form{Name: "lab", CustomImage: "x/y:1"}, "customImage", "customImage.forbidden"},
		{"cpu garbage", alice, Form{Name: "lab", CPU: "lots"}, "cpu", "cpu.invalid"},
		{"cpu negative", alice, Form{Name: "lab", CPU: "-1"}, "cpu", "cpu.invalid"},
		{"cpu above max", alice, Form{Name: "lab", CPU: "8"}, "cpu", "cpu.range"},
		{"cpu below min", alice, Form{Name: "lab", CPU: "50m"}, "cpu", "cpu.range"},
		{"cpu millicores", alice, Form{Name: "lab", CPU: "500m"}, "", ""},
		{"cpu limit below request", alice, Form{Name: "lab", CPU: "2", CPULimit: "1"}, "cpuLimit", "cpuLimit.range"},
		{"cpu limit above max", alice, Form{Name: "lab", CPULimit: "5"}, "cpuLimit", "cpuLimit.range"},
		{"memory garbage", alice, Form{Name: "lab", Memory: "4GB"}, "memory", "memory.invalid"},
		{"memory above max", alice, Form{Name: "lab", Memory: "32Gi"}, "memory", "memory.range"},
		{"memory limit below request", alice, Form{Name: "lab", Memory: "4Gi", MemoryLimit: "2Gi"}, "memoryLimit", "memoryLimit.range"},
		{"gpus above max", alice, Form{Name: "lab", GPUs: 2}, "gpus", "gpus.range"},
		{"workspace too big", alice, Form{Name: "lab", Workspace: &WorkspaceForm{New: &NewVolumeForm{Size: "64Gi"}}}, "workspace.new.size", "volume.size.range"},
		{"workspace both", alice, Form{Name: "lab", Workspace: &WorkspaceForm{New: &NewVolumeForm{}, Existing: "old"}}, "workspace", "workspace.conflict"},
		{"data volume mount path", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{
			{Existing: "data", MountPath: "/home/jovyan/a"}, {New: &NewVolumeForm{Size: "1Gi"}, MountPath: "rel/path"}}},
			"dataVolumes[1].mountPath", "mountPath.invalid"},
		{"data volume duplicate mount", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{
			{Existing: "data", MountPath: "/d"}, {Existing: "other", MountPath: "/d"}}},
			"dataVolumes[1].mountPath", "mountPath.duplicate"},
		{"data volume neither", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{MountPath: "/d"}}}, "dataVolumes[0]", "dataVolume.required"},
		{"unknown configuration", alice, Form{Name: "lab", Configurations: []string{"nope"}}, "configurations[0]", "configuration.unknown"},
		{"bad language", alice, Form{Name: "lab", Language: "de"}, "language", "language.invalid"},
		{"everything", alice, Form{Name: "lab", Image: "jupyter", CPU: "2", CPULimit: "4", Memory: "4Gi", MemoryLimit: "8Gi",
			GPUs: 1, Configurations: []string{"proxy"}, SharedMemory: &no, Language: "fr"}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildSpec(testConfig(), tt.who, tt.f)
			if got := fieldOf(err); got != tt.wantField {
				t.Fatalf("BuildSpec field = %q, want %q (err %v)", got, tt.wantField, err)
			}
			if err == nil {
				return
			}
			var fe *FieldError
			errors.As(err, &fe)
			if fe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", fe.Code, tt.wantCode)
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("errors.Is(%v, ErrInvalidSpec) = false, want true", err)
			}
			if _, ok := FieldErrorCodes[fe.Code]; !ok {
				t.Errorf("code %q is missing from FieldErrorCodes", fe.Code)
			}
		})
	}
}

func TestBuildSpecDefaults(t *testing.T) {
	spec, err := BuildSpec(testConfig(), Requester{Language: "fr"}, Form{Name: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Spec{
		Image: "demo", Kind: KindDemo, CPU: "1", CPULimit: "1", Memory: "2Gi", MemoryLimit: "2Gi",
		Workspace: &store.Volume{Name: "lab-workspace", Size: "16Gi", New: true}, SharedMemory: true, Language: "fr",
	}
	if got := spec; got.Image != want.Image || got.Kind != want.Kind || got.CPU != want.CPU || got.CPULimit != want.CPULimit ||
		got.Memory != want.Memory || got.MemoryLimit != want.MemoryLimit || *got.Workspace != *want.Workspace ||
		got.SharedMemory != want.SharedMemory || got.Language != want.Language {
		t.Errorf("BuildSpec defaults = %+v (workspace %+v), want %+v", got, *got.Workspace, want)
	}
}

func TestBuildSpecConfigurationEnv(t *testing.T) {
	spec, err := BuildSpec(testConfig(), Requester{}, Form{Name: "lab", Configurations: []string{"proxy"}})
	if err != nil {
		t.Fatal(err)
	}
	got := spec.Env
	if len(got) != 2 || got[0] != (store.EnvVar{Name: "A", Value: "1"}) || got[1].Name != "HTTP_PROXY" {
		t.Errorf("Env = %v, want A=1 then HTTP_PROXY", got)
	}
}

func TestFieldErrorMessage(t *testing.T) {
	fe := fieldErr("cpu", "cpu.range", map[string]any{"min": "0.1", "max": "4"})
	if got, want := fe.Error(), "cpu: CPU must be between 0.1 and 4."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseQuantities(t *testing.T) {
	for _, tt := range []struct {
		in    string
		parse func(string) (int64, error)
		want  int64 // 0: error
	}{
		{"1", ParseCPU, 1000}, {"0.5", ParseCPU, 500}, {"500m", ParseCPU, 500}, {"0", ParseCPU, 0},
		{"1e3", ParseCPU, 1000000}, {"", ParseCPU, 0}, {"m", ParseCPU, 0}, {"0.0001", ParseCPU, 1},
		{"-1", ParseCPU, 0}, {"lots", ParseCPU, 0}, {"1 ", ParseCPU, 0},
		{"4Gi", ParseBytes, 4 << 30}, {"512Mi", ParseBytes, 512 << 20}, {"1G", ParseBytes, 1e9},
		{"1024", ParseBytes, 1024}, {"4GB", ParseBytes, 0}, {"Gi", ParseBytes, 0}, {"1e9", ParseBytes, 1e9},
		{"99999999999999Ei", ParseBytes, 0},
	} {
		got, err := tt.parse(tt.in)
		if tt.want == 0 && err == nil {
			t.Errorf("parse(%q) = %d, want an error", tt.in, got)
		}
		if tt.want != 0 && got != tt.want {
			t.Errorf("parse(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := testConfig().Validate(); err != nil {
		t.Errorf("Validate(test config) = %v, want nil", err)
	}
	bad := Config{
		Images: []Image{{ID: "Bad_ID", Kind: "vm"}, {ID: "x", Kind: KindDemo, Command: []string{"{{.Port"}}, {ID: "x", Kind: KindDemo, Container: "c"}},
		Limits: Limits{CPU: Range{Min: "4", Max: "1"}, Memory: Range{Default: "lots"}, MaxGPUs: -1},
	}
	err := bad.Validate()
	for _, want := range []string{"images[0].id", "images[0].kind", "images[0]: needs a command", "images[1].command[0]",
		"images[2].id: duplicate", "limits.cpu: min", "limits.memory.default", "limits.maxGPUs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestGenerateName(t *testing.T) {
	for range 100 {
		n := GenerateName("jupyter-notebook")
		if err := ValidateName(n); err != nil || !strings.HasPrefix(n, "jupyter-notebook-") || len(n) != len("jupyter-notebook-")+5 {
			t.Fatalf("GenerateName = %q (%v), want jupyter-notebook-xxxxx and valid", n, err)
		}
	}
}
