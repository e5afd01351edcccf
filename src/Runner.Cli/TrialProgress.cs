using System.Globalization;
using Runner.Sweeps;
using Runner.Training.Engine;
using Spectre.Console;

namespace Runner.Cli;

/// <summary>
/// Shows a running trial: a live progress bar on a terminal, one plain line per epoch otherwise (CI, pipes,
/// --no-progress), nothing at all with --json.
/// </summary>
public sealed class TrialProgress(CliContext context, TrialSpec spec, bool plain, bool quiet)
{
    public TrialResult Run(Func<TrainingLoop.EpochCallback, TrialResult> run)
    {
        string title = $"trial {spec.Id} ({spec.Describe()})";
        if (quiet) return run(_ => true);
        if (plain)
        {
            context.Out.WriteLine(title);
            return run(e =>
            {
                context.Out.WriteLine(FormatEpoch(e, spec.Epochs));
                return true;
            });
        }
        TrialResult? result = null;
        context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(p =>
            {
                var task = p.AddTask(Markup.Escape(title), maxValue: spec.Epochs);
                result = run(e =>
                {
                    task.Increment(1);
                    task.Description = Markup.Escape($"{title} · epoch {e.Epoch}/{spec.Epochs} val {e.ValAccuracy:P1}");
                    return true;
                });
            });
        return result!;
    }

    public static string FormatEpoch(EpochMetrics e, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {e.Epoch}/{epochs}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P2} | val loss {e.ValLoss:F4} acc {e.ValAccuracy:P2} | {e.Seconds:F1}s {e.ImagesPerSecond:F0} img/s");

    public void PrintSummary(TrialResult r)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("epoch").AddColumn("train loss").AddColumn("train acc")
            .AddColumn("val loss").AddColumn("val acc").AddColumn("seconds").AddColumn("img/s");
        foreach (var e in r.Epochs)
            table.AddRow(e.Epoch.ToString(), F(e.TrainLoss, "F4"), F(e.TrainAccuracy, "P2"), F(e.ValLoss, "F4"), F(e.ValAccuracy, "P2"), F(e.Seconds, "F1"), F(e.ImagesPerSecond, "F0"));
        context.Console.Write(table);
        context.Out.WriteLine(FormatOutcome(r));
    }

    /// <summary>One line: how the trial ended and its headline numbers.</summary>
    public static string FormatOutcome(TrialResult r) => r.Status == TrialStatus.Diverged
        ? $"trial {r.TrialId}: diverged at epoch {r.DivergedAtEpoch}: {r.Message}"
        : string.Create(CultureInfo.InvariantCulture,
            $"trial {r.TrialId}: {r.Status.Text()}: test accuracy {r.TestAccuracy:P2}, best val {r.BestValAccuracy:P2} (epoch {r.BestEpoch}), last val {r.LastValAccuracy:P2}; {r.TrainableParameters:N0} of {r.TotalParameters:N0} parameters trained; {r.Seconds:F1}s on {r.Device}, {r.Threads} thread(s)");

    static string F(double v, string format) => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);
}
