using Runner.Results;
using System.Globalization;
using System.Text;
using Runner.Reports.Tables;
using Runner.Sweeps;
using Runner.Sweeps.Search;

namespace Runner.Reports.Report;

/// <summary>
/// One self-contained HTML file per sweep: what was swept, the comparison and transfer-gain tables, plots as inline
/// PNG, and the environment. No network fetches (inline CSS, data: URIs), so it opens anywhere and can be mailed.
/// </summary>
public static class HtmlReport
{
    public sealed record Plots(byte[]? AccuracyVsSize, byte[]? ValidationCurves, byte[]? LearningRate, byte[]? ParallelCoordinates = null)
    {
        public static Plots For(IReadOnlyList<TrialRecord> trials) =>
            new(SweepPlots.AccuracyVsDatasetSize(trials), SweepPlots.ValidationCurves(trials), SweepPlots.LearningRateSensitivity(trials),
                SweepPlots.ParallelCoordinates(ParameterView.Of(trials)));

        public IEnumerable<(string Name, byte[] Png)> All() =>
            new[] { ("accuracy-vs-dataset-size", AccuracyVsSize), ("validation-curves", ValidationCurves), ("learning-rate-sensitivity", LearningRate),
                    ("parallel-coordinates", ParallelCoordinates) }
                .Where(p => p.Item2 != null).Select(p => (p.Item1, p.Item2!));
    }

    /// <summary>
    /// How much of the objective's variance each swept parameter explains alone (<see cref="ParameterView"/>, as the
    /// dashboard shows it), over the finished trials; seeds are not parameters. Nothing when fewer than two parameters vary.
    /// </summary>
    static string Importance(IReadOnlyList<TrialRecord> trials)
    {
        if (ParameterView.Of(trials) is not { Axes.Count: > 2, Importance.Count: > 0 } view) return "";
        var html = new StringBuilder($"<h2>Parameter importance</h2><table><tr><th>parameter</th><th>share of {E(view.Objective)}'s variance</th></tr>");
        foreach (var (name, share) in view.Importance)
            html.Append($"<tr><td>{E(name)}</td><td class=\"num\">{(100 * share).ToString("F1", CultureInfo.InvariantCulture)}%</td></tr>");
        html.Append("</table><p class=\"muted\">Each parameter's first-order share of the objective's variance over the finished trials (its main effect, as fANOVA defines it, from binned means), scaled to sum to 100%. Interactions are not shown. The parallel-coordinates plot below shows every trial across the same parameters.</p>");
        return html.ToString();
    }

    /// <summary>What the data held back: classes that trained on fewer images than asked (uneven classes), and files skipped as unreadable.</summary>
    static string DataNotes(IReadOnlyList<TrialRecord> trials)
    {
        var withResult = trials.Where(t => t.Result != null).ToList();
        var shortOnes = withResult.Where(t => t.Result!.ClassesShortOf(t.Spec.DatasetSize)).ToList();
        var skipped = withResult.SelectMany(t => t.Result!.SkippedImages ?? []).Distinct().ToList();
        if (shortOnes.Count == 0 && skipped.Count == 0) return "";
        var html = new StringBuilder("<h2>Data</h2>");
        if (shortOnes.Count > 0)
        {
            var sizes = shortOnes.Select(t => t.Spec.DatasetSize).Distinct().Order().Select(s => SweepParameters.Format(s));
            var least = shortOnes.SelectMany(t => t.Spec.TargetClasses.Zip(t.Result!.TrainPerClass!)).GroupBy(p => p.First)
                .Select(g => (Class: g.Key, Images: g.Min(p => p.Second))).OrderBy(p => p.Images).Take(5);
            html.Append($"<p>{shortOnes.Count} trial(s) at dataset_size {E(string.Join(", ", sizes))} had classes with fewer training images, which trained on all they had (table cells say \"some classes had fewer images\"). Fewest: {E(string.Join(", ", least.Select(p => $"class {p.Class}: {p.Images}")))}.</p>");
        }
        if (skipped.Count > 0)
            html.Append($"<p>{skipped.Count} file(s) were left out as unreadable images (on_bad_image: skip): {E(string.Join(", ", skipped.Take(20)))}{(skipped.Count > 20 ? ", …" : "")}.</p>");
        return html.ToString();
    }

