package main

import (
	"github.com/growthbot/growthbot/workflows"
)

// notBuilt answers for a command a later release fills in.
func notBuilt(e *env, name string, args []string) error {
	fs := newFlags(e, name)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return workflows.Errorf(workflows.EINVALID, "'growthbot %s' is not built yet", name)
}
