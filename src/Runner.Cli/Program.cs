return Runner.Cli.CliApp.RunProcess(args, Runner.Cli.CliApp.Runner);
