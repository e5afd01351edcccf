using Runner.Results;
using Runner.Sweeps;

namespace Runner.Reports.Tables;

/// <summary>
/// One cell: the metric over seeds, how many seeds finished out of how many trials, what was chosen, or why it is
/// empty. When its trials start from several pretrained bases (base.pretrain.seed as a list) the values are pooled
/// over bases and trial seeds, and <paramref name="Spread"/> says how much of the spread is between bases and how
/// much within one. <paramref name="ShortClasses"/>: in some of its trials a class had fewer training images than
/// the cell's dataset_size and trained on all it had (uneven classes). <paramref name="TunedBy"/>: the configuration is
/// the winner of a per-cell search (<c>sweep.tune</c>: "tpe, 12 trials"), shown over its seeds_after only.
/// </summary>
public sealed record TableCell(double? Mean, double? Std, int Seeds, int Trials, string? Chosen, string? Missing, BaseSpread? Spread = null,
    bool ShortClasses = false, string? TunedBy = null);

/// <summary>
/// The spread of a cell whose trials come from several bases: <paramref name="Between"/> is the standard deviation of
/// the per-base means, <paramref name="Within"/> the pooled standard deviation inside each base (null when no base
/// has two values).
/// </summary>
public sealed record BaseSpread(int Bases, double Between, double? Within)
{
    public static BaseSpread? Of(IEnumerable<(int Base, double Value)> values)
    {
        var byBase = values.GroupBy(v => v.Base).Select(g => g.Select(v => v.Value).ToList()).ToList();
        if (byBase.Count < 2) return null;
        double between = Metrics.MeanStd(byBase.Select(b => b.Average()).ToList()).Std!.Value;
        int freedom = byBase.Sum(b => b.Count - 1);
        // A base with one value adds nothing to the pooled spread (its weight, Count - 1, is zero).
        double? within = freedom == 0 ? null
            : Math.Sqrt(byBase.Sum(b => { double s = Metrics.MeanStd(b).Std ?? 0; return (b.Count - 1) * s * s; }) / freedom);
        return new BaseSpread(byBase.Count, between, within);
    }
}

