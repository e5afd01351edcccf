using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cli.Tests;

public class ProgressViewTests
{
    static SweepStatus Status(int completed, int running, int pending) => new("s-1", "demo", 4, pending, running, completed, 0, 0, true);

    [Fact]
    public void Plain_output_prints_a_line_per_change_with_eta_and_best_and_a_line_per_new_epoch()
    {
        var frames = new Queue<SweepProgress>(new[]
        {
            new SweepProgress(Status(0, 2, 2), new[] { new RunningTrial("t1", "w1", 1, 0, 3, null, null, "pretrained, freeze 0") }, null, null, null),
            new SweepProgress(Status(0, 2, 2), new[] { new RunningTrial("t1", "w1", 1, 1, 3, 0.8512, 2400.4, "pretrained, freeze 0") }, null, null, null),
            new SweepProgress(Status(0, 2, 2), new[] { new RunningTrial("t1", "w1", 1, 1, 3, 0.8512, 2400.4, "pretrained, freeze 0") }, null, null, null),
            new SweepProgress(Status(2, 2, 0), Array.Empty<RunningTrial>(), "t1", 0.9134, "pretrained, freeze 0"),
            new SweepProgress(Status(4, 0, 0), Array.Empty<RunningTrial>(), "t1", 0.9134, "pretrained, freeze 0"),
        });
        var output = new StringWriter();
        var context = new CliContext { Out = output, Error = new StringWriter(), Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings()), IsTerminal = false };

        var final = ProgressView.Follow(() => frames.Dequeue(), context, live: true);

        Assert.Equal(4, final.Completed);
        var lines = output.ToString().Trim().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("[0/4] completed 0, running 2, pending 2, failed 0 · ", lines[0]);
        Assert.Equal("  w1 · trial t1 (pretrained, freeze 0) · epoch 1/3 · val 85.12% · 2400 img/s", lines[1]);
        Assert.Matches(@"^\[2/4\] completed 2, running 2, pending 0, failed 0 · \d+s · ETA \d+s · best val 91\.34% \(pretrained, freeze 0\)$", lines[2]);
        Assert.StartsWith("[4/4] completed 4", lines[3]);
    }

    [Fact]
    public void The_eta_comes_from_the_rate_trials_finished_since_the_view_started()
    {
        Assert.Null(ProgressView.Eta(Status(1, 1, 2), doneAtStart: 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(30), ProgressView.Eta(Status(2, 1, 0), doneAtStart: 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.Zero, ProgressView.Eta(Status(4, 0, 0), doneAtStart: 0, TimeSpan.FromSeconds(30)));
    }
}
