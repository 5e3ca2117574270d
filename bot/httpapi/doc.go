// Package httpapi is growthbot's HTTP server and the API that services use:
// ingestion of exposures, events and KPIs (and Segment's track calls), the
// flags API and OFREP, health and Prometheus metrics. Server adds panic
// recovery and request accounting to every route, the Slack endpoints that
// package bot mounts on it included.
//
// Every API error goes through one function, apiReply (apierror.go), which
// maps the domain's error codes to HTTP statuses and logs only internal
// errors. It imports workflows and workflows/codec, never store or the Slack
// side.
package httpapi
