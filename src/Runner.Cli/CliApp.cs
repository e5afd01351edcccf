using Runner.Cli.Commands;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;

namespace Runner.Cli;

/// <summary>
/// Dispatches a command line to its verb and turns every expected failure into one clear line and an exit code:
/// 0 success, 1 a run that failed (missing data, native library), 2 bad input (usage, sweep file), 130 interrupted.
/// Stack traces never reach the console; RUNNER_DEBUG=1 prints them for developers.
/// </summary>
public static class CliApp
{
    public static readonly IReadOnlyList<ICommand> Commands = new ICommand[]
    {
        new ValidateCommand(), new PlanCommand(), new TrialCommand(), new RunCommand(), new CoordinatorCommand(), new WorkerCommand(),
        new SubmitCommand(), new StatusCommand(), SweepActionCommand.Cancel(), SweepActionCommand.Resume(),
        new ResultsCommand(), new TrialsCommand(), new TrialLogCommand(), new SweepsCommand(), new ReportCommand(), new ExportCommand(), new ModelsCommand(), new CertsCommand(), new TokenCommand(), new MigrateCommand(), new CompletionCommand("runner"),
        new TrainerProcessCommand(),
    };

    public static int Run(string[] args, CliContext context) => Run(args, context, Runner);

    /// <summary>
    /// A program's Main: the console as context. Ctrl-C asks the running trial to stop between batches, and SIGTERM
    /// (docker stop, kill, systemd) is the same polite request, so a worker leaves the cluster instead of being torn
    /// down under its own reconnect loop; a second signal takes the default path and ends the process at once.
    /// </summary>
    public static int RunProcess(string[] args, Program program)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            if (cancel.IsCancellationRequested) return;
            context.Cancel = true;
            cancel.Cancel();
        });
        return Run(args, CliContext.ForProcess(cancel.Token), program);
    }

    /// <summary>A program's name, what it is for, and its verbs: `runner`, or the benchmarks' `runner-bench`.</summary>
    public sealed record Program(string Name, string Purpose, IReadOnlyList<ICommand> Commands);

    public static readonly Program Runner = new("runner",
        "Runner sweeps transfer-learning experiments: freeze depth × learning rate × dataset size × seeds.", Commands);

    public static int Run(string[] args, CliContext context, Program program)
    {
        var (runner, Commands) = (program.Name, program.Commands);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            context.Out.WriteLine(Usage(program));
            return args.Length == 0 ? 2 : 0;
        }
        // Shell completion (see `runner completion`): [suggest:POSITION] "LINE".
        if (args.Length == 2 && args[0].StartsWith("[suggest:", StringComparison.Ordinal) && int.TryParse(args[0][9..^1], out int position))
        {
            foreach (string item in new CommandLine(program).Complete(args[1], position)) context.Out.WriteLine(item);
            return 0;
        }
        if (args[0] == "--version")
        {
            context.Out.WriteLine(typeof(CliApp).Assembly.GetName().Version);
            return 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
            string? closest = DidYouMean.Closest(args[0], Commands.Select(c => c.Name));
            context.Error.WriteLine($"{runner}: unknown command '{args[0]}'{(closest == null ? "" : $" (did you mean '{closest}'?)")}; see {runner} --help");
            return 2;
        }
        try
        {
            var parsed = new CommandLine(program).Parse(args, context.Out);
            return parsed == null ? 0 : command.Execute(parsed, context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"{runner} {command.Name}: {e.Message} (see {runner} {command.Name} --help)");
            return 2;
        }
        catch (Exception e) when (e is SweepConflictException or BadRequestException)
        {
            context.Error.WriteLine($"{runner} {command.Name}: {e.Message}");
            return 2;
        }
        catch (SweepFileException e)
        {
            foreach (var error in e.Errors) context.Error.WriteLine(error);
            return 2;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine(command.Name == "run"
                ? "runner run: interrupted; finished trials are recorded: run the same command again to resume"
                : $"{runner} {command.Name}: interrupted");
            return 130;
        }
        catch (Exception e) when (e is DataException or TorchUnavailableException or CommandFailedException or Training.Models.WeightFileException
                                   or Cluster.Hosting.StateFolderBusyException or Cluster.Hosting.StoreBusyException)
        {
            context.Error.WriteLine($"{runner} {command.Name}: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            context.Error.WriteLine($"{runner} {command.Name}: unexpected error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("RUNNER_DEBUG") == "1") context.Error.WriteLine(e);
            else context.Error.WriteLine("(set RUNNER_DEBUG=1 to see the stack trace)");
            return 1;
        }
    }

    public static string Usage(Program program) =>
        $"Usage: {program.Name} COMMAND [options]   ({program.Name} COMMAND --help for each)\n\n{program.Purpose}\n\nCommands:\n" +
        string.Join("\n", program.Commands.Where(c => !c.Hidden).Select(c => $"  {c.Name,-12} {c.Summary}"));
}
