return Runner.Cli.CliApp.RunProcess(args, Runner.Bench.Benchmark.Program);
