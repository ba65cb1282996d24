package form

import (
	"errors"
	"strings"
	"testing"
)

// policyConfig is testConfig with custom images, a GPU preset and a
// configuration that mounts a shared volume.
func policyConfig() Config {
	c := testConfig()
	c.Images = append(c.Images, Image{ID: "sas-org", Kind: KindSAS, Container: "registry.example.org/sas/sas:9.4", EmailDomains: []string{"statcan.gc.ca"}})
	c.AllowCustomImages = true
	c.CustomImagePattern = `registry\.example\.org/[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})`
	c.GPU = GPU{Preset: Preset{CPU: "6", Memory: "96Gi"}}
	c.Configurations = append(c.Configurations, Configuration{ID: "datasets",
		Volumes: []ConfigurationVolume{{Name: "shared", MountPath: "/home/jovyan/vol-1"}}})
	return c
}

func TestBuildSpecPolicy(t *testing.T) {
	alice := Requester{UserID: "alice", Email: "alice@example.com"}
	statcan := Requester{UserID: "eve", Email: "eve@statcan.gc.ca"}
	digest := "@sha256:" + strings.Repeat("a", 64)
	for _, tt := range []struct {
		name      string
		who       Requester
		f         Form
		wantField string
		wantCode  string
	}{
		{"custom image with tag", alice, Form{Name: "lab", CustomImage: "registry.example.org/team/img:1.2"}, "", ""},
		{"custom image with digest", alice, Form{Name: "lab", CustomImage: "registry.example.org/team/img" + digest}, "", ""},
		{"custom image without tag", alice, Form{Name: "lab", CustomImage: "registry.example.org/team/img"}, "customImage", "customImage.pattern"},
		{"custom image elsewhere", alice, Form{Name: "lab", CustomImage: "docker.io/evil/img:1"}, "customImage", "customImage.pattern"},
		{"custom image https", alice, Form{Name: "lab", CustomImage: "https://registry.example.org/team/img:1"}, "customImage", "customImage.scheme"},
		{"custom image http", alice, Form{Name: "lab", CustomImage: "http://registry.example.org/team/img:1"}, "customImage", "customImage.scheme"},
		{"custom image garbage", alice, Form{Name: "lab", CustomImage: "Registry Example/img"}, "customImage", "customImage.invalid"},
		{"custom image upper path", alice, Form{Name: "lab", CustomImage: "registry.example.org/Team/img:1"}, "customImage", "customImage.invalid"},
		{"SAS container as custom image", alice, Form{Name: "lab", CustomImage: "registry.example.org/sas/sas:9.4"}, "customImage", "image.forbidden"},
		{"SAS repository, other tag", alice, Form{Name: "lab", CustomImage: "registry.example.org/sas/sas:latest"}, "customImage", "image.forbidden"},
		{"SAS repository by digest", alice, Form{Name: "lab", CustomImage: "registry.example.org/sas/sas" + digest}, "customImage", "image.forbidden"},
		{"SAS short name of docker hub", alice, Form{Name: "lab", CustomImage: "docker.io/library/sas:2"}, "customImage", "image.forbidden"},
		{"SAS container, employee", statcan, Form{Name: "lab", CustomImage: "registry.example.org/sas/sas:9.4"}, "", ""},
		{"gpu ignores cpu", alice, Form{Name: "lab", GPUs: 1, CPU: "lots", Memory: "1Ti"}, "", ""},
		{"mount path with dots", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{Existing: "d", MountPath: "/home/jovyan/../etc"}}}, "dataVolumes[0].mountPath", "mountPath.invalid"},
		{"mount path home", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{Existing: "d", MountPath: "/home/jovyan"}}}, "dataVolumes[0].mountPath", "mountPath.reserved"},
		{"mount path etc", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{Existing: "d", MountPath: "/etc/x"}}}, "dataVolumes[0].mountPath", "mountPath.reserved"},
		{"same existing volume twice", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{Existing: "d"}, {Existing: "d"}}}, "dataVolumes[1].existing", "volume.duplicate"},
		{"new volume named like the workspace", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{New: &NewVolumeForm{Name: "lab-workspace"}}}}, "dataVolumes[0].new.name", "volume.duplicate"},
		{"configuration volume on a data volume's path", alice, Form{Name: "lab", DataVolumes: []DataVolumeForm{{Existing: "d"}}, Configurations: []string{"datasets"}}, "configurations[0]", "mountPath.duplicate"},
		{"long server name, default volume names", alice, Form{Name: strings.Repeat("a", 40), DataVolumes: []DataVolumeForm{{New: &NewVolumeForm{}}}}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := BuildSpec(policyConfig(), tt.who, tt.f)
			if got := fieldOf(err); got != tt.wantField {
				t.Fatalf("BuildSpec field = %q, want %q (err %v)", got, tt.wantField, err)
			}
			var fe *FieldError
			if errors.As(err, &fe) && fe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", fe.Code, tt.wantCode)
			}
			if err == nil && tt.f.CustomImage != "" && spec.ContainerImage != tt.f.CustomImage {
				t.Errorf("ContainerImage = %q, want %q", spec.ContainerImage, tt.f.CustomImage)
			}
		})
	}
}

