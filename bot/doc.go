// Package bot is growthbot's face to the network: Slack (slash commands,
// interactions, events, App Home, and the Web API through the outbox) and the
// HTTP API that services use to send data and read flags, with health and
// metrics endpoints.
//
// It depends on workflows for everything it does and must not import store
// or cmd: the domain is reached only through workflows' interfaces.
package bot
