using System.Globalization;
using Runner.Results;
using Runner.Reports.Export;
using Runner.Sweeps;
using Spectre.Console;

namespace Runner.Cli.Commands;

/// <summary>`runner sweeps`: the sweeps of a state folder with their progress and age.</summary>
public sealed class SweepsCommand : ICommand
{
    public string Name => "sweeps";
    public string Summary => "list the sweeps recorded in the state folder";
    public string Description => """
        Every sweep of the state folder: id, name, trials completed/failed/total, and when it was submitted.
        """;
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        var store = ResultsAccess.Open(args, context);
        var table = new Table().Border(TableBorder.Simple).AddColumn("sweep").AddColumn("name").AddColumn("done").AddColumn("failed").AddColumn("submitted");
        foreach (var s in store.Sweeps())
        {
            var trials = store.Trials(s.SweepId);
            var age = DateTime.UtcNow - s.SubmittedAt;
            table.AddRow(Markup.Escape(s.SweepId), Markup.Escape(s.Name), $"{trials.Count(t => t.Status.HasResult())}/{trials.Count}",
                trials.Count(t => t.Status == TrialStatus.Failed).ToString(CultureInfo.InvariantCulture),
                age.TotalHours >= 24 ? $"{age.TotalDays:F0} d ago" : age.TotalMinutes >= 60 ? $"{age.TotalHours:F0} h ago" : $"{age.TotalMinutes:F0} min ago");
        }
        context.Console.Write(table);
        return 0;
    }
}

/// <summary>`runner trials SWEEP`: one row per trial.</summary>
public sealed class TrialsCommand : ICommand
{
    public string Name => "trials";
    public string Summary => "one row per trial of a sweep (table, or lossless CSV/JSON)";
    public string Description => """
        Every trial: id, swept parameters, status, attempts, test and best validation accuracy, seconds, whether its
        model is kept (`runner export`), worker.
        CSV and JSON carry every parameter and metric (epochs included) at full precision and read back losslessly.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id, id prefix or name") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("status", "S", "only trials in that state: pending, running, completed, stopped, diverged, failed, cancelled"),
        new("format", "F", "table | csv | json [table]"),
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        var store = ResultsAccess.Open(args, context);
        var sweep = ResultsAccess.FindSweep(store, args.Single("a SWEEP"));
        var wanted = args.Get("status") is { } s ? EnumText.TryParse<TrialStatus>(s)
            ?? throw new UsageException($"--status must be one of {string.Join(", ", EnumText.Names<TrialStatus>())}, got '{s}'") : (TrialStatus?)null;
        var trials = store.Trials(sweep.SweepId).Where(t => wanted == null || t.Status == wanted).ToList();
        switch (args.Get("format") ?? "table")
        {
            case "csv": context.Out.Write(TrialExport.Csv(trials)); return 0;
            case "json": context.Out.WriteLine(TrialExport.Json(trials, sweep.SweepId)); return 0;
            case "table": break;
            case var f: throw new UsageException($"--format must be table, csv or json, got '{f}'");
        }
        var swept = Runner.Reports.Tables.ComparisonTable.Swept(store.Trials(sweep.SweepId)).ToList();
        var table = new Table().Border(TableBorder.Simple).AddColumn("trial");
        foreach (string p in swept) table.AddColumn(p);
        foreach (string c in new[] { "status", "attempts", "test acc", "best val", "seconds", "model", "worker" }) table.AddColumn(c);
        var models = ResultsAccess.Models(args, context);
        foreach (var t in trials)
        {
            var values = t.Spec.Parameters();
            table.AddRow(swept.Select(p => SweepParameters.Format(values[p])).Prepend(t.TrialId)
                .Append(t.Status.Text()).Append(t.Attempts.ToString(CultureInfo.InvariantCulture))
                .Append(Percent(t.Result?.TestAccuracy)).Append(Percent(t.Result?.BestValAccuracy))
                .Append(t.Result == null ? "" : t.Result.Seconds.ToString("F1", CultureInfo.InvariantCulture))
                .Append(models?.GetRef(KeptModels.RefName(t.TrialId)) != null ? "kept" : "")
                .Append(t.Worker ?? (t.Failure == null ? "" : "last failure: " + t.Failure))
                .Select(Markup.Escape).ToArray());
        }
        context.Console.Write(table);
        context.Out.WriteLine($"{trials.Count} trial(s)");
        return 0;
    }

    static string Percent(double? v) => v == null ? "" : (v.Value * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";
}

/// <summary>`runner trial-log SWEEP TRIAL`: the epochs of one trial.</summary>
public sealed class TrialLogCommand : ICommand
{
    public string Name => "trial-log";
    public string Summary => "the per-epoch metrics of one trial";
    public string Description => """
        Train and validation loss and accuracy, seconds and images per second for every epoch of the trial (an id
        prefix is enough), then its final metrics.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id, id prefix or name"), new("TRIAL", "a trial id or id prefix") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        if (args.Positional.Count != 2) throw new UsageException("'trial-log' takes a SWEEP and a TRIAL");
        var store = ResultsAccess.Open(args, context);
        var sweep = ResultsAccess.FindSweep(store, args.Positional[0]);
        var trial = ResultsAccess.FindTrial(store, sweep, args.Positional[1]);
        context.Out.WriteLine($"trial {trial.TrialId} of {sweep.SweepId}: {trial.Status.Text()}, attempt(s) {trial.Attempts}{(trial.Failure == null ? "" : ", last failure: " + trial.Failure)}");
        if (trial.Result == null)
        {
            context.Out.WriteLine("no epochs recorded yet");
            return 0;
        }
        new TrialProgress(context, trial.Spec, plain: true, quiet: false).PrintSummary(trial.Result);
        return 0;
    }
}
