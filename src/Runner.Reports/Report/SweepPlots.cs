using Runner.Results;
using Runner.Reports.Tables;
using Runner.Sweeps;
using ScottPlot;

namespace Runner.Reports.Report;

/// <summary>The report's pictures, as PNG bytes (ScottPlot).</summary>
public static class SweepPlots
{
    const int Width = 720, Height = 420;

    /// <summary>
    /// Test accuracy against images per class (log axis): one line per initialization × freeze depth, ± std band.
    /// dataset_size: all has no place on the axis (its classes differ) and is left to the tables.
    /// </summary>
    public static byte[]? AccuracyVsDatasetSize(IReadOnlyList<TrialRecord> trials)
    {
        var table = ComparisonTable.Build(trials, ComparisonTable.DefaultRows(trials), ComparisonTable.DefaultColumns);
        var sizes = table.ColumnKeys.Where(c => c != SweepParameters.AllImagesWord).ToList();
        if (sizes.Count == 0) return null;
        var plot = new Plot();
        foreach (var (row, i) in table.RowKeys.Select((r, i) => (r, i)))
        {
            var points = sizes.Where(c => table.Cells.TryGetValue((row, c), out var cell) && cell.Mean != null)
                .Select(c => (X: Math.Log10(double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)), Cell: table.Cells[(row, c)])).ToList();
            if (points.Count == 0) continue;
            var color = Colors.Category10[i % 10];
            double[] xs = points.Select(p => p.X).ToArray();
            double[] mean = points.Select(p => p.Cell.Mean!.Value * 100).ToArray();
            // The band where every point has a spread (two seeds or more).
            if (points.Count > 1 && points.All(p => p.Cell.Std != null))
            {
                var band = plot.Add.FillY(xs, points.Select(p => (p.Cell.Mean!.Value - p.Cell.Std!.Value) * 100).ToArray(),
                    points.Select(p => (p.Cell.Mean!.Value + p.Cell.Std!.Value) * 100).ToArray());
                band.FillStyle.Color = color.WithAlpha(0.15);
                band.LineStyle.Width = 0;
            }
            var line = plot.Add.Scatter(xs, mean);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LegendText = Label(table.RowValues(row));
        }
        LogTicks(plot, sizes.Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)));
        plot.Title("Test accuracy vs target data (mean ± std over seeds)");
        plot.XLabel("training images per target class (log scale)");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>The sweep objective per epoch (validation) of the best trial of each initialization × freeze depth (largest dataset size).</summary>
    public static byte[]? ValidationCurves(IReadOnlyList<TrialRecord> trials)
    {
        var finished = trials.Where(t => t.Status.HasMetrics() && t.Result is { Epochs.Count: > 0 }).ToList();
        if (finished.Count == 0) return null;
        int size = finished.Max(t => t.Spec.DatasetSize);
        var plot = new Plot();
        int i = 0;
        var rows = ComparisonTable.DefaultRows(finished);
        foreach (var group in finished.Where(t => t.Spec.DatasetSize == size).GroupBy(t => ComparisonTable.KeyText(ComparisonTable.ValuesOf(t, rows))).OrderBy(g => g.Key))
        {
            var best = group.MaxBy(t => t.Spec.Objective.Score(t.Result!))!;
            var objective = best.Spec.Objective;
            double scale = Objective.MaximizedByNature(objective.Metric) ? 100 : 1;
            var line = plot.Add.Scatter(best.Result!.Epochs.Select(e => (double)e.Epoch).ToArray(),
                best.Result.Epochs.Select(e => (objective.ValueOf(e) ?? double.NaN) * scale).ToArray());
            line.Color = Colors.Category10[i++ % 10];
            line.LineWidth = 2;
            line.LegendText = $"{Label(ComparisonTable.ValuesOf(best, rows))} (lr {SweepParameters.Format(best.Spec.LearningRate)}, seed {best.Spec.Seed})";
        }
        int epochs = finished.Max(t => t.Result!.Epochs.Count);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(1, epochs).Select(e => new Tick(e, e.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray());
        var goal = finished[0].Spec.Objective;
        plot.Title($"{goal.Metric} per epoch, best trials at {size} images per class");
        plot.XLabel("epoch");
        plot.YLabel(goal.Metric + (Objective.MaximizedByNature(goal.Metric) ? " (%)" : ""));
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Test accuracy against learning rate (log axis) at the largest dataset size: one line per freeze depth.</summary>
    public static byte[]? LearningRateSensitivity(IReadOnlyList<TrialRecord> trials)
    {
        if (trials.Select(t => t.Spec.LearningRate).Distinct().Count() < 2) return null;
        int size = trials.Max(t => t.Spec.DatasetSize);
        var table = ComparisonTable.Build(trials.Where(t => t.Spec.DatasetSize == size).ToList(),
            new[] { "initialization", "freeze_depth" }, new[] { "learning_rate" }, over: ComparisonTable.Mean);
        var plot = new Plot();
        foreach (var (row, i) in table.RowKeys.Select((r, i) => (r, i)))
        {
            var points = table.ColumnKeys.Where(c => table.Cells.TryGetValue((row, c), out var cell) && cell.Mean != null).ToList();
            if (points.Count == 0) continue;
            var line = plot.Add.Scatter(points.Select(c => Math.Log10(double.Parse(c, System.Globalization.CultureInfo.InvariantCulture))).ToArray(),
                points.Select(c => table.Cells[(row, c)].Mean!.Value * 100).ToArray());
            line.Color = Colors.Category10[i % 10];
            line.LineWidth = 2;
            line.LegendText = Label(table.RowValues(row));
        }
        LogTicks(plot, table.ColumnKeys.Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)));
        plot.Title($"Learning-rate sensitivity at {size} images per class (mean over seeds)");
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerLeft);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>
    /// Parallel coordinates: one vertical axis per swept parameter and one for the objective, each finished trial a line
    /// across them coloured by its objective (dark: worse, bright: better), the best one drawn last and thick. Ranges
    /// are written at each axis's ends; log axes say so. At most <paramref name="maxLines"/> lines (evenly chosen).
    /// </summary>
    public static byte[]? ParallelCoordinates(ParameterView? view, int maxLines = 2000)
    {
        if (view == null || view.Axes.Count < 2) return null;
        var plot = new Plot();
        var colours = new ScottPlot.Colormaps.Viridis();
        double lo = view.Lines.Min(l => l.Objective), hi = view.Lines.Max(l => l.Objective);
        double Goodness(double v) => hi <= lo ? 1 : view.Maximize ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo);
        int step = Math.Max(1, (view.Lines.Count + maxLines - 1) / maxLines);
        double[] xs = Enumerable.Range(0, view.Axes.Count).Select(i => (double)i).ToArray();
        foreach (var line in view.Lines.Where((_, i) => i % step == 0).OrderBy(l => Goodness(l.Objective)).Append(view.Lines.First(l => l.Best)))
        {
            var drawn = plot.Add.Scatter(xs, line.Positions);
            drawn.Color = colours.GetColor(Goodness(line.Objective)).WithAlpha(line.Best ? 1 : 0.6);
            drawn.LineWidth = line.Best ? 3 : 1;
            drawn.MarkerSize = line.Best ? 6 : 2;
        }
        for (int i = 0; i < view.Axes.Count; i++)
        {
            var a = view.Axes[i];
            plot.Add.VerticalLine(i, 1, Colors.Gray);
            string Bottom() => a.Numeric ? Number(a.Min) : a.Choices![0];
            string Top() => a.Numeric ? Number(a.Max) : a.Choices![^1];
            plot.Add.Text(Bottom(), i, -0.06).LabelFontSize = 11;
            plot.Add.Text(Top(), i, 1.08).LabelFontSize = 11;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            view.Axes.Select((a, i) => new Tick(i, a.Name + (a.Log ? " (log)" : ""))).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Array.Empty<Tick>());
        plot.Axes.SetLimits(-0.3, view.Axes.Count - 0.7, -0.15, 1.15);
        plot.Title($"Finished trials, parameters to {view.Objective} (bright: better)");
        return plot.GetImageBytes(Math.Max(Width, 160 * view.Axes.Count), Height, ImageFormat.Png);
    }

    static string Number(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A line's legend from its row's values: "scratch (no transfer)", "pretrained, freeze 2", or with strategies swept "pretrained, discriminative, freeze 2".</summary>
    public static string Label(IReadOnlyDictionary<string, string> row)
    {
        if (row.TryGetValue("initialization", out var init) && init == EnumText.Of(Initialization.Scratch)) return "scratch (no transfer)";
        var parts = row.Where(kv => kv.Key != "freeze_depth").Select(kv => kv.Value).ToList();
        if (row.TryGetValue("freeze_depth", out var depth)) parts.Add($"freeze {depth}");
        return string.Join(", ", parts);
    }

    static void LogTicks(Plot plot, IEnumerable<double> values)
    {
        var ticks = values.Distinct().OrderBy(v => v).Select(v => new Tick(Math.Log10(v), SweepParameters.Format(v))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
    }
}