func TestGPUPreset(t *testing.T) {
	spec, err := BuildSpec(policyConfig(), Requester{}, Form{Name: "lab", GPUs: 1, CPU: "1", CPULimit: "2", Memory: "4Gi"})
	if err != nil {
		t.Fatal(err)
	}
	if spec.GPUs != 1 || spec.CPU != "6" || spec.CPULimit != "6" || spec.Memory != "96Gi" || spec.MemoryLimit != "96Gi" {
		t.Errorf("GPU spec = gpus %d cpu %s/%s memory %s/%s, want 1, 6/6, 96Gi/96Gi", spec.GPUs, spec.CPU, spec.CPULimit, spec.Memory, spec.MemoryLimit)
	}
	spec, err = BuildSpec(policyConfig(), Requester{}, Form{Name: "lab", CPU: "2"})
	if err != nil || spec.CPU != "2" {
		t.Errorf("CPU server: cpu %q (%v), want the form's 2", spec.CPU, err)
	}
}

func TestParseImageRef(t *testing.T) {
	for _, tt := range []struct{ in, repo string }{
		{"ubuntu", "docker.io/library/ubuntu"},
		{"ubuntu:22.04", "docker.io/library/ubuntu"},
		{"library/ubuntu", "docker.io/library/ubuntu"},
		{"index.docker.io/library/ubuntu", "docker.io/library/ubuntu"},
		{"jupyter/base-notebook:x", "docker.io/jupyter/base-notebook"},
		{"localhost:5000/a/b@sha256:" + strings.Repeat("0", 64), "localhost:5000/a/b"},
		{"k8scc01covidacr.azurecr.io/sas:abc", "k8scc01covidacr.azurecr.io/sas"},
		{"", ""}, {"upper/X", ""}, {"a b", ""}, {"x:", ""}, {"x@sha256:12", ""}, {"/x", ""}, {strings.Repeat("a", 600), ""},
	} {
		r, ok := parseImageRef(tt.in)
		if ok != (tt.repo != "") || r.Repository != tt.repo {
			t.Errorf("parseImageRef(%q) = %q, %v; want %q", tt.in, r.Repository, ok, tt.repo)
		}
	}
}

func TestConfigValidatePolicy(t *testing.T) {
	c := policyConfig()
	c.CustomImagePattern = "registry.example.org/(unclosed"
	c.GPU.Preset.CPU = "six"
	c.Configurations = append(c.Configurations, Configuration{ID: "bad", Volumes: []ConfigurationVolume{{Name: "Bad", MountPath: "rel"}}})
	err := c.Validate()
	for _, want := range []string{"customImagePattern", "gpu.preset.cpu", "volumes[0].name", "volumes[0].mountPath"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	if err := policyConfig().Validate(); err != nil {
		t.Errorf("Validate(policy config) = %v, want nil", err)
	}
}
