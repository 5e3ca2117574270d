// Package bot is growthbot's Slack transport and routing: slash commands,
// interactions and events (over HTTP or Socket Mode), each verified and
// recorded against replays, then dispatched through one route table
// (routes.go) to handlers that reach the domain only through Domain. It also
// serves the HTTP API that services use to send data and read flags, with
// health and metrics endpoints.
//
// Messages are drawn by bot/render and delivered by bot/outbox; bot imports
// render, never the outbox (it wakes it through Router.Notify), and must not
// import store or cmd.
package bot
