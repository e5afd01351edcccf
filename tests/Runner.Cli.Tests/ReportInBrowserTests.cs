using System.Diagnostics;
using Runner.Results;
using Runner.Sweeps;

namespace Runner.Cli.Tests;

/// <summary>The report as a person sees it: rendered by Debian's headless Chromium (installed by .ci/run).</summary>
public class ReportInBrowserTests
{
    static string Chromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("this test needs Debian's chromium: apt-get install chromium");

    static string RunChromium(string folder, params string[] args)
    {
        var start = new ProcessStartInfo(Chromium()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(folder, "chromium-profile")}" }.Concat(args))
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(90_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish"); }
        return stdout.Result;
    }

    [Fact]
    public void The_report_renders_in_a_real_browser_with_its_tables_and_plot_images()
    {
        string folder = ScratchFolders.New("report");
        var store = new ResultsStore(folder);
        var pretrain = new PretrainSpec("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 3, 1e-3, 0, 64, "adam");
        var trials = new List<TrialRecord>();
        foreach (var (init, depth) in new[] { ("pretrained", 0), ("pretrained", 4), ("scratch", 0) })
            foreach (int size in new[] { 10, 100, 1000 })
                foreach (double lr in new[] { 1e-3, 1e-2 })
                foreach (int seed in new[] { 1, 2 })
                {
                    var spec = new TrialSpec("convnet4", EnumText.Parse<Initialization>(init) == Initialization.Scratch ? null : pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 100, EnumText.Parse<Initialization>(init), depth, lr, size, 3, 64, "adam", 0, 0.9, seed);
                    double acc = 0.6 + 0.1 * Math.Log10(size) - 0.02 * depth + 0.01 * seed - (lr > 1e-3 ? 0.03 : 0);
                    var epochs = Enumerable.Range(1, 3).Select(e => new EpochMetrics(e, 1.0 / e, acc - 0.1 / e, 1.1 / e, acc - 0.05 / e, 1, 3000)).ToArray();
                    trials.Add(new TrialRecord("browser-1", spec.Id, TrialStatus.Completed, 1, "w", spec,
                        new TrialResult(spec.Id, TrialStatus.Completed, epochs, acc - 0.05 / 3, 3, acc - 0.05 / 3, acc, 0.3, 1000, 130_405, 2, "cpu", 2), null));
                }
        store.UpsertSweep(new SweepRecord("browser-1", "browser", trials.Count, DateTime.UtcNow.AddMinutes(-3)));
        foreach (var t in trials) store.UpsertTrial(t);

        var r = CliRunner.Run("report", "browser", "--state", folder, "--out", Path.Combine(folder, "out"), "--png");
        Assert.True(r.ExitCode == 0, r.Error);
        string html = Path.Combine(folder, "out", "report.html");
        // Sizes, validation curves, learning rates and parallel coordinates.
        Assert.Equal(4, Directory.GetFiles(Path.Combine(folder, "out"), "*.png").Length);

        // The DOM after the browser loaded the page: both tables and every image, decoded.
        string dom = RunChromium(folder, "--virtual-time-budget=3000", "--run-all-compositor-stages-before-draw", "--dump-dom", new Uri(html).AbsoluteUri);
        Assert.Contains("Test accuracy by freeze depth and dataset size", dom);
        Assert.Contains("Transfer gain over training from scratch", dom);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(dom, "<img alt=").Count);
        Assert.Contains("pretrained, 4", dom);

        // And a screenshot: a real picture with many colours (plots), not an empty page.
        string shot = Path.Combine(folder, "shot.png");
        RunChromium(folder, "--window-size=1200,2400", $"--screenshot={shot}", new Uri(html).AbsoluteUri);
        Assert.True(new FileInfo(shot).Length > 50_000, $"screenshot is only {new FileInfo(shot).Length} bytes");
    }
}
