using System.Globalization;
using Runner.Sweeps;
using Spectre.Console;
using Runner.Results;

namespace Runner.Cli;

/// <summary>Test accuracy per configuration (every swept value but the seed): mean ± std over seeds.</summary>
public static class SweepSummary
{
    public static void Print(CliContext context, SweepDefinition definition, IReadOnlyList<TrialRecord> rows)
    {
        var swept = definition.Sweep.Parameters.Select(p => p.Name).ToList();
        var table = new Table().Border(TableBorder.Simple);
        foreach (string name in swept) table.AddColumn(name);
        table.AddColumn("test accuracy").AddColumn("seeds").AddColumn("best val (mean)");
        var order = SweepExpander.Expand(definition).Select((t, i) => (t.Id, i)).ToDictionary(x => x.Id, x => x.i);
        foreach (var group in rows.OrderBy(r => order.GetValueOrDefault(r.TrialId, int.MaxValue))
                     .GroupBy(r => string.Join("|", swept.Select(s => SweepParameters.Format(r.Spec.Parameters()[s])))))
        {
            var done = group.Where(r => r.Status == "completed" && r.Result?.Status == TrialStatus.Completed).Select(r => r.Result!).ToList();
            var acc = done.Select(r => r.TestAccuracy!.Value).ToList();
            int diverged = group.Count(r => r.Result?.Status == TrialStatus.Diverged);
            int failed = group.Count(r => r.Status == "failed");
            string cell = acc.Count == 0 ? "-" : Stats.MeanStd(acc);
            if (diverged > 0) cell += $" ({diverged} diverged)";
            if (failed > 0) cell += $" ({failed} failed)";
            var first = group.First().Spec.Parameters();
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
        if (fractions.Count < 2) return string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2}%");
        double std = Math.Sqrt(fractions.Sum(v => (v - mean) * (v - mean)) / (fractions.Count - 1));
        return string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2} ± {std * 100:F2}%");
    }
}
