using Runner.Sweeps;
using System.Globalization;
using Runner.Results;
using Runner.Reports.Report;

namespace Runner.Cli.Commands;

public sealed class ReportCommand : ICommand
{
    public string Name => "report";
    public string Summary => "write a self-contained HTML report of a sweep (tables, plots, environment)";
    public string Description => """
        One HTML file with no network fetches (inline CSS, plots as inline PNG): the sweep's parameters, the
        comparison table (freeze depth × dataset size, mean ± std over seeds, best learning rate per cell chosen on
        validation accuracy), the transfer gain over scratch, plots (test accuracy against dataset size on a log axis
        with ± std bands, validation curves of the best trials, learning-rate sensitivity) and the environment
        (versions, devices, workers, wall time, trials per hour).
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("SWEEP", "a sweep id, id prefix or name") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("out", "PATH", "a folder (report.html is written in it) or a file name ending in .html"),
        OptionSpec.Flag("png", "also write each plot as a PNG file next to the report"),
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        StateFolder.StoreOption,
    };

    public int Execute(Arguments args, CliContext context)
    {
        var store = ResultsAccess.Open(args, context);
        var sweep = ResultsAccess.FindSweep(store, args.Single("a SWEEP"));
        string outArg = args.Get("out") ?? throw new UsageException("--out DIR|FILE.html is required");
        string outPath = Path.GetFullPath(Path.Combine(context.WorkingDirectory, outArg));
        string file = outPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase) ? outPath : Path.Combine(outPath, "report.html");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);

        var trials = store.Trials(sweep.SweepId);
        var plots = HtmlReport.Plots.For(trials);
        File.WriteAllText(file, HtmlReport.Build(sweep, trials, plots, Environment(store, sweep, trials)));
        context.Out.WriteLine($"wrote {file}");
        if (args.Has("png"))
            foreach (var (name, png) in plots.All())
            {
                string path = Path.Combine(Path.GetDirectoryName(file)!, name + ".png");
                File.WriteAllBytes(path, png);
                context.Out.WriteLine($"wrote {path}");
            }
        return 0;
    }

    static Dictionary<string, string> Environment(ResultsStore store, SweepRecord sweep, IReadOnlyList<TrialRecord> trials)
    {
        var results = trials.Where(t => t.Result != null).Select(t => t.Result!).ToList();
        var env = new Dictionary<string, string>
        {
            ["Runner"] = typeof(ReportCommand).Assembly.GetName().Version?.ToString() ?? "?",
            [".NET"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["TorchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?",
            ["operating system"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["devices"] = string.Join(", ", results.Select(r => $"{r.Device} × {r.Threads} thread(s)").Distinct()),
            ["workers"] = trials.Select(t => t.Worker).Where(w => w != null && w != "reused").Distinct().Count().ToString(CultureInfo.InvariantCulture),
            ["training time (sum over trials)"] = $"{results.Sum(r => r.Seconds) / 60:F1} min",
        };
        // Which pretrained bases the trials started from (SHA-256): one per distinct pretraining, built once for the cluster.
        var bases = results.Where(r => r.BaseSha256 != null).GroupBy(r => r.BaseSha256!).ToList();
        if (bases.Count > 0)
            env["pretrained bases"] = string.Join("; ", bases.Select(b => $"{b.Key[..16]}… ({b.Count()} trial(s))"));
        if (store.LastUpdate(sweep.SweepId) is { } last && last > sweep.SubmittedAt)
        {
            var wall = last - sweep.SubmittedAt;
            env["wall time"] = $"{wall.TotalMinutes:F1} min (submission to last result)";
            env["trials per hour"] = (trials.Count(t => t.Status.HasResult()) / wall.TotalHours).ToString("F0", CultureInfo.InvariantCulture);
        }
        return env;
    }
}
