using System.Text.Json;
using Runner.Results;
using Runner.Reports.Export;
using Runner.Sweeps;

namespace Runner.Cli.Tests;

public class ResultsCommandTests
{
    static readonly PretrainSpec Pretrain = new("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 3, 1e-3, 0, 64, "adam");

    static TrialRecord Trial(string init, int depth, double lr, int size, int seed, double? test, string status = "completed")
    {
        var spec = new TrialSpec("convnet4", EnumText.Parse<Initialization>(init) == Initialization.Scratch ? null : Pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, EnumText.Parse<Initialization>(init), depth, lr, size, 5, 64, "adam", 0, 0.9, seed);
        var result = test == null ? null : new TrialResult(spec.Id, TrialStatus.Completed,
            new[] { new EpochMetrics(1, 0.61, 0.7, 0.5, test.Value - 0.02, 1.5, 3000), new EpochMetrics(2, 0.41, 0.8, 0.4, test.Value - 0.01, 1.4, 3100) },
            test - 0.01, 2, test - 0.01, test, 0.3, 1000, 130_405, 3.1, "cpu", 2);
        return new TrialRecord("demo-1234abcd", spec.Id, EnumText.Parse<TrialStatus>(status), 1, "127.0.0.1:1#1/0:cpu", spec, result, null);
    }

    /// <summary>A state folder with a results store holding a small, partly finished transfer sweep.</summary>
    static (string State, List<TrialRecord> Trials) State()
    {
        string state = ScratchFolders.New("results");
        var store = new ResultsStore(state);
        var trials = new List<TrialRecord>
        {
            Trial("pretrained", 2, 1e-3, 10, 1, 0.80), Trial("pretrained", 2, 1e-3, 10, 2, 0.84),
            Trial("pretrained", 2, 1e-3, 100, 1, 0.93), Trial("pretrained", 2, 1e-3, 100, 2, 0.95),
            Trial("scratch", 0, 1e-3, 10, 1, 0.70), Trial("scratch", 0, 1e-3, 10, 2, 0.74),
            Trial("scratch", 0, 1e-3, 100, 1, null, "running"), Trial("scratch", 0, 1e-3, 100, 2, null, "pending"),
        };
        store.UpsertSweep(new SweepRecord("demo-1234abcd", "demo", trials.Count, DateTime.UtcNow.AddMinutes(-5)));
        foreach (var t in trials) store.UpsertTrial(t);
        return (state, trials);
    }

    [Fact]
    public void The_default_table_is_freeze_depth_by_dataset_size_with_the_best_cell_marked_and_missing_cells_explained()
    {
        var (state, _) = State();
        var r = CliRunner.Run("results", "demo", "--state", state);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("initialization × freeze_depth \\ dataset_size", r.Out);
        Assert.Matches(@"pretrained, 2\s+│\s+82\.00 ± 2\.83% \(n=2\) \*\s+│\s+94\.00 ± 1\.41% \(n=2\) \*", r.Out);
        Assert.Matches(@"scratch, 0\s+│\s+72\.00 ± 2\.83% \(n=2\)\s+│\s+\(running\)", r.Out);
        Assert.Contains("best per column marked *", r.Out);
    }

    [Fact]
    public void Every_format_and_view_is_available()
    {
        var (state, _) = State();
        Assert.Contains("| pretrained, 2 | **82.00 ± 2.83% (n=2)** | **94.00 ± 1.41% (n=2)** |", CliRunner.Run("results", "demo", "--state", state, "--format", "markdown").Out);
        var gain = CliRunner.Run("results", "demo-1234", "--state", state, "--gain", "--format", "markdown").Out;
        Assert.Contains("| pretrained, 2 | **+10.00 ± 4.00% (n=2)** | (no baseline) |", gain);
        using var json = JsonDocument.Parse(CliRunner.Run("results", "demo", "--state", state, "--format", "json", "--metric", "best_val_accuracy").Out);
        Assert.Equal("best_val_accuracy", json.RootElement.GetProperty("metric").GetString());
        var csv = CliRunner.Run("results", "demo", "--state", state, "--format", "csv", "--where", "initialization=pretrained", "--where", "seed=1", "--rows", "freeze_depth");
        Assert.Equal(3, csv.Out.Trim().Split('\n').Length); // header + two sizes
        Assert.Contains("2,10,test_accuracy,0.8,,1,1,,", csv.Out);   // one seed: no spread (empty), not 0
    }

    [Fact]
    public void Trials_export_reads_back_into_the_same_records_and_the_log_shows_each_epoch()
    {
        var (state, trials) = State();
        var csv = CliRunner.Run("trials", "demo", "--state", state, "--format", "csv");
        var back = TrialExport.FromCsv(csv.Out);
        // The public rows read back the same (a default left unnamed in the record reads back named).
        string Rows(IEnumerable<TrialRecord> t) => JsonSerializer.Serialize(t.OrderBy(r => r.TrialId).Select(TrialRow.From), TrialExport.Options);
        Assert.Equal(Rows(trials), Rows(back));
        Assert.Equal(trials.Select(t => t.Spec.Id).Order(), back.Select(t => t.Spec.Id).Order());
        var table = CliRunner.Run("trials", "demo", "--state", state, "--status", "running");
        Assert.Contains("1 trial(s)", table.Out);

        var log = CliRunner.Run("trial-log", "demo", trials[0].TrialId[..6], "--state", state);
        Assert.True(log.ExitCode == 0, log.Error);
        Assert.Contains($"trial {trials[0].TrialId} of demo-1234abcd: completed", log.Out);
        Assert.Matches(@"2\s+0\.4100\s+80\.00 %\s+0\.4000\s+79\.00 %", log.Out);

        Assert.Matches(@"demo-1234abcd\s+demo\s+6/8\s+0\s+5 min ago", CliRunner.Run("sweeps", "--state", state).Out);
    }

    [Fact]
    public void Unknown_sweeps_parameters_and_formats_are_one_line_errors()
    {
        var (state, _) = State();
        var cases = new[]
        {
            (new[] { "results", "nope", "--state", state }, "no sweep 'nope'"),
            (new[] { "results", "demo", "--state", state, "--rows", "freeze" }, "unknown parameter 'freeze'"),
            (new[] { "results", "demo", "--state", state, "--format", "xml" }, "--format must be table, csv, json or markdown"),
            (new[] { "results", "demo", "--state", state, "--where", "seed" }, "--where takes PARAMETER=VALUE"),
            (new[] { "trial-log", "demo", "ffff", "--state", state }, "has no trial 'ffff'"),
            (new[] { "sweeps", "--state", ScratchFolders.New("empty") }, "no results in"),
        };
        foreach (var (args, message) in cases)
        {
            var r = CliRunner.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains(message, r.Error);
            Assert.Single(r.Error.Trim().Split('\n'));
        }
    }
}