/// <summary>
/// The answer to "what should I freeze, at what learning rate, for how much data": a pivot of a sweep's trials.
/// Rows and columns are swept parameters (default: initialization × freeze_depth by dataset_size); seeds are
/// aggregated as mean ± std; every other swept parameter (the "rest", e.g. learning_rate) is either chosen per cell
/// by the best mean of the sweep's objective on validation (<see cref="ChosenBy"/>; never by the test metric) and
/// shown, or pooled (<c>over = mean</c>).
/// A cell with no finished trial says why: running, pending, failed or diverged.
/// </summary>
public sealed record ComparisonTable(
    IReadOnlyList<string> RowParameters,
    IReadOnlyList<string> ColumnParameters,
    string Metric,
    string Over,
    IReadOnlyList<string> RowKeys,
    IReadOnlyList<string> ColumnKeys,
    IReadOnlyDictionary<(string Row, string Column), TableCell> Cells,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> KeyValues,
    Objective ChosenBy)
{
    public const string Best = "best", Mean = "mean";

    /// <summary>What a row key stands for: each row parameter and its value (no splitting of the key's text).</summary>
    public IReadOnlyDictionary<string, string> RowValues(string rowKey) => KeyValues[rowKey];

    /// <summary>What a column key stands for: each column parameter and its value.</summary>
    public IReadOnlyDictionary<string, string> ColumnValues(string columnKey) => KeyValues[columnKey];

    public static ComparisonTable Build(IReadOnlyList<TrialRecord> trials, IReadOnlyList<string> rows, IReadOnlyList<string> columns,
        string metric = "test_accuracy", string over = Best, IReadOnlyDictionary<string, string>? where = null)
    {
        if (over is not (Best or Mean)) throw new ArgumentException($"--over must be best or mean, got '{over}'");
        Metrics.Check(metric);
        var selected = trials.Where(t => where == null || Matches(t, where)).ToList();
        var rest = Swept(selected).Except(rows).Except(columns).Where(p => p != "seed").ToList();

        var keyValues = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        string Key(TrialRecord t, IReadOnlyList<string> ps)
        {
            var values = ValuesOf(t, ps);
            string key = KeyText(values);
            keyValues.TryAdd(key, values);
            return key;
        }
        var rowKeys = Ordered(selected, rows, Key);
        var colKeys = Ordered(selected, columns, Key);
        var cells = new Dictionary<(string, string), TableCell>();
        foreach (var group in selected.GroupBy(t => (Key(t, rows), Key(t, columns))))
            cells[group.Key] = MakeCell(group.ToList(), rest, metric, over);
        return new ComparisonTable(rows, columns, metric, over, rowKeys, colKeys, cells, keyValues,
            selected.FirstOrDefault()?.Spec.Objective ?? Objective.Default);
    }

    /// <summary>A trial with metrics to show: completed, or stopped early by ASHA (its metrics at that point).</summary>
    static bool Finished(TrialRecord t) => t.Status.HasMetrics() && t.Result != null;

    static TableCell MakeCell(List<TrialRecord> trials, List<string> rest, string metric, string over)
    {
        if (!trials.Any(Finished)) return new TableCell(null, null, 0, trials.Count, null, WhyMissing(trials));
        List<TrialRecord> use = trials;
        string? chosen = null;
        if (over == Best && rest.Count > 0)
        {
            // Model selection on the objective's validation values only: the test metric never picks the configuration.
            var configurations = trials.GroupBy(t => string.Join(", ", rest.Select(p => $"{p}={Value(t, p)}"))).Where(g => g.Any(Finished))
                .ToDictionary(g => g.Key, g => g.ToList());
            chosen = KeptModels.BestConfiguration(configurations.Select(c => (c.Key, c.Value.Where(Finished).ToList())), t => t.Spec.Objective.Score(t.Result!), t => t.Spec)!;
            use = KeptModels.Shown(configurations[chosen], t => t.Spec);
        }
        string? tunedBy = use.Select(t => t.Spec.TunedBy).FirstOrDefault(b => b != null);
        var measured = use.Where(Finished).Select(t => (Base: t.Spec.Pretrain?.Seed ?? 0, Value: Metrics.Of(t.Result!, metric)))
            .Where(v => v.Value != null).Select(v => (v.Base, Value: v.Value!.Value)).ToList();
        if (measured.Count == 0) return new TableCell(null, null, 0, use.Count, chosen, "no value", TunedBy: tunedBy);
        var (mean, std) = Metrics.MeanStd(measured.Select(v => v.Value).ToList());
        bool shortClasses = use.Any(t => Finished(t) && t.Result!.ClassesShortOf(t.Spec.DatasetSize));
        return new TableCell(mean, std, measured.Count, use.Count, chosen, null, BaseSpread.Of(measured), shortClasses, tunedBy);
    }

    static string WhyMissing(List<TrialRecord> trials)
    {
        // The first of these that any trial of the cell is in says why the cell is empty.
        foreach (var status in new[] { TrialStatus.Running, TrialStatus.Pending, TrialStatus.Diverged, TrialStatus.Failed })
            if (trials.Any(t => t.Status == status)) return status.Text();
        return trials.FirstOrDefault()?.Status.Text() ?? "no trials";
    }

    /// <summary>Keys in a stable, readable order: numbers numerically, "pretrained" before "scratch".</summary>
    static List<string> Ordered(List<TrialRecord> trials, IReadOnlyList<string> ps, Func<TrialRecord, IReadOnlyList<string>, string> key) =>
        trials.GroupBy(t => key(t, ps)).OrderBy(g => g.First(), new ParameterOrder(ps)).Select(g => g.Key).ToList();

    sealed class ParameterOrder(IReadOnlyList<string> ps) : IComparer<TrialRecord>
    {
        public int Compare(TrialRecord? a, TrialRecord? b)
        {
            foreach (string p in ps)
            {
                object x = a!.Spec.Parameters()[p], y = b!.Spec.Parameters()[p];
                int c = x is string sx ? string.CompareOrdinal(sx, (string)y) : Convert.ToDouble(x).CompareTo(Convert.ToDouble(y));
                if (c != 0) return c;
            }
            return 0;
        }
    }

    /// <summary>
    /// The rows the question is about: initialization × freeze depth, with the strategy between them when the trials
    /// compare strategies (otherwise it would be chosen per cell like any other parameter).
    /// </summary>
    public static IReadOnlyList<string> DefaultRows(IReadOnlyList<TrialRecord> trials) =>
        trials.Select(t => t.Spec.StrategyName).Distinct().Count() > 1
            ? new[] { "initialization", "strategy", "freeze_depth" }
            : new[] { "initialization", "freeze_depth" };

    public static readonly IReadOnlyList<string> DefaultColumns = new[] { "dataset_size" };

    /// <summary>Parameters that take more than one value among these trials.</summary>
    public static IEnumerable<string> Swept(IReadOnlyList<TrialRecord> trials) =>
        trials.Count == 0 ? Enumerable.Empty<string>()
            : trials[0].Spec.Parameters().Keys.Where(p => trials.Select(t => Value(t, p)).Distinct().Count() > 1);

    /// <summary>A trial's values of <paramref name="parameters"/>, in their order, as tables print them.</summary>
    public static IReadOnlyDictionary<string, string> ValuesOf(TrialRecord t, IReadOnlyList<string> parameters)
    {
        var values = new OrderedDictionary<string, string>();
        foreach (string p in parameters) values[p] = Value(t, p);
        return values;
    }

    /// <summary>How a row or column reads: its values joined by ", " ("pretrained, 2").</summary>
    public static string KeyText(IReadOnlyDictionary<string, string> values) => string.Join(", ", values.Values);

    /// <summary>Filters written PARAMETER=VALUE (`--where`, the API's where=), as <see cref="Matches"/> takes them.</summary>
    public static Dictionary<string, string> ParseWhere(IEnumerable<string> filters)
    {
        var where = new Dictionary<string, string>();
        foreach (string w in filters)
        {
            int eq = w.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"where takes PARAMETER=VALUE, got '{w}'");
            where[w[..eq]] = w[(eq + 1)..];
        }
        return where;
    }

    /// <summary>Whether a trial has every value of <paramref name="where"/> (--where P=V), as the tables filter.</summary>
    public static bool Matches(TrialRecord t, IReadOnlyDictionary<string, string> where) => where.All(w => Value(t, w.Key) == w.Value);

    public static string Value(TrialRecord t, string parameter) =>
        t.Spec.Parameters().TryGetValue(parameter, out var v) ? SweepParameters.Format(v)
            : throw new ArgumentException($"unknown parameter '{parameter}'; known: {string.Join(", ", t.Spec.Parameters().Keys)}");

    /// <summary>The best cell of each column (highest mean; lowest for losses and times).</summary>
    public IReadOnlyDictionary<string, string> BestRowPerColumn()
    {
        bool lowerIsBetter = Metric is "test_loss" or "seconds";
        var best = new Dictionary<string, string>();
        foreach (string col in ColumnKeys)
        {
            var candidates = RowKeys.Where(r => Cells.TryGetValue((r, col), out var c) && c.Mean.HasValue).ToList();
            if (candidates.Count == 0) continue;
            best[col] = lowerIsBetter ? candidates.MinBy(r => Cells[(r, col)].Mean)! : candidates.MaxBy(r => Cells[(r, col)].Mean)!;
        }
        return best;
    }

    /// <summary>The row of training from scratch, when initialization is a row parameter and the trials have one.</summary>
    public string? ScratchRow => RowParameters.Contains("initialization")
        ? RowKeys.FirstOrDefault(r => RowValues(r)["initialization"] == EnumText.Of(Initialization.Scratch)) : null;

    /// <summary>
    /// Transfer gain: every pretrained row minus the scratch row in the same column (same dataset size), so the sign
    /// says whether pretraining helped. Needs initialization among the row parameters.
    /// </summary>
    public ComparisonTable GainOverScratch()
    {
        if (!RowParameters.Contains("initialization")) throw new ArgumentException("the transfer-gain view needs initialization among the rows");
        if (ScratchRow is not { } scratchRow) throw new ArgumentException("the sweep has no scratch baseline to compare with");
        var cells = new Dictionary<(string, string), TableCell>();
        foreach (string row in RowKeys.Where(r => r != scratchRow))
            foreach (string col in ColumnKeys)
            {
                if (!Cells.TryGetValue((row, col), out var c)) continue;
                if (!Cells.TryGetValue((scratchRow, col), out var s) || s.Mean == null || c.Mean == null)
                {
                    cells[(row, col)] = c with { Mean = null, Std = null, Missing = c.Missing ?? "no baseline" };
                    continue;
                }
                // Seeds differ between the two cells' trials, so the spread of the difference is combined.
                double? std = c.Std is { } a && s.Std is { } b ? Math.Sqrt(a * a + b * b) : null;
                cells[(row, col)] = c with { Mean = c.Mean - s.Mean, Std = std };
            }
        return this with { RowKeys = RowKeys.Where(r => r != scratchRow).ToList(), Cells = cells, Metric = Metric + "_gain" };
    }
}
