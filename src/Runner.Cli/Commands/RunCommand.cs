using System.Globalization;
using Runner.Sweeps;
using Runner.Training.Engine;
using Spectre.Console;

namespace Runner.Cli.Commands;

public sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Summary => "run every trial of a sweep here, one after another, and print a summary";
    public string Help => """
        Usage: runner run FILE [--state DIR] [--data DIR] [--device D] [--threads N] [--rerun] [--no-progress]

        Runs the sweep's trials in this process, in plan order, and prints test accuracy as mean ± std over seeds for
        each configuration. Each finished trial is recorded in the state folder (state/trials/ID.json) as soon as it
        ends; running the same command again skips recorded trials, so an interrupted sweep resumes where it stopped,
        and a trial shared with another sweep (same id) is not run twice. (The cluster runtime, with parallel workers,
        comes with the actor runtime.)

        Options:
          --state DIR    state folder [$RUNNER_STATE or .runner]
          --data DIR     Fashion-MNIST folder (default: the sweep's target.data, then the usual search)
          --device D     auto | cpu | cuda | cuda:N [the sweep's resources.device]
          --threads N    torch threads, 0 = all cores [the sweep's resources.threads]
          --rerun        run trials again even when a result is recorded
          --no-progress  plain line-by-line output even on a terminal
        """;
    public IReadOnlyCollection<string> ValueOptions => new[] { "state", "data", "device", "threads" };
    public IReadOnlyCollection<string> FlagOptions => new[] { "rerun", "no-progress" };

    public int Execute(Arguments args, CliContext context)
    {
        string file = args.Single("a sweep FILE");
        var definition = SweepLoader.Load(file, args.Get("data"));
        var trials = SweepExpander.Expand(definition);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);
        var store = new TrialResultFiles(state);
        var env = new TrialEnvironment(new ArtifactStore(StateFolder.Artifacts(state)), args.Get("data"), definition.Target.DataDir,
            args.Get("device") ?? definition.Resources.Device, args.Int("threads", 0) ?? definition.Resources.Threads,
            Log: m => context.Error.WriteLine(m));
        if (!DeviceNames.IsValid(env.Device)) throw new UsageException($"--device must be auto, cpu, cuda or cuda:N, got '{env.Device}'");
        bool plain = args.Has("no-progress") || !context.IsTerminal;

        var results = new Dictionary<string, TrialResult>();
        int reused = 0, index = 0;
        foreach (var trial in trials)
        {
            index++;
            if (!args.Has("rerun") && store.Find(trial.Id) is { } recorded)
            {
                results[trial.Id] = recorded;
                reused++;
                continue;
            }
            context.Out.WriteLine($"[{index}/{trials.Count}]");
            var result = new TrialProgress(context, trial, plain, quiet: false).Run(onEpoch => TrialRunner.Run(trial, env, onEpoch, context.Cancel));
            store.Save(trial, result);
            results[trial.Id] = result;
            context.Out.WriteLine(TrialProgress.FormatOutcome(result));
        }
        if (reused > 0) context.Out.WriteLine($"{reused} of {trials.Count} trials were already recorded in {state} and were not run again (--rerun runs them).");
        PrintSummary(context, definition, trials, results);
        return 0;
    }

    /// <summary>Test accuracy per configuration (every swept value but the seed): mean ± std over seeds.</summary>
    static void PrintSummary(CliContext context, SweepDefinition definition, IReadOnlyList<TrialSpec> trials, Dictionary<string, TrialResult> results)
    {
        var swept = definition.Sweep.Parameters.Select(p => p.Name).ToList();
        var table = new Table().Border(TableBorder.Simple);
        foreach (string name in swept) table.AddColumn(name);
        table.AddColumn("test accuracy").AddColumn("seeds").AddColumn("best val (mean)");
        foreach (var group in trials.GroupBy(t => string.Join("|", swept.Select(s => SweepParameters.Format(t.Parameters()[s])))))
        {
            var done = group.Select(t => results[t.Id]).Where(r => r.Status == TrialStatus.Completed).ToList();
            var acc = done.Select(r => r.TestAccuracy!.Value).ToList();
            int diverged = group.Count(t => results[t.Id].Status == TrialStatus.Diverged);
            string cell = acc.Count == 0 ? "-" : Stats.MeanStd(acc);
            if (diverged > 0) cell += $" ({diverged} diverged)";
            var first = group.First().Parameters();
            table.AddRow(swept.Select(s => SweepParameters.Format(first[s]))
                .Append(cell).Append($"{acc.Count}/{group.Count()}")
                .Append(done.Count == 0 ? "-" : (done.Average(r => r.BestValAccuracy ?? 0) * 100).ToString("F2", CultureInfo.InvariantCulture) + "%")
                .Select(Markup.Escape).ToArray());
        }
        context.Console.Write(table);
    }
}

/// <summary>Mean and sample standard deviation, as people read them in papers: "93.12 ± 0.41%".</summary>
public static class Stats
{
    public static string MeanStd(IReadOnlyList<double> fractions)
    {
        double mean = fractions.Average();
        double std = fractions.Count < 2 ? 0 : Math.Sqrt(fractions.Sum(v => (v - mean) * (v - mean)) / (fractions.Count - 1));
        return fractions.Count < 2
            ? string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2}%")
            : string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2} ± {std * 100:F2}%");
    }
}
