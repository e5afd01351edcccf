using Runner.Results;
using System.Globalization;

namespace Runner.Reports.Tables;

/// <summary>How a cell reads: "93.12 ± 0.41% (n=3)" for accuracies, "93.12% (n=1)" for one seed, plain numbers otherwise; "(running)" when empty.</summary>
public static class CellText
{
    public static string Value(TableCell c, string metric, bool withChosen = true)
    {
        if (c.Mean == null) return $"({c.Missing})";
        bool percent = Metrics.IsFraction(metric.Replace("_gain", "", StringComparison.Ordinal));
        string sign = metric.EndsWith("_gain", StringComparison.Ordinal) && c.Mean >= 0 ? "+" : "";
        // One seed has no spread to show: "93.12%", not "93.12 ± 0.00%".
        string number = (percent, c.Std) switch
        {
            (true, { } sd) => string.Create(CultureInfo.InvariantCulture, $"{sign}{c.Mean * 100:F2} ± {sd * 100:F2}%"),
            (true, null) => string.Create(CultureInfo.InvariantCulture, $"{sign}{c.Mean * 100:F2}%"),
            (false, { } sd) => string.Create(CultureInfo.InvariantCulture, $"{sign}{c.Mean:G4} ± {sd:G3}"),
            (false, null) => string.Create(CultureInfo.InvariantCulture, $"{sign}{c.Mean:G4}"),
        };
        string seeds = c.Seeds == c.Trials ? $"n={c.Seeds}" : $"n={c.Seeds}/{c.Trials}";
        if (c.Spread is { } s)
        {
            double scale = percent ? 100 : 1;
            string within = s.Within is { } w ? string.Create(CultureInfo.InvariantCulture, $"{w * scale:G3}") : "-";
            seeds += string.Create(CultureInfo.InvariantCulture, $" over {s.Bases} bases: spread between ±{s.Between * scale:G3}, within ±{within}");
        }
        if (c.ShortClasses) seeds += ", some classes had fewer images";
        // A tuned cell says how its configuration was found: "lr=0.0031 by tpe, 12 trials".
        string? chosen = c.Chosen == null ? null : c.TunedBy == null ? c.Chosen : $"{c.Chosen} by {c.TunedBy}";
        return withChosen && chosen != null ? $"{number} ({seeds}, {chosen})" : $"{number} ({seeds})";
    }

    public static string Header(ComparisonTable t) =>
        $"{string.Join(" × ", t.RowParameters)} \\ {string.Join(" × ", t.ColumnParameters)}";
}
