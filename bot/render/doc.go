// Package render turns the domain's values into Slack messages: Block Kit
// blocks with a plain-text fallback, modals, the App Home, and the PNG
// charts of scorecards and growth reviews. Renderer.Render is the one typed
// switch over every kind of outbox payload; PlainText turns blocks back into
// the text the console and the CLI show.
//
// Rendering is pure: the same value gives the same message, and nothing here
// reaches the network, the database or the clock (times are arguments). Its
// wording comes from the message templates (package templates). Golden files
// in testdata/golden hold the exact output; go test ./bot/render -update
// rewrites them.
//
// It imports only workflows, stats, templates, slack-go's block types and
// gonum's plotting, and is imported by the Slack router (bot), the outbox
// (bot/outbox) and the CLI.
package render
