namespace Runner.Sweeps.Search;

/// <summary>
/// How much of the objective's variation each swept parameter explains on its own: its first-order (main-effect)
/// share of the variance, the quantity fANOVA estimates (Hutter et al., 2014), here from binned means rather than a
/// random forest. For each parameter the trials are grouped by its value (numbers with more than
/// <see cref="Bins"/> distinct values in equal-count bins by rank, so log-spaced values need no special case); its effect is the
/// count-weighted variance of the group means; effects are then scaled to sum to 1, as Optuna reports importances.
/// Works for grid, random and TPE sweeps alike. A parameter with one value explains nothing and is left out.
/// </summary>
public static class ParameterImportance
{
    public const int Bins = 10;

    /// <param name="trials">each trial's swept values and its objective score (higher better; NaN and infinities ignored)</param>
    /// <returns>parameter → share of the explained variance, largest first (empty when the scores do not vary)</returns>
    public static IReadOnlyList<(string Parameter, double Importance)> Of(IReadOnlyList<(IReadOnlyDictionary<string, object> Values, double Score)> trials)
    {
        var usable = trials.Where(t => double.IsFinite(t.Score)).ToList();
        if (usable.Count < 2) return Array.Empty<(string, double)>();
        double mean = usable.Average(t => t.Score);
        double total = usable.Sum(t => (t.Score - mean) * (t.Score - mean));
        if (total <= 0) return Array.Empty<(string, double)>();

        var effects = new List<(string, double)>();
        foreach (string name in usable[0].Values.Keys)
        {
            var groups = Group(usable.Select(t => t.Values[name]).ToList());
            if (groups.Distinct().Count() < 2) continue;
            double between = usable.Select((t, i) => (Group: groups[i], t.Score)).GroupBy(x => x.Group)
                .Sum(g => g.Count() * Math.Pow(g.Average(x => x.Score) - mean, 2));
            effects.Add((name, between / total));
        }
        double sum = effects.Sum(e => e.Item2);
        return sum <= 0 ? effects.Select(e => (e.Item1, 0.0)).ToList()
            : effects.Select(e => (e.Item1, e.Item2 / sum)).OrderByDescending(e => e.Item2).ToList();
    }

    /// <summary>Each trial's group for one parameter: its value, or its bin when a number takes many values.</summary>
    static int[] Group(List<object> values)
    {
        var distinct = values.Distinct().ToList();
        if (distinct.Count <= Bins || values.Any(v => v is not (int or double)))
            return values.Select(v => distinct.IndexOf(v)).ToArray();
        var numbers = values.Select(Convert.ToDouble).ToArray();
        var order = Enumerable.Range(0, numbers.Length).OrderBy(i => numbers[i]).ToArray();
        var bin = new int[numbers.Length];
        for (int rank = 0; rank < order.Length; rank++) bin[order[rank]] = rank * Bins / order.Length;
        return bin;
    }
}
