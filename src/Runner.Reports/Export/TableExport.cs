using Runner.Results;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Runner.Reports.Tables;
using Runner.Sweeps;

namespace Runner.Reports.Export;

/// <summary>A comparison table as Markdown (pastes into a README), CSV (one line per cell) or JSON.</summary>
public static class TableExport
{
    public static string Markdown(ComparisonTable t)
    {
        var best = t.BestRowPerColumn();
        var sb = new StringBuilder();
        sb.AppendLine($"| {CellText.Header(t)} | {string.Join(" | ", t.ColumnKeys)} |");
        sb.AppendLine($"|{string.Concat(Enumerable.Repeat(" --- |", t.ColumnKeys.Count + 1))}");
        foreach (string row in t.RowKeys)
        {
            var cells = t.ColumnKeys.Select(col =>
            {
                if (!t.Cells.TryGetValue((row, col), out var c)) return "";
                string text = CellText.Value(c, t.Metric).Replace("|", "\\|", StringComparison.Ordinal);
                return best.TryGetValue(col, out var b) && b == row ? $"**{text}**" : text;
            });
            sb.AppendLine($"| {row} | {string.Join(" | ", cells)} |");
        }
        sb.AppendLine();
        sb.AppendLine($"{t.Metric}: mean ± std over seeds (n = seeds finished){(t.Over == ComparisonTable.Best ? $"; other swept parameters chosen per cell by {t.ChosenBy.Text} on validation" : "; other swept parameters pooled")}; best per column in bold.");
        return sb.ToString();
    }

    public static string Csv(ComparisonTable t)
    {
        var sb = new StringBuilder();
        var header = t.RowParameters.Concat(t.ColumnParameters).Concat(new[] { "metric", "mean", "std", "seeds", "trials", "chosen", "missing", "short_classes" });
        sb.AppendLine(string.Join(",", header.Select(CsvText.Quote)));
        foreach (string row in t.RowKeys)
            foreach (string col in t.ColumnKeys)
            {
                if (!t.Cells.TryGetValue((row, col), out var c)) continue;
                var fields = t.RowValues(row).Values.Concat(t.ColumnValues(col).Values).Concat(new[]
                {
                    t.Metric, Num(c.Mean), Num(c.Std), c.Seeds.ToString(CultureInfo.InvariantCulture),
                    c.Trials.ToString(CultureInfo.InvariantCulture), c.Chosen ?? "", c.Missing ?? "", c.ShortClasses ? "true" : "false",
                });
                sb.AppendLine(string.Join(",", fields.Select(CsvText.Quote)));
            }
        return sb.ToString();
    }

    public static string Json(ComparisonTable t)
    {
        var best = t.BestRowPerColumn();
        var doc = new
        {
            metric = t.Metric,
            // How to show the values (fractions as percentages) and whether a transfer-gain view exists: the
            // dashboard shows what the table says rather than guessing from names.
            fraction = Metrics.IsFraction(t.Metric),
            scratch_baseline = t.ScratchRow != null,
            over = t.Over,
            rows = t.RowParameters,
            columns = t.ColumnParameters,
            cells = t.RowKeys.SelectMany(row => t.ColumnKeys.Where(col => t.Cells.ContainsKey((row, col))).Select(col =>
            {
                var c = t.Cells[(row, col)];
                return new
                {
                    row = t.RowValues(row), column = t.ColumnValues(col), mean = c.Mean, std = c.Std,
                    seeds = c.Seeds, trials = c.Trials, chosen = c.Chosen, tuned_by = c.TunedBy, missing = c.Missing, short_classes = c.ShortClasses,
                    best = best.TryGetValue(col, out var b) && b == row,
                };
            })),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    static string Num(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
