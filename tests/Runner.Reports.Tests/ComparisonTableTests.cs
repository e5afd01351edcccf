using Runner.Results;
using Runner.Sweeps;
using Runner.Reports.Export;
using Runner.Reports.Tables;
using static Runner.Testing.Fixtures;

namespace Runner.Reports.Tests;

public class ComparisonTableTests
{
    static readonly string[] Rows = { "initialization", "freeze_depth" };
    static readonly string[] Cols = { "dataset_size" };

    static List<TrialRecord> Sweep() => new()
    {
        // pretrained, depth 2, size 10: lr 1e-3 has the better validation accuracy, lr 1e-2 the better test accuracy.
        Done("pretrained", 2, 1e-3, 10, 1, test: 0.80, val: 0.85), Done("pretrained", 2, 1e-3, 10, 2, test: 0.84, val: 0.86),
        Done("pretrained", 2, 1e-2, 10, 1, test: 0.90, val: 0.70), Done("pretrained", 2, 1e-2, 10, 2, test: 0.92, val: 0.72),
        // one seed only
        Done("pretrained", 2, 1e-3, 100, 1, test: 0.91, val: 0.90),
        Other("pretrained", 2, 1e-3, 100, 2, TrialStatus.Running),
        // scratch baseline
        Done("scratch", 0, 1e-3, 10, 1, test: 0.70, val: 0.71), Done("scratch", 0, 1e-3, 10, 2, test: 0.74, val: 0.73),
        Other("scratch", 0, 1e-3, 100, 1, TrialStatus.Pending), Other("scratch", 0, 1e-3, 100, 2, TrialStatus.Failed),
    };

    [Fact]
    public void A_tuned_cell_shows_the_searchs_winner_over_its_seeds_after_and_says_how_it_was_chosen()
    {
        static TrialRecord Tuned(TrialRecord r) => r with { Spec = r.Spec with { TunedBy = "tpe, 3 trials" } };
        var trials = new List<TrialRecord>
        {
            // The search, on seed 0: lr 1e-3 won on validation (0.90); its own test value (0.50) is not shown.
            Done("pretrained", 2, 1e-3, 10, 0, test: 0.50, val: 0.90), Done("pretrained", 2, 1e-2, 10, 0, test: 0.95, val: 0.85),
            Done("pretrained", 2, 3e-2, 10, 0, test: 0.60, val: 0.40),
            // The winner on seeds_after: worse on validation than lr 1e-2's single run, and still the cell's choice.
            Tuned(Done("pretrained", 2, 1e-3, 10, 1, test: 0.70, val: 0.80)), Tuned(Done("pretrained", 2, 1e-3, 10, 2, test: 0.72, val: 0.80)),
            Tuned(Done("pretrained", 2, 1e-3, 10, 3, test: 0.74, val: 0.80)),
        };
        var cell = ComparisonTable.Build(trials, Rows, Cols).Cells[("pretrained, 2", "10")];
        Assert.Equal("learning_rate=0.001", cell.Chosen);
        Assert.Equal((3, 3, "tpe, 3 trials"), (cell.Seeds, cell.Trials, cell.TunedBy));
        Assert.Equal(0.72, cell.Mean!.Value, 6);
        Assert.Equal("72.00 ± 2.00% (n=3, learning_rate=0.001 by tpe, 3 trials)", CellText.Value(cell, "test_accuracy"));
        // best-per-cell keeps the same three models.
        Assert.Equal(trials.Skip(3).Select(t => t.TrialId).ToHashSet(),
            KeptModels.Kept(KeptModels.BestPerCell, trials.Select(t => (t.Spec, t.Result!)).ToList()));
    }

    [Fact]
    public void A_cell_whose_classes_were_short_says_so_and_all_is_a_column_after_the_numbers()
    {
        static TrialRecord Used(TrialRecord t, params int[] perClass) => t with { Result = t.Result! with { TrainPerClass = perClass } };
        var trials = new List<TrialRecord>
        {
            Used(Done("pretrained", 2, 1e-3, 100, 1, test: 0.8, val: 0.8), 100, 100, 40, 100, 100),
            Used(Done("pretrained", 2, 1e-3, 10, 1, test: 0.7, val: 0.7), 10, 10, 10, 10, 10),
            Used(Done("pretrained", 2, 1e-3, SweepParameters.AllImages, 1, test: 0.9, val: 0.9), 500, 500, 40, 500, 500),
        };
        var table = ComparisonTable.Build(trials, Rows, Cols);
        Assert.Equal(new[] { "10", "100", "all" }, table.ColumnKeys);
        var cells = table.ColumnKeys.Select(c => table.Cells[(table.RowKeys[0], c)]).ToList();
        Assert.Equal(new[] { false, true, false }, cells.Select(c => c.ShortClasses));
        Assert.Equal("80.00% (n=1, some classes had fewer images)", CellText.Value(cells[1], table.Metric));
    }

