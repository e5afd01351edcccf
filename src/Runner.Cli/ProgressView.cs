using Runner.Sweeps;
using System.Globalization;
using Spectre.Console;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cli;

/// <summary>
/// Live progress of a sweep until it is finished or the user interrupts: on a terminal a live panel (progress bar,
/// ETA, one line per running trial with its worker, epoch, validation accuracy and speed, the best result so far);
/// elsewhere (CI, pipes, --no-progress) plain lines, printed only when something changed.
/// </summary>
public static class ProgressView
{
    public static SweepStatus Follow(Func<SweepProgress> poll, CliContext context, bool live)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = poll();
        int doneAtStart = first.Status.Done;
        if (live && context.IsTerminal)
        {
            SweepStatus status = first.Status;
            context.Console.Live(new Text("")).Start(display =>
            {
                var p = first;
                while (true)
                {
                    display.UpdateTarget(Panel(p, clock.Elapsed, Eta(p.Status, doneAtStart, clock.Elapsed)));
                    display.Refresh();
                    status = p.Status;
                    if (p.Status.Ended) return;
                    context.Cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
                    context.Cancel.ThrowIfCancellationRequested();
                    p = poll();
                }
            });
            context.Out.WriteLine(Summary(status, clock.Elapsed, null));
            return status;
        }

        string lastSummary = "";
        var lastEpochs = new Dictionary<string, int>();
        var progress = first;
        while (true)
        {
            string summary = Summary(progress.Status, clock.Elapsed, Eta(progress.Status, doneAtStart, clock.Elapsed), progress);
            string key = summary[..summary.IndexOf(" · ", StringComparison.Ordinal)];
            if (key != lastSummary)
            {
                context.Out.WriteLine(summary);
                lastSummary = key;
            }
            foreach (var r in progress.Running.Where(r => r.Epoch > 0 && lastEpochs.GetValueOrDefault(r.TrialId) != r.Epoch))
            {
                context.Out.WriteLine("  " + Running(r));
                lastEpochs[r.TrialId] = r.Epoch;
            }
            if (progress.Status.Ended) return progress.Status;
            context.Cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
            context.Cancel.ThrowIfCancellationRequested();
            progress = poll();
        }
    }


    /// <summary>Time left at the rate trials finished since this view started; null until one has.</summary>
    public static TimeSpan? Eta(SweepStatus s, int doneAtStart, TimeSpan elapsed)
    {
        int finishedHere = s.Done - doneAtStart;
        int left = s.Pending + s.Running;
        if (finishedHere <= 0 || left == 0) return left == 0 ? TimeSpan.Zero : null;
        return TimeSpan.FromSeconds(elapsed.TotalSeconds / finishedHere * left);
    }

    /// <summary>"[4/16] completed 4, running 2, pending 10, failed 0 · 12s · ETA 40s · best 93.40% (…)".</summary>
    public static string Summary(SweepStatus s, TimeSpan elapsed, TimeSpan? eta, SweepProgress? p = null)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{s.Done}/{s.Total}] completed {s.Completed}, running {s.Running}, pending {s.Pending}, failed {s.Failed}{(s.Cancelled > 0 ? $", cancelled {s.Cancelled}" : "")} · {Seconds(elapsed)}");
        if (eta != null && s.Pending + s.Running > 0) line += $" · ETA {Seconds(eta.Value)}";
        if (p?.BestValue is { } best) line += $" · best {Objective.Short(p.BestMetric, best)} ({p.BestParameters})";
        return line;
    }

    /// <summary>"worker W · trial ID (params) · epoch 2/5 · val 91.20% · 2400 img/s".</summary>
    public static string Running(RunningTrial r)
    {
        string val = r.ValAccuracy is { } v && double.IsFinite(v) ? FormattableString.Invariant($" · val {v * 100:F2}%") : "";
        string speed = r.ImagesPerSecond is { } ips ? FormattableString.Invariant($" · {ips:F0} img/s") : "";
        return $"{r.Worker} · trial {r.TrialId} ({r.Parameters}) · epoch {r.Epoch}/{r.Epochs}{val}{speed}";
    }

    static string Seconds(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:F0}s" : t.TotalMinutes < 120 ? $"{t.TotalMinutes:F1} min" : $"{t.TotalHours:F1} h";

    static Panel Panel(SweepProgress p, TimeSpan elapsed, TimeSpan? eta)
    {
        var s = p.Status;
        int width = 40, filled = s.Total == 0 ? 0 : (int)Math.Round(width * (double)s.Done / s.Total);
        var rows = new List<Spectre.Console.Rendering.IRenderable>
        {
            new Markup($"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] {Markup.Escape(Summary(s, elapsed, eta))}"),
        };
        var table = new Table().Border(TableBorder.Simple).AddColumn("worker").AddColumn("trial").AddColumn("epoch").AddColumn("val acc").AddColumn("img/s");
        foreach (var r in p.Running.OrderBy(r => r.Worker))
            table.AddRow(Markup.Escape(r.Worker), Markup.Escape($"{r.TrialId} ({r.Parameters})"), $"{r.Epoch}/{r.Epochs}",
                r.ValAccuracy is { } v && double.IsFinite(v) ? (v * 100).ToString("F2", CultureInfo.InvariantCulture) + "%" : "-",
                r.ImagesPerSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-");
        if (p.Running.Length > 0) rows.Add(table);
        if (p.BestValue is { } best)
            rows.Add(new Markup(Markup.Escape($"best so far: {Objective.Short(p.BestMetric, best)} ({p.BestParameters}, trial {p.BestTrial})")));
        return new Panel(new Rows(rows)).Header(Markup.Escape(s.SweepId)).Expand();
    }
}
