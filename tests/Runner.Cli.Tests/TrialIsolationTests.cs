using System.Text.Json;

namespace Runner.Cli.Tests;

/// <summary>
/// Trials run in a trainer process of their worker's own: a native crash fails one trial's attempt, not the run, and
/// a trial's numbers do not depend on how many workers shared the machine.
/// </summary>
public class TrialIsolationTests
{
    /// <summary>Four scratch trials (no base to pretrain: the tests stay short) whose training draws from torch's generator (dropout).</summary>
    const string Sweep = """
        name: isolation
        base: { model: convnet4 }
        target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: SUBSET, validation_per_class: 20 }
        train: { epochs: 2, batch_size: 16, head: mlp, dropout: 0.3 }
        sweep:
          parameters:
            initialization: [scratch]
            dataset_size: [10, 20]
          seeds: [1, 2]
        resources: { device: cpu }
        """;

    static string WriteSweep(string dir) => CliRunner.WriteSweep(dir, Sweep.Replace("SUBSET", CliRunner.Subset));

    /// <summary>Every trial of the sweep in the state folder, by id, in the public schema (runner trials --format json).</summary>
    static Dictionary<string, JsonElement> Trials(string dir, string state)
    {
        var listed = CliRunner.RunProcess(dir, "trials", "isolation", "--state", state, "--format", "json");
        Assert.True(listed.ExitCode == 0, listed.Error);
        using var doc = JsonDocument.Parse(listed.Out);
        return doc.RootElement.GetProperty("trials").EnumerateArray().ToDictionary(t => t.GetProperty("trial_id").GetString()!, t => t.Clone());
    }

    [Fact]
    public void A_native_crash_in_a_trial_fails_that_trial_with_the_signal_and_the_run_finishes_the_others()
    {
        string dir = ScratchFolders.New("crash");
        string sweep = WriteSweep(dir);
        string state = Path.Combine(dir, "state");
        var plan = CliRunner.RunProcess(dir, "plan", sweep);
        string victim = System.Text.RegularExpressions.Regex.Match(plan.Out, @"^\s*1\s+([0-9a-f]{16})\s", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        Assert.True(victim.Length == 16, plan.Out);

        var run = CliRunner.RunProcess(dir, new Dictionary<string, string> { ["RUNNER_DEBUG_CRASH"] = $"SIGSEGV:{victim}" },
            "run", sweep, "--state", state, "--threads", "1");

        // The run itself lived on: it finished the other trials, printed its table, and says a trial failed.
        Assert.True(run.ExitCode == 1, run.Error + run.Out);
        Assert.Contains("[4/4] completed 3, running 0, pending 0, failed 1", run.Out);
        Assert.Contains("died of SIGSEGV", run.Error);
        var trials = Trials(dir, state);
        Assert.Equal(4, trials.Count);
        var crashed = trials[victim];
        Assert.Equal("failed", crashed.GetProperty("status").GetString());
        Assert.Contains("the trainer process died of SIGSEGV", crashed.GetProperty("failure").GetString());
        Assert.True(crashed.GetProperty("attempts").GetInt32() >= 2, "the crash counts against the failure budget, attempt by attempt");
        Assert.All(trials.Where(t => t.Key != victim), t => Assert.Equal("completed", t.Value.GetProperty("status").GetString()));
    }

    [Fact]
    public void A_sweep_gives_the_same_numbers_on_one_worker_or_two()
    {
        string dir = ScratchFolders.New("workers");
        string sweep = WriteSweep(dir);
        var runs = new[] { "1", "2" }.Select(workers =>
        {
            string state = Path.Combine(dir, "state" + workers);
            var run = CliRunner.RunProcess(dir, "run", sweep, "--state", state, "--workers", workers, "--threads", "1");
            Assert.True(run.ExitCode == 0, run.Error + run.Out);
            return Trials(dir, state);
        }).ToArray();

        Assert.Equal(runs[0].Keys.Order(), runs[1].Keys.Order());
        foreach (var (id, one) in runs[0])
        {
            var two = runs[1][id];
            // Dropout draws from torch's generator in every batch: any sharing between workers would show here.
            foreach (string metric in new[] { "test_loss", "test_accuracy", "best_val_accuracy", "last_val_accuracy" })
                Assert.True(one.GetProperty(metric).GetDouble() == two.GetProperty(metric).GetDouble(),
                    $"trial {id}: {metric} {one.GetProperty(metric)} with one worker, {two.GetProperty(metric)} with two");
        }
    }
}
