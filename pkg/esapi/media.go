package esapi

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// DefaultMaxBodySize is the largest request body accepted, after
// decompression, when Config.MaxBodySize is zero.
const DefaultMaxBodySize = 10 << 20

// compatibleVersions are the values of compatible-with accepted in
// application/vnd.elasticsearch+json.
var compatibleVersions = map[string]bool{"7": true, "8": true, "9": true}

// jsonMediaTypes are the request body types parsed as JSON.
var jsonMediaTypes = map[string]bool{
	"application/json":                       true,
	"application/x-ndjson":                   true,
	"application/vnd.elasticsearch+json":     true,
	"application/vnd.elasticsearch+x-ndjson": true,
}

// errTooLarge is returned by readBody for a body over the limit.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("request content is too large: it exceeds the limit of [%d] bytes", e.limit)
}

// errUnreadable is returned by readBody when the body could not be read
// to its end: the client was too slow (the server's read timeout) or went
// away.
type errUnreadable struct{ err error }

func (e errUnreadable) Error() string { return "read request body: " + e.err.Error() }

// readBody reads the request body, decoding a gzip or deflate
// Content-Encoding, up to limit bytes before and after decoding. A body
// announced larger than limit is refused unread.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errTooLarge{limit}
	}
	raw := http.MaxBytesReader(w, r.Body, limit)
	var body io.Reader = raw
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, api.Errorf(api.Invalid, "failed to decompress the request body: %v", err)
		}
		defer zr.Close()
		body = zr
	case "deflate":
		zr, err := zlib.NewReader(raw)
		if err != nil {
			return nil, api.Errorf(api.Invalid, "failed to decompress the request body: %v", err)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, api.Errorf(api.Invalid, "unsupported Content-Encoding [%s]", enc)
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errTooLarge{limit}
	}
	if err != nil {
		if body != raw && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrChecksum) ||
			errors.Is(err, io.ErrUnexpectedEOF) || isFlateError(err)) {
			return nil, api.Errorf(api.Invalid, "failed to decompress the request body: %v", err)
		}
		return nil, errUnreadable{err}
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge{limit}
	}
	return data, nil
}

func isFlateError(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}

// contentTypeError is Elasticsearch's 406 for a body it cannot parse.
type contentTypeError struct{ msg string }

func (e contentTypeError) Error() string { return e.msg }

// checkContentType checks the Content-Type of a request that has a body.
func checkContentType(header []string) error {
	if len(header) == 0 || strings.TrimSpace(strings.Join(header, "")) == "" {
		return contentTypeError{"Content-Type header is missing"}
	}
	value := header[0]
	mt, params, err := mime.ParseMediaType(value)
	if err != nil || !jsonMediaTypes[mt] {
		return contentTypeError{fmt.Sprintf("Content-Type header [%s] is not supported", strings.Join(header, ","))}
	}
	if v, ok := params["compatible-with"]; ok && !compatibleVersions[v] {
		return api.Errorf(api.BadStatus, "Content-Type version must be either version 7, 8 or 9, but found %s. Content-Type=%s", v, value)
	}
	return nil
}

// checkAccept checks the compatible-with versions an Accept header asks
// for. Any media type is answered with JSON.
func checkAccept(header []string) error {
	for _, h := range header {
		for _, part := range strings.Split(h, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil || !strings.HasPrefix(mt, "application/vnd.elasticsearch+") {
				continue
			}
			if v, ok := params["compatible-with"]; ok && !compatibleVersions[v] {
				return api.Errorf(api.BadStatus, "Accept version must be either version 7, 8 or 9, but found %s. Accept=%s", v, h)
			}
		}
	}
	return nil
}