    [Fact]
    public void The_best_learning_rate_per_cell_is_chosen_on_validation_accuracy_never_on_test_accuracy()
    {
        var t = ComparisonTable.Build(Sweep(), Rows, Cols);
        var cell = t.Cells[("pretrained, 2", "10")];
        Assert.Equal("learning_rate=0.001", cell.Chosen);
        Assert.Equal(0.82, cell.Mean!.Value, 10);
        Assert.Equal(Math.Sqrt(0.0008), cell.Std!.Value, 10); // sample std of 0.80 and 0.84
        Assert.Equal((2, 2), (cell.Seeds, cell.Trials));
    }

    [Fact]
    public void One_seed_has_no_known_spread_and_says_how_many_seeds_finished()
    {
        var table = ComparisonTable.Build(Sweep(), Rows, Cols);
        var cell = table.Cells[("pretrained, 2", "100")];
        Assert.Equal((0.91, null, 1, 2), (cell.Mean!.Value, cell.Std, cell.Seeds, cell.Trials));
        Assert.Equal("91.00% (n=1/2, learning_rate=0.001)", CellText.Value(cell, "test_accuracy"));
        Assert.Contains("\"std\": null", TableExport.Json(table));
    }

    [Fact]
    public void Rows_and_columns_say_their_values_by_parameter()
    {
        var table = ComparisonTable.Build(Sweep(), Rows, Cols);
        Assert.Equal(new Dictionary<string, string> { ["initialization"] = "scratch", ["freeze_depth"] = "0" }, table.RowValues("scratch, 0"));
        Assert.Equal(new Dictionary<string, string> { ["dataset_size"] = "100" }, table.ColumnValues("100"));
        Assert.Equal("scratch, 0", table.ScratchRow);
        Assert.Null(ComparisonTable.Build(Sweep().Where(t => t.Spec.Initialization == Initialization.Pretrained).ToList(), Rows, Cols).ScratchRow);
    }

    [Fact]
    public void Plot_legends_name_the_baseline_and_the_strategy_from_the_row_values()
    {
        Assert.Equal("scratch (no transfer)", Runner.Reports.Report.SweepPlots.Label(new Dictionary<string, string> { ["initialization"] = "scratch", ["freeze_depth"] = "0" }));
        Assert.Equal("pretrained, freeze 2", Runner.Reports.Report.SweepPlots.Label(new Dictionary<string, string> { ["initialization"] = "pretrained", ["freeze_depth"] = "2" }));
        var strategies = new List<TrialRecord>
        {
            Done("pretrained", 2, 1e-3, 10, 1, test: 0.8, val: 0.8),
            Done("pretrained", 2, 1e-3, 10, 1, test: 0.8, val: 0.8) is var d ? d with { Spec = d.Spec with { Strategy = Strategies.FineTune } } : null!,
        };
        var rows = ComparisonTable.DefaultRows(strategies);
        var table = ComparisonTable.Build(strategies, rows, Cols);
        Assert.Equal(new[] { "pretrained, feature-extraction, freeze 2", "pretrained, fine-tune, freeze 2" },
            table.RowKeys.Select(r => Runner.Reports.Report.SweepPlots.Label(table.RowValues(r))).Order());
    }

    [Fact]
    public void Empty_cells_say_why_running_before_pending_before_failed()
    {
        var t = ComparisonTable.Build(Sweep(), Rows, Cols);
        Assert.Equal("pending", t.Cells[("scratch, 0", "100")].Missing);
        var failedOnly = ComparisonTable.Build(new List<TrialRecord> { Other("scratch", 0, 1e-3, 100, 1, TrialStatus.Failed) }, Rows, Cols);
        Assert.Equal("(failed)", CellText.Value(failedOnly.Cells[("scratch, 0", "100")], "test_accuracy"));
    }

    [Fact]
    public void Pooling_instead_of_choosing_averages_every_learning_rate()
    {
        var cell = ComparisonTable.Build(Sweep(), Rows, Cols, over: ComparisonTable.Mean).Cells[("pretrained, 2", "10")];
        Assert.Equal((0.80 + 0.84 + 0.90 + 0.92) / 4, cell.Mean!.Value, 10);
        Assert.Null(cell.Chosen);
        Assert.Equal(4, cell.Seeds);
    }

    [Fact]
    public void Filters_restrict_the_trials_and_other_metrics_can_be_shown()
    {
        var t = ComparisonTable.Build(Sweep(), Rows, Cols, metric: "best_val_accuracy", where: new Dictionary<string, string> { ["learning_rate"] = "0.01" });
        Assert.Single(t.RowKeys);
        Assert.Equal(0.71, t.Cells[("pretrained, 2", "10")].Mean!.Value, 10);
        Assert.Throws<ArgumentException>(() => ComparisonTable.Build(Sweep(), Rows, Cols, metric: "accuracy"));
        Assert.Throws<ArgumentException>(() => ComparisonTable.Build(Sweep(), new[] { "freeze" }, Cols));
    }

