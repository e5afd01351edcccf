using Microsoft.Data.Sqlite;

namespace Runner.Cli.Tests;

public class RunCommandTests
{
    const string TinySweep = """
        name: tiny
        base:
          model: convnet4
          pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 }
        target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: SUBSET, validation_per_class: 20 }
        train: { epochs: 1, batch_size: 16 }
        sweep:
          parameters:
            initialization: [pretrained, scratch]
            freeze_depth: [4]
            dataset_size: [10]
          seeds: [1, 2]
        resources: { device: cpu }
        """;

    /// <summary>TinySweep's sweep section as written, for tests that put another in its place.</summary>
    const string TinySweepSection = """
          parameters:
            initialization: [pretrained, scratch]
            freeze_depth: [4]
            dataset_size: [10]
          seeds: [1, 2]
        """;

    static int CompletedRows(string state, string? sweepPrefix = null)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(state, "results.db")}");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM trials WHERE status = 'completed' AND sweep_id LIKE $p";
        cmd.Parameters.AddWithValue("$p", (sweepPrefix ?? "") + "%");
        return Convert.ToInt32(cmd.ExecuteScalar());
    }

    [Fact]
    public void An_embedded_run_finishes_every_trial_records_it_in_sqlite_and_the_same_command_resumes_without_rerunning()
    {
        string dir = ScratchFolders.New("run");
        string sweep = CliRunner.WriteSweep(dir, TinySweep.Replace("SUBSET", CliRunner.Subset));
        string state = Path.Combine(dir, "state");

        var first = CliRunner.Run("run", sweep, "--state", state, "--workers", "2");
        Assert.True(first.ExitCode == 0, first.Error + first.Out);
        Assert.Contains("4 trials on 2 local worker(s) [cpu, cpu]", first.Out);
        Assert.Contains("[4/4] completed 4, running 0, pending 0, failed 0", first.Out);
        // The comparison table: one row per initialization × freeze depth, mean ± std over the two seeds.
        Assert.Matches(@"pretrained, 4\s+│\s+\d+\.\d\d ± \d+\.\d\d% \(n=2\)", first.Out);
        Assert.Matches(@"scratch, 0\s+│\s+\d+\.\d\d ± \d+\.\d\d% \(n=2\)", first.Out);
        Assert.Equal(4, CompletedRows(state));
        Assert.True(File.Exists(Path.Combine(state, "journal.db")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(state, "logs")));

        var again = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("resuming: trials recorded before are kept", again.Out);
        Assert.DoesNotContain("running 1", again.Out);
        Assert.Equal(4, CompletedRows(state));
    }

    [Fact]
    public void A_changed_definition_under_the_same_name_is_refused_unless_new_and_shared_trials_are_reused()
    {
        string dir = ScratchFolders.New("run-new");
        string sweep = CliRunner.WriteSweep(dir, TinySweep.Replace("SUBSET", CliRunner.Subset).Replace("initialization: [pretrained, scratch]", "initialization: [scratch]"));
        string state = Path.Combine(dir, "state");
        Assert.Equal(0, CliRunner.Run("run", sweep, "--state", state).ExitCode);

        File.WriteAllText(sweep, TinySweep.Replace("SUBSET", CliRunner.Subset).Replace("initialization: [pretrained, scratch]", "initialization: [scratch]").Replace("seeds: [1, 2]", "seeds: [1, 2, 3]"));
        var refused = CliRunner.Run("run", sweep, "--state", state);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("sweep 'tiny' already exists", refused.Error);
        Assert.Contains("--new", refused.Error);

        var grown = CliRunner.Run("run", sweep, "--state", state, "--new");
        Assert.True(grown.ExitCode == 0, grown.Error);
        // Seeds 1 and 2 are the same trials as before (same ids): reused, only seed 3 trains.
        Assert.Contains("2 trial(s) reused from earlier results", grown.Out);
        Assert.Contains("[3/3] completed 3", grown.Out);
    }

    [Fact]
    public void A_tpe_sweep_spends_its_budget_and_a_second_search_reuses_the_trials_it_proposes_again()
    {
        string dir = ScratchFolders.New("run-tpe");
        string text = TinySweep.Replace("SUBSET", CliRunner.Subset).Replace(TinySweepSection, """
              method: tpe
              trials: 3
              parameters:
                initialization: [scratch]
                learning_rate: { distribution: log_uniform, min: 1e-4, max: 1e-1 }
                dataset_size: [10]
              seeds: [1]
            """);
        string sweep = CliRunner.WriteSweep(dir, text);
        string state = Path.Combine(dir, "state");
        var first = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(first.ExitCode == 0, first.Error + first.Out);
        Assert.Contains("up to 3 trials on 1 local worker(s)", first.Out);
        Assert.Contains("[3/3] completed 3, running 0, pending 0, failed 0", first.Out);
        Assert.Equal(3, CompletedRows(state, "tiny-"));

        // The same search under another name proposes the same three configurations (TPE starts with seeded random
        // ones): each is a trial the store already finished, recorded as reused, and nothing trains.
        File.WriteAllText(sweep, text.Replace("name: tiny", "name: again"));
        var second = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(second.ExitCode == 0, second.Error + second.Out);
        Assert.Contains("[3/3] completed 3", second.Out);
        var trials = CliRunner.Run("trials", "again", "--state", state, "--format", "json");
        using var doc = System.Text.Json.JsonDocument.Parse(trials.Out);
        var rows = doc.RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, t => Assert.Equal("reused", t.GetProperty("worker").GetString()));
    }

    [Fact]
    public void A_tuned_cell_shows_its_winner_over_seeds_after_even_when_the_search_seed_is_one_of_them()
    {
        string dir = ScratchFolders.New("run-tune");
        string sweep = CliRunner.WriteSweep(dir, TinySweep.Replace("SUBSET", CliRunner.Subset).Replace(TinySweepSection, """
              method: tpe
              parameters:
                initialization: [scratch]
                dataset_size: [10]
              tune:
                per: [initialization, dataset_size]
                budget: 2
                params: { learning_rate: { distribution: log_uniform, min: 1e-4, max: 1e-1 } }
                seeds_after: [1, 2]
              seeds: [1]
            """));
        string state = Path.Combine(dir, "state");
        var run = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(run.ExitCode == 0, run.Error + run.Out);
        // Two searched on seed 1, then the winner on seed 2: its seed-1 run is the search's own, and counts too.
        Assert.Contains("[3/3] completed 3", run.Out);
        Assert.Matches(@"scratch, 0\s+│\s+\d+\.\d\d ± \d+\.\d\d% \(n=2, learning_rate=[0-9.e-]+ by tpe, 2 trials\)", run.Out);
        // The public schema says which runs those are: the winner on seeds 1 and 2, its seed-1 run being the search's own.
        using var doc = System.Text.Json.JsonDocument.Parse(CliRunner.Run("trials", "tiny", "--state", state, "--format", "json").Out);
        var marked = doc.RootElement.GetProperty("trials").EnumerateArray().Where(t => t.GetProperty("tuned_by").GetString() == "tpe, 2 trials").ToList();
        Assert.Equal(new[] { 1, 2 }, marked.Select(t => t.GetProperty("seed").GetInt32()).Order());
        Assert.Single(marked.Select(t => t.GetProperty("learning_rate").GetDouble()).Distinct());
    }
}
