package conform

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/deskmock/deskmock/conformance"
	"github.com/deskmock/deskmock/internal/cmdline"
)

// mainBot runs the bot cases (--bot).
func mainBot(ctx context.Context, cfg *config, fs *cmdline.FlagSet, stdout io.Writer) int {
	if cfg.listChecks {
		writeCheckList(stdout, conformance.BotChecks())
		return ExitPass
	}
	cases, err := conformance.BuiltinBots()
	for _, dir := range cfg.casesDirs {
		if err != nil {
			break
		}
		var more []conformance.BotCase
		if more, err = conformance.LoadBotDir(dir); err == nil {
			cases = append(cases, more...)
			err = conformance.CheckUniqueBots(cases)
		}
	}
	if err != nil {
		return fs.UsageError("%v", err)
	}
	selected := conformance.SelectBots(cases, cfg.run, cfg.skip, cfg.version)
	if cfg.list {
		for _, c := range selected {
			fmt.Fprintln(stdout, c.Name)
		}
		return ExitPass
	}
	if len(selected) == 0 {
		return fs.UsageError("no bot case matches --run, --skip and --version")
	}
	known := map[string]bool{}
	if cfg.knownFailing != "" {
		if known, err = conformance.ReadKnownFailing(cfg.knownFailing, conformance.BotCasesAsCases(cases)); err != nil {
			return fs.UsageError("%v", err)
		}
	}
	if cfg.botURL == "" {
		if err := checkCommand(cfg.command[0]); err != nil {
			return fs.UsageError("%v", err)
		}
	}
	if !cfg.quiet {
		who := "bot: " + strings.Join(cfg.command, " ")
		if cfg.botURL != "" {
			who = "bot at " + cfg.botURL + ", one case at a time"
		}
		fmt.Fprintf(stdout, "deskmock conform --bot: %d cases, %s\n", len(selected), who)
	}
	rep, err := conformance.RunBots(ctx, conformance.BotOptions{
		Command:      cfg.command,
		BotURL:       cfg.botURL,
		Listen:       cfg.listen,
		Token:        cfg.token,
		Cases:        selected,
		Parallel:     cfg.parallel,
		Timeout:      cfg.timeout,
		StartTimeout: cfg.startTimeout,
		Grace:        cfg.grace,
		KnownFailing: known,
		OnListen: func(env []string) {
			fmt.Fprintf(stdout, "the mock listens; the bot's environment (DESKMOCK_VERSION as the cases ask):\n")
			for _, e := range env {
				fmt.Fprintf(stdout, "  %s\n", e)
			}
		},
		OnCase: func(r conformance.CaseResult) {
			if !cfg.quiet {
				conformance.WriteCaseLine(stdout, r)
			}
		},
	})
	if err != nil {
		return fs.Failure("%v", err) // the mock cannot listen, or the bot's URL does not answer
	}
	return finish(ctx, cfg, fs, stdout, rep)
}
