using System.Text.RegularExpressions;

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
        resources: { device: cpu, threads: 2 }
        """;

    [Fact]
    public void A_sweep_runs_every_trial_records_each_and_resumes_without_repeating_finished_ones()
    {
        string dir = CliRunner.TempFolder("run");
        string sweep = CliRunner.WriteSweep(dir, TinySweep.Replace("SUBSET", CliRunner.Subset));
        string state = Path.Combine(dir, "state");

        var first = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal(4, Regex.Matches(first.Out, @"^\[\d/4\]", RegexOptions.Multiline).Count);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(state, "trials"), "*.json").Length);
        // Summary: one row per configuration, mean ± std over the two seeds.
        Assert.Matches(@"pretrained\s+4\s+10\s+\d+\.\d\d ± \d+\.\d\d%\s+2/2", first.Out);
        Assert.Matches(@"scratch\s+0\s+10\s+\d+\.\d\d ± \d+\.\d\d%\s+2/2", first.Out);

        // An interrupted sweep lost its last trial: only that one runs again.
        var records = Directory.GetFiles(Path.Combine(state, "trials"), "*.json").OrderBy(File.GetLastWriteTimeUtc).ToList();
        string keptBefore = File.ReadAllText(records[0]);
        File.Delete(records[^1]);
        var second = CliRunner.Run("run", sweep, "--state", state);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Single(Regex.Matches(second.Out, @"^\[\d/4\]", RegexOptions.Multiline));
        Assert.Contains("3 of 4 trials were already recorded", second.Out);
        Assert.Equal(keptBefore, File.ReadAllText(records[0]));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(state, "trials"), "*.json").Length);
    }
}
