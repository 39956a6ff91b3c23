// Package api is the contract between every part of apikeyctl and apikeyd:
// the request and response structs exactly as they travel on the wire, the
// strict decoders for request bodies, the error vocabulary (Error and Code)
// and the Service interface with one method per REST endpoint.
//
// It depends on nothing but the standard library, so that the service, the
// HTTP layer, the HTTP client and the CLI can all share it.
package api