    [Fact]
    public void The_transfer_gain_view_subtracts_the_scratch_baseline_at_the_same_dataset_size()
    {
        var gain = ComparisonTable.Build(Sweep(), Rows, Cols).GainOverScratch();
        Assert.Equal(new[] { "pretrained, 2" }, gain.RowKeys);
        Assert.Equal(0.82 - 0.72, gain.Cells[("pretrained, 2", "10")].Mean!.Value, 10);
        Assert.StartsWith("+10.00 ± ", CellText.Value(gain.Cells[("pretrained, 2", "10")], gain.Metric));
        Assert.Equal("(no baseline)", CellText.Value(gain.Cells[("pretrained, 2", "100")], gain.Metric));
    }

    [Fact]
    public void Markdown_marks_the_best_cell_of_each_column_and_csv_and_json_carry_every_cell()
    {
        var t = ComparisonTable.Build(Sweep(), Rows, Cols);
        string md = TableExport.Markdown(t);
        Assert.Contains("| initialization × freeze_depth \\ dataset_size | 10 | 100 |", md);
        Assert.Contains("| pretrained, 2 | **82.00 ± 2.83% (n=2, learning_rate=0.001)** |", md);
        Assert.Contains("| scratch, 0 | 72.00 ± 2.83% (n=2, learning_rate=0.001) | (pending) |", md);

        var csv = CsvText.Parse(TableExport.Csv(t));
        Assert.Equal(new[] { "initialization", "freeze_depth", "dataset_size", "metric", "mean", "std", "seeds", "trials", "chosen", "missing", "short_classes" }, csv[0]);
        var row = csv.Single(r => r[0] == "pretrained" && r[2] == "10");
        Assert.Equal(0.82, double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), 12);

        using var json = System.Text.Json.JsonDocument.Parse(TableExport.Json(t));
        Assert.Equal(4, json.RootElement.GetProperty("cells").GetArrayLength());
        Assert.Contains(json.RootElement.GetProperty("cells").EnumerateArray(), c => c.GetProperty("best").GetBoolean() && c.GetProperty("row").GetProperty("initialization").GetString() == "pretrained");
    }

    [Fact]
    public void A_sweep_over_strategies_gets_a_row_per_strategy_instead_of_the_best_one_per_cell()
    {
        TrialRecord With(string strategy, int seed, double test)
        {
            var t = Fixtures.Done("pretrained", 3, 1e-3, 100, seed, test, test);
            var spec = t.Spec with { Strategy = strategy };
            return t with { Spec = spec, TrialId = spec.Id, Result = t.Result! with { TrialId = spec.Id } };
        }
        var trials = new[] { With(Strategies.FeatureExtraction, 1, 0.80), With(Strategies.FeatureExtraction, 2, 0.82), With(Strategies.FineTune, 1, 0.90), With(Strategies.FineTune, 2, 0.92) };
        Assert.Equal(new[] { "initialization", "freeze_depth" }, ComparisonTable.DefaultRows(trials.Take(2).ToList()));
        var table = ComparisonTable.Build(trials, ComparisonTable.DefaultRows(trials), ComparisonTable.DefaultColumns);
        Assert.Equal(2, table.RowKeys.Count);
        Assert.Equal(new double?[] { 0.81, 0.91 }, table.RowKeys.Select(r => table.Cells[(r, table.ColumnKeys[0])].Mean).Select(m => (double?)Math.Round(m!.Value, 2)));
    }

    [Fact]
    public void Trials_from_several_bases_are_pooled_and_the_cell_says_how_much_spread_is_between_bases_and_how_much_within()
    {
        TrialRecord On(int baseSeed, int seed, double test)
        {
            var t = Done("pretrained", 2, 1e-3, 10, seed, test, val: 0.8);
            var spec = t.Spec with { Pretrain = t.Spec.Pretrain! with { Seed = baseSeed } };
            return t with { Spec = spec, TrialId = spec.Id };
        }
        // Base 0 gives 0.80 and 0.82, base 1 gives 0.90 and 0.92: most of the spread is between the bases.
        var trials = new List<TrialRecord> { On(0, 1, 0.80), On(0, 2, 0.82), On(1, 1, 0.90), On(1, 2, 0.92) };
        var cell = ComparisonTable.Build(trials, Rows, Cols).Cells[("pretrained, 2", "10")];
        Assert.Equal(4, cell.Seeds);
        Assert.Equal(0.86, cell.Mean!.Value, 6);
        Assert.Equal(2, cell.Spread!.Bases);
        Assert.Equal(Math.Sqrt(0.005), cell.Spread.Between, 6);   // std of 0.81 and 0.91
        Assert.Equal(Math.Sqrt(0.0002), cell.Spread.Within!.Value, 6);   // pooled std of ±0.01 within each base
        Assert.Contains("n=4 over 2 bases: spread between ±7.07, within ±1.41", CellText.Value(cell, "test_accuracy"));
        // One base: no spread line.
        Assert.Null(ComparisonTable.Build(trials.Take(2).ToList(), Rows, Cols).Cells[("pretrained, 2", "10")].Spread);
    }
}
