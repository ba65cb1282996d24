package form

import (
	"regexp"
	"strings"
	"sync"
)

// Container image references, after the grammar of the distribution
// project (github.com/distribution/reference): [domain[:port]/]path[:tag][@digest].
const (
	refDomainPart = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	refDomain     = refDomainPart + `(?:\.` + refDomainPart + `)*(?::[0-9]+)?`
	refPathPart   = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
	refTag        = `[\w][\w.-]{0,127}`
	refDigest     = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
)

var imageRefRE = regexp.MustCompile(`^((?:` + refDomain + `/)?` + refPathPart + `(?:/` + refPathPart + `)*)(?::(` + refTag + `))?(?:@(` + refDigest + `))?$`)

// maxRefLen bounds a whole reference; the repository name itself is at most
// 255 characters.
const maxRefLen = 512

// imageRef is a parsed container image reference.
type imageRef struct {
	Repository string // normalised: docker.io/library/ubuntu
	Tag        string
	Digest     string
}

// parseImageRef parses a container image reference; false if it is not one.
func parseImageRef(s string) (imageRef, bool) {
	if len(s) > maxRefLen {
		return imageRef{}, false
	}
	m := imageRefRE.FindStringSubmatch(s)
	if m == nil || len(m[1]) > 255 {
		return imageRef{}, false
	}
	return imageRef{Repository: normaliseRepository(m[1]), Tag: m[2], Digest: m[3]}, true
}

// normaliseRepository makes equal the names a container runtime treats as
// equal: "ubuntu", "library/ubuntu" and "docker.io/library/ubuntu".
func normaliseRepository(name string) string {
	first, rest, found := strings.Cut(name, "/")
	hasDomain := found && (strings.ContainsAny(first, ".:") || first == "localhost" || first != strings.ToLower(first))
	if !hasDomain {
		first, rest = "docker.io", name
	}
	first = strings.ToLower(first)
	if first == "index.docker.io" {
		first = "docker.io"
	}
	if first == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return first + "/" + rest
}

// hasScheme reports a reference written as a URL, which no runtime pulls.
func hasScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.Contains(l, "://")
}

var patterns sync.Map // pattern → *regexp.Regexp

// compilePattern compiles a custom image pattern, anchored at both ends.
func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}
