package main

import "github.com/spf13/cobra"

// estateCommands are seed, import and export.
func estateCommands(g *globals) []*cobra.Command { return nil }