    public static string Build(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, Plots plots, IReadOnlyDictionary<string, string> environment)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(sweep.Name)}}: transfer-learning sweep report</title>
            <style>
              body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
              h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
              table { border-collapse: collapse; margin: .6em 0; } td, th { border: 1px solid #ccc; padding: .3em .6em; }
              th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
              td.best { font-weight: bold; background: #e7f6e7; } td.missing { color: #999; }
              td.gain-pos { color: #176b17; } td.gain-neg { color: #a11; }
              .muted { color: #666; } img { max-width: 100%; border: 1px solid #eee; margin: .5em 0; }
            </style></head><body>
            <h1>{{E(sweep.Name)}}</h1>
            <p class="muted">sweep {{E(sweep.SweepId)}} · submitted {{sweep.SubmittedAt:yyyy-MM-dd HH:mm}} UTC · {{trials.Count(t => t.Status.HasResult())}} of {{trials.Count}} trials completed</p>
            """);

        html.Append("<h2>Sweep definition</h2>");
        html.Append(Definition(trials));

        html.Append("<h2>Test accuracy by freeze depth and dataset size</h2>");
        var table = ComparisonTable.Build(trials, ComparisonTable.DefaultRows(trials), ComparisonTable.DefaultColumns);
        html.Append(Table(table));
        html.Append($"<p class=\"muted\">Mean ± std over seeds (n = seeds finished). Other swept parameters (e.g. the learning rate) are chosen per cell by the best mean of the sweep's objective on validation ({E(table.ChosenBy.Text)}), never by a test metric, and shown. Best per column highlighted.</p>");
        try
        {
            var gain = table.GainOverScratch();
            html.Append("<h2>Transfer gain over training from scratch</h2>");
            html.Append(Table(gain));
            html.Append("<p class=\"muted\">Each pretrained cell minus the scratch baseline at the same dataset size, in percentage points.</p>");
        }
        catch (ArgumentException) { /* no scratch baseline in this sweep */ }

        if (PerClassAccuracy.Of(trials) is { } perClass)
        {
            html.Append($"<h2>Per-class test accuracy at {(perClass.DatasetSize == SweepParameters.AllImages ? "all" : perClass.DatasetSize)} images per class</h2>");
            html.Append("<table><tr><th>" + E(string.Join(", ", ComparisonTable.DefaultRows(trials))) + " \\ class</th>");
            foreach (int c in perClass.Classes) html.Append($"<th>{c}</th>");
            html.Append("<th>trials</th></tr>");
            foreach (var row in perClass.Rows)
                html.Append($"<tr><th>{E(row.Name)}</th>{string.Concat(row.Accuracy.Select(a => $"<td class=\"num\">{(a is { } v ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) : "—")}</td>"))}<td class=\"num\">{row.Trials}</td></tr>");
            html.Append("</table><p class=\"muted\">Each class's share of its test images classified right, from each trial's confusion matrix, averaged over the row's finished trials (seeds and other swept parameters) at the largest dataset size.</p>");
        }

        html.Append(DataNotes(trials));
        html.Append(Importance(trials));

        html.Append("<h2>Plots</h2>");
        foreach (var (name, png) in plots.All())
            html.Append($"<figure><img alt=\"{E(name)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"></figure>");

        html.Append("<h2>Environment</h2><table>");
        foreach (var (key, value) in environment) html.Append($"<tr><th>{E(key)}</th><td>{E(value)}</td></tr>");
        html.Append("</table></body></html>\n");
        return html.ToString();
    }

    static string Definition(IReadOnlyList<TrialRecord> trials)
    {
        if (trials.Count == 0) return "<p>No trials.</p>";
        var first = trials[0].Spec;
        var swept = ComparisonTable.Swept(trials).ToHashSet();
        var rows = new StringBuilder("<table><tr><th>parameter</th><th>values</th></tr>");
        foreach (var (name, _) in first.Parameters())
        {
            var values = trials.Select(t => t.Spec.Parameters()[name]).Distinct().OrderBy(v => v as string ?? Convert.ToDouble(v).ToString("000000000.000000000", CultureInfo.InvariantCulture))
                .Select(SweepParameters.Format);
            rows.Append($"<tr><td>{E(name)}{(swept.Contains(name) ? " <span class=\"muted\">(swept)</span>" : "")}</td><td>{E(string.Join(", ", values))}</td></tr>");
        }
        var pretrain = trials.Select(t => t.Spec.Pretrain).FirstOrDefault(p => p != null);
        rows.Append($"<tr><td>model</td><td>{E(first.Model)}</td></tr>");
        rows.Append($"<tr><td>target</td><td>{E(first.TargetDataset)} classes {E(string.Join(", ", first.TargetClasses))}, {(first.ValidationPerClass > 0 ? $"{first.ValidationPerClass} validation images per class" : "validation on the folder's val/ split")}</td></tr>");
        if (first.WeightsPath != null)
            rows.Append($"<tr><td>base weights</td><td>{E(first.WeightsPath)} (SHA-256 {E(first.WeightsSha256 ?? "")})</td></tr>");
        if (first.DataPath != null)
            rows.Append($"<tr><td>image folder</td><td>{E(first.DataPath)}, {first.ImageSize} px{(first.Augment ? ", augmented" : "")}</td></tr>");
        if (pretrain != null)
            rows.Append($"<tr><td>pretraining</td><td>{E(pretrain.Dataset)} classes {E(string.Join(", ", pretrain.Classes))}, {pretrain.Epochs} epochs, lr {SweepParameters.Format(pretrain.LearningRate)}, {E(pretrain.Optimizer)}, seed {pretrain.Seed}</td></tr>");
        return rows.Append("</table>").ToString();
    }

    static string Table(ComparisonTable t)
    {
        var best = t.BestRowPerColumn();
        bool gain = t.Metric.EndsWith("_gain", StringComparison.Ordinal);
        var sb = new StringBuilder($"<table><tr><th>{E(CellText.Header(t))}</th>");
        foreach (string col in t.ColumnKeys) sb.Append($"<th>{E(col)}</th>");
        sb.Append("</tr>");
        foreach (string row in t.RowKeys)
        {
            sb.Append($"<tr><th>{E(row)}</th>");
            foreach (string col in t.ColumnKeys)
            {
                if (!t.Cells.TryGetValue((row, col), out var c)) { sb.Append("<td></td>"); continue; }
                string css = c.Mean == null ? "missing" : gain ? (c.Mean >= 0 ? "num gain-pos" : "num gain-neg")
                    : best.TryGetValue(col, out var b) && b == row ? "num best" : "num";
                sb.Append($"<td class=\"{css}\">{E(CellText.Value(c, t.Metric))}</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }

    /// <summary>Escapes markup only; the page is UTF-8, so "±" and "×" stay readable in the source.</summary>
    static string E(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
