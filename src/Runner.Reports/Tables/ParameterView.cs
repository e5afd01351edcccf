using Runner.Results;
using Runner.Sweeps;
using Runner.Sweeps.Search;

namespace Runner.Reports.Tables;

/// <summary>One vertical axis of a parallel-coordinates view: a swept parameter (numbers, on a log scale when they span two decades or more, or choices in their order) or the objective.</summary>
public sealed record ParameterAxisView(string Name, bool Numeric, bool Log, double Min, double Max, IReadOnlyList<string>? Choices);

/// <summary>One finished trial across the axes: each value's position in [0, 1] (bottom to top), its values as text, and its objective.</summary>
public sealed record ParameterLine(string TrialId, double[] Positions, string[] Values, double Objective, bool Best);

/// <summary>
/// A sweep's finished trials against the parameters it varied: the parallel-coordinates view (one axis per swept
/// parameter, seeds left out, then the objective on validation) and each parameter's importance
/// (<see cref="ParameterImportance"/>), for grid, random and search sweeps alike. The dashboard draws it from its
/// JSON and the report from the same object, so both show the same.
/// </summary>
public sealed record ParameterView(string Objective, bool Maximize, IReadOnlyList<ParameterAxisView> Axes, IReadOnlyList<ParameterLine> Lines,
    IReadOnlyList<(string Parameter, double Share)> Importance)
{
    /// <summary>Null when nothing finished or nothing was varied.</summary>
    public static ParameterView? Of(IReadOnlyList<TrialRecord> trials)
    {
        var finished = trials.Where(t => t.Status.HasMetrics() && t.Result != null && t.Spec.Objective.ValueOf(t.Result) is { } v && double.IsFinite(v)).ToList();
        if (finished.Count == 0) return null;
        var swept = ComparisonTable.Swept(finished).Where(p => p != "seed").ToList();
        if (swept.Count == 0) return null;
        var objective = finished[0].Spec.Objective;
        var values = finished.Select(t => t.Spec.Parameters()).ToList();   // once per trial, not per parameter
        var axes = swept.Select(p => AxisOf(p, values.Select(v => v[p]).ToList())).ToList();
        var scores = finished.Select(t => objective.ValueOf(t.Result!)!.Value).ToList();
        var goal = new ParameterAxisView(objective.Metric, true, false, scores.Min(), scores.Max(), null);
        // One best line (the first of equals), as the tables pick one configuration.
        int best = Enumerable.Range(0, scores.Count).MaxBy(i => objective.Score(scores[i]));
        var lines = finished.Select((t, i) => new ParameterLine(t.TrialId,
            axes.Select(a => Position(a, values[i][a.Name])).Append(Position(goal, scores[i])).ToArray(),
            swept.Select(p => SweepParameters.Format(values[i][p])).Append(scores[i].ToString("G4", System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            scores[i], i == best)).ToList();
        var importance = ParameterImportance.Of(finished.Select((t, i) =>
            ((IReadOnlyDictionary<string, object>)swept.ToDictionary(p => p, p => values[i][p]), objective.Score(t.Result!))).ToList());
        return new ParameterView(objective.Metric, objective.Maximize, axes.Append(goal).ToList(), lines, importance);
    }

    static ParameterAxisView AxisOf(string name, List<object> values)
    {
        if (values[0] is string)
        {
            var info = SweepParameters.Find(name);
            // Choices in the parameter's own order (pretrained before scratch), else as first seen.
            var seen = values.Select(v => (string)v).Distinct().ToList();
            var order = info?.Choices?.Where(seen.Contains).ToList() ?? seen;
            return new ParameterAxisView(name, false, false, 0, order.Count - 1, order.Concat(seen.Except(order)).ToList());
        }
        // dataset_size: all has no place on a numeric axis: the sizes become choices, all last.
        if (values.Any(v => v is SweepParameters.AllImages))
            return new ParameterAxisView(name, false, false, 0, 0, values.Select(Convert.ToInt64).Distinct().Order().Select(v => SweepParameters.Format((int)v)).ToList());
        var numbers = values.Select(Convert.ToDouble).Where(double.IsFinite).ToList();
        double min = numbers.Min(), max = numbers.Max();
        bool log = min > 0 && max / min >= 100;
        return new ParameterAxisView(name, true, log, min, max, null);
    }

    static double Position(ParameterAxisView a, object value)
    {
        if (!a.Numeric) return a.Choices!.Count < 2 ? 0.5 : a.Choices.ToList().IndexOf(SweepParameters.Format(value)) / (double)(a.Choices.Count - 1);
        double v = Convert.ToDouble(value);
        if (a.Max <= a.Min) return 0.5;
        return a.Log ? (Math.Log(v) - Math.Log(a.Min)) / (Math.Log(a.Max) - Math.Log(a.Min)) : (v - a.Min) / (a.Max - a.Min);
    }
}
