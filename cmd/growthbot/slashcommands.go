package main

import (
	"flag"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// The names of the slash commands, when a workspace installs growthbot
// under others (another app already owns /exp, say). They must match the
// Slack manifest's slash_commands.
const (
	envExpCommand    = "GROWTHBOT_EXP_COMMAND"
	envGrowthCommand = "GROWTHBOT_GROWTH_COMMAND"
)

// commandNameFlags adds --exp-command and --growth-command; the returned
// function checks them once the flags are parsed.
func commandNameFlags(e *env, fs *flag.FlagSet) func() (render.CommandNames, error) {
	exp := fs.String("exp-command", envOr(e, envExpCommand, "/exp"),
		"the name the experiment command is installed under in Slack, as in the manifest (env "+envExpCommand+")")
	growth := fs.String("growth-command", envOr(e, envGrowthCommand, "/growth"),
		"the name the growth command is installed under in Slack, as in the manifest (env "+envGrowthCommand+")")
	return func() (render.CommandNames, error) {
		names := render.CommandNames{Exp: *exp, Growth: *growth}
		if err := names.Validate(); err != nil {
			return names, usageError("--exp-command %s --growth-command %s: %s", *exp, *growth, workflows.ErrorMessage(err))
		}
		return names, nil
	}
}
