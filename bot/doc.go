// Package bot is growthbot's Slack transport and routing: slash commands,
// interactions and events (over HTTP or Socket Mode), each verified and
// recorded against replays, then dispatched through one route table
// (routes.go) to handlers that reach the domain only through Domain.
//
// Messages are drawn by bot/render and delivered by bot/outbox; the HTTP
// server and API are bot/httpapi, on which Slack.Mount mounts the Slack
// endpoints. bot imports render only: it wakes the outbox through
// Router.Notify, and must not import store or cmd.
package bot
