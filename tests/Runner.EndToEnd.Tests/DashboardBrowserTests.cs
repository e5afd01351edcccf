using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenQA.Selenium;
using Runner.Cluster.Api;
using Runner.Cluster.Security;

namespace Runner.EndToEnd.Tests;

/// <summary>
/// The web dashboard in a real browser (Debian's Chromium), against a real coordinator and worker: what it shows
/// equals what the command line prints, it follows a running sweep without a reload, it lets operators act and
/// viewers only look, and it talks to nobody but the coordinator. Screenshots of each page go to the test's folder,
/// and to $RUNNER_SCREENSHOTS when set (that is how docs/images is made).
/// </summary>
[Collection("processes")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class DashboardBrowserTests(ITestOutputHelper output)
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public void The_dashboard_follows_a_sweep_live_shows_the_same_table_as_the_cli_and_lets_an_operator_cancel()
    {
        string? why = Browser.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new LocalCluster(output);
        cluster.StartCoordinator();
        cluster.StartWorker();
        string sweep = cluster.Submit(Sweep(cluster));
        using var browser = new Browser(Path.Combine(cluster.Folder, "chromium"));
        string shots = Path.Combine(cluster.Folder, "screenshots");

        var load = Stopwatch.StartNew();
        browser.Open(cluster.ApiUrl);
        browser.WaitFor(By.CssSelector($"#sweeps tr[data-sweep='{sweep}']"), Patience);
        output.WriteLine($"sweeps page: listed the sweep {load.ElapsedMilliseconds} ms after opening it");

        // The sweep's page, kept open: a marker on the window proves nothing reloads it.
        browser.WaitFor(By.LinkText("dashboard"), Patience).Click();
        browser.WaitFor(By.Id("sweep-counts"), Patience);
        browser.Script("window.runnerTestMarker = 42;");
        int shown = Completed(browser);
        var latencies = new List<double>();
        while (cluster.Count(sweep, "completed") < Trials)
        {
            // The API says a trial finished: how long until the open page shows it.
            int now = cluster.Count(sweep, "completed");
            if (now > shown)
            {
                var clock = Stopwatch.StartNew();
                browser.WaitUntil(() => Completed(browser) >= now, TimeSpan.FromSeconds(10), $"the page to show {now} completed");
                latencies.Add(clock.Elapsed.TotalSeconds);
                shown = Completed(browser);
            }
            Thread.Sleep(50);
        }
        browser.WaitUntil(() => Completed(browser) == Trials, TimeSpan.FromSeconds(10), "the page to show the finished sweep");
        Assert.Equal(42L, browser.Script("return window.runnerTestMarker;"));
        output.WriteLine($"update latency (API shows a finished trial → the page does): {string.Join(", ", latencies.Select(l => l.ToString("F2", CultureInfo.InvariantCulture)))} s");
        Assert.NotEmpty(latencies);
        Assert.All(latencies, l => Assert.True(l <= 2, $"the page showed a finished trial {l:F2} s after the API"));

        // The comparison table: every cell of `runner results --format json`, the same numbers (once the results
        // store, written just behind the journal, has every trial; the page looks again by itself).
        cluster.WaitFor(() => cluster.Rows(sweep).Count(r => r.Status == Runner.Sweeps.TrialStatus.Completed) == Trials, TimeSpan.FromSeconds(30), "the results store");
        var cli = cluster.Cli("results", sweep, "--state", cluster.CoordinatorState, "--format", "json");
        Assert.True(cli.ExitCode == 0, cli.Error);
        using var expected = JsonDocument.Parse(cli.Out);
        var rows = expected.RootElement.GetProperty("rows").EnumerateArray().Select(e => e.GetString()!).ToList();
        var cols = expected.RootElement.GetProperty("columns").EnumerateArray().Select(e => e.GetString()!).ToList();
        var cells = expected.RootElement.GetProperty("cells").EnumerateArray().Select(cell => (
            Row: string.Join(", ", rows.Select(r => cell.GetProperty("row").GetProperty(r).GetString())),
            Column: string.Join(", ", cols.Select(c => cell.GetProperty("column").GetProperty(c).GetString())),
            Mean: cell.GetProperty("mean").GetDouble(), Seeds: cell.GetProperty("seeds").GetInt32(), Best: cell.GetProperty("best").GetBoolean())).ToList();
        (double Mean, int Seeds, bool Best) Shown((string Row, string Column, double, int, bool) c)
        {
            var td = browser.Page.FindElement(By.CssSelector($"#table-results td[data-row='{c.Row}'][data-column='{c.Column}']"));
            return (double.Parse(td.GetAttribute("data-mean")!, CultureInfo.InvariantCulture), int.Parse(td.GetAttribute("data-seeds")!, CultureInfo.InvariantCulture),
                td.GetAttribute("class")!.Contains("best"));
        }
        bool Same() => browser.Page.FindElements(By.CssSelector("#table-results td[data-row]")).Count == cells.Count
            && cells.All(c => Shown(c) is var s && Math.Abs(s.Mean - c.Mean) < 1e-12 && s.Seeds == c.Seeds && s.Best == c.Best);
        try { browser.WaitUntil(Same, TimeSpan.FromSeconds(10), "the page's table to equal `runner results`"); }
        catch (OpenQA.Selenium.WebDriverTimeoutException)
        {
            foreach (var c in cells) Assert.Equal((c.Mean, c.Seeds, c.Best), Shown(c));
            throw;
        }
        // A finished sweep offers nothing to cancel.
        browser.WaitFor(By.Id("sweep-state"), TimeSpan.FromSeconds(10), e => e.Text == "finished");
        Assert.False(browser.Page.FindElement(By.Id("cancel")).Displayed);
        browser.WaitFor(By.CssSelector("#chart-size svg polyline"), TimeSpan.FromSeconds(10));
        browser.WaitFor(By.CssSelector("#trials-table tr[data-trial]"), TimeSpan.FromSeconds(10));
        // Parallel coordinates: a line per finished trial across the four swept parameters and the objective, and the
        // parameters ranked by importance (the report's numbers, from the same view).
        browser.WaitUntil(() => browser.Page.FindElements(By.CssSelector("#parallel polyline.pc-line")).Count == Trials, TimeSpan.FromSeconds(10), "a line per trial");
        Assert.Single(browser.Page.FindElements(By.CssSelector("#parallel polyline.pc-line.best")));
        var ranked = browser.Page.FindElements(By.CssSelector("#importance tbody tr")).Select(r => r.GetAttribute("data-parameter")).ToList();
        Assert.Equal(new[] { "dataset_size", "freeze_depth", "initialization", "learning_rate" }, ranked.Order());
        browser.Screenshot(Path.Combine(shots, "dashboard-sweep.png"));
        // Dark mode follows the system's setting.
        browser.Page.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
        {
            ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "dark" } },
        });
        Assert.Equal("rgb(21, 24, 27)", browser.Script("return getComputedStyle(document.body).backgroundColor;"));
        browser.Screenshot(Path.Combine(shots, "dashboard-sweep-dark.png"));
        browser.Page.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?> { ["features"] = Array.Empty<object>() });

        // A trial: its parameters and per-epoch curves.
        browser.Page.FindElement(By.CssSelector("#trials-table tr[data-trial] a")).Click();
        browser.WaitFor(By.CssSelector("#trial-status-label"), Patience);
        Assert.Equal(2, browser.WaitFor(By.CssSelector(".row"), Patience, e => e.FindElements(By.CssSelector("svg polyline")).Count > 0).FindElements(By.CssSelector("svg")).Count);
        // Its test confusion matrix: one row per target class, with each class's accuracy.
        Assert.Equal(5, browser.Page.FindElements(By.CssSelector("#confusion tbody tr")).Count);
        Assert.Equal(5, browser.Page.FindElements(By.CssSelector("#confusion td[data-class-accuracy]")).Count);
        browser.Screenshot(Path.Combine(shots, "dashboard-trial.png"));

        // A second sweep, without a scratch baseline (its page has no gain view to ask for, so the console stays
        // clean): the worker, busy with it, as the workers page shows it.
        string second = cluster.Submit(cluster.WriteSweep("to-cancel", 40, baseline: false));
        browser.Open(cluster.ApiUrl + "#/workers");
        var worker = browser.WaitFor(By.CssSelector("#workers tbody tr"), Patience, e => e.FindElements(By.TagName("a")).Count == 1);
        Assert.Contains("busy", worker.Text);
        Assert.Single(browser.Page.FindElements(By.CssSelector("#workers tbody tr")));
        browser.Screenshot(Path.Combine(shots, "dashboard-workers.png"));

        // An operator (the open loopback API makes everyone one) cancels it from its page.
        browser.Open(cluster.ApiUrl + "#/");
        browser.WaitFor(By.CssSelector($"#sweeps tr[data-sweep='{second}']"), Patience);
        browser.Screenshot(Path.Combine(shots, "dashboard-sweeps.png"));
        browser.Open(cluster.ApiUrl + $"#/sweeps/{second}");
        browser.WaitFor(By.Id("cancel"), Patience, e => e.Displayed).Click();
        browser.WaitFor(By.Id("sweep-state"), TimeSpan.FromSeconds(10), e => e.Text == "cancelled");
        Assert.True(cluster.Count(second, "cancelled") > 0);

        Assert.Empty(browser.ConsoleErrors());
        var elsewhere = browser.Requests().Where(u => !u.StartsWith(cluster.ApiUrl, StringComparison.Ordinal)).ToList();
        Assert.True(elsewhere.Count == 0, "requests beyond the coordinator: " + string.Join(", ", elsewhere));
        Publish(shots);
    }

    [SkippableFact]
    public void Over_TLS_a_viewer_signs_in_and_looks_but_cannot_cancel_and_an_operator_can()
    {
        string? why = Browser.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new LocalCluster(output);
        string certs = Path.Combine(cluster.Folder, "certs");
        foreach (var args in new[] { new[] { "certs", "init", certs }, new[] { "certs", "issue", certs, "coordinator", "--host", "127.0.0.1" }, new[] { "certs", "issue", certs, "node" } })
            Assert.Equal(0, cluster.Cli(args).ExitCode);
        cluster.ApiCredentials = new(ClusterTls.Load(Path.Combine(certs, "node.pfx")));
        cluster.CliEnvironment["RUNNER_TLS"] = Path.Combine(certs, "node.pfx");
        cluster.StartCoordinator("--tls", Path.Combine(certs, "coordinator.pfx"));
        cluster.StartWorker("--tls", Path.Combine(certs, "node.pfx"));
        string sweep = cluster.Submit(cluster.WriteSweep("roles", 40));
        string Token(string role)
        {
            var r = cluster.Cli("token", "create", "--role", role, "--state", cluster.CoordinatorState);
            Assert.True(r.ExitCode == 0, r.Error);
            return r.Out.Trim();
        }
        string viewer = Token("viewer"), operatorToken = Token("operator");

        using var browser = new Browser(Path.Combine(cluster.Folder, "chromium"));
        browser.Open(cluster.ApiUrl + $"#/sweeps/{sweep}");
        browser.WaitFor(By.Id("token"), Patience).SendKeys("runner_wrong_token");
        browser.Page.FindElement(By.CssSelector("#login button")).Click();
        Assert.Contains("unknown or revoked token", browser.WaitFor(By.CssSelector(".login .error"), TimeSpan.FromSeconds(10)).Text);
        browser.Screenshot(Path.Combine(cluster.Folder, "screenshots", "dashboard-login.png"));

        browser.WaitFor(By.Id("token"), TimeSpan.FromSeconds(10)).SendKeys(viewer);
        browser.Page.FindElement(By.CssSelector("#login button")).Click();
        browser.WaitFor(By.Id("sweep-counts"), Patience);
        Assert.Equal("viewer", browser.WaitFor(By.Id("role"), TimeSpan.FromSeconds(10)).Text);
        Assert.Empty(browser.Page.FindElements(By.Id("cancel")));
        // A forged cancel from the viewer's page, with its cookie: refused.
        var forged = browser.Page.ExecuteAsyncScript($"const done = arguments[arguments.length - 1]; fetch('/sweeps/{sweep}/cancel', {{ method: 'POST' }}).then(r => done(r.status));");
        Assert.Equal(403L, forged);
        Assert.Equal(0, cluster.Count(sweep, "cancelled"));

        browser.Page.FindElement(By.XPath("//button[text()='Log out']")).Click();
        browser.WaitFor(By.Id("token"), TimeSpan.FromSeconds(10)).SendKeys(operatorToken);
        browser.Page.FindElement(By.CssSelector("#login button")).Click();
        browser.WaitFor(By.Id("cancel"), Patience, e => e.Displayed).Click();
        browser.WaitFor(By.Id("sweep-state"), TimeSpan.FromSeconds(10), e => e.Text == "cancelled");
        Assert.True(cluster.Count(sweep, "cancelled") > 0);
        // The API's 401 for the first visit and the refused forged cancel are the only failed requests the console saw.
        Assert.All(browser.ConsoleErrors(), e => Assert.True(e.Contains("401") || e.Contains("403"), e));
        Publish(Path.Combine(cluster.Folder, "screenshots"));
    }

    [SkippableFact]
    public void Runner_run_with_dashboard_prints_its_address_and_serves_the_running_sweep()
    {
        string? why = Browser.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new LocalCluster(output);
        int port = LocalCluster.FreePort();
        var run = cluster.StartCli("run", "run", cluster.WriteSweep("embedded", 4), "--state", Path.Combine(cluster.Folder, "state"),
            "--data", LocalCluster.Subset, "--no-progress", "--dashboard", "--dashboard-port", port.ToString());
        string log = Directory.GetFiles(cluster.Folder, $"run-{run.Id}.log").Single();
        cluster.WaitFor(() => File.ReadAllText(log).Contains($"dashboard: http://127.0.0.1:{port}/"), TimeSpan.FromSeconds(60), "the dashboard's address");

        using var browser = new Browser(Path.Combine(cluster.Folder, "chromium"));
        browser.Open($"http://127.0.0.1:{port}/");
        var row = browser.WaitFor(By.CssSelector("#sweeps tbody tr"), Patience);
        Assert.Contains("embedded", row.Text);
        Assert.True(LocalCluster.Ended(run, TimeSpan.FromMinutes(3)), "runner run did not finish");
        Assert.Equal(0, run.ExitCode);
    }

    /// <summary>
    /// A sweep of 10,000 (no-op) trials: the sweep's page loads, with its tables, charts and the first page of trials,
    /// in a few seconds, and pages through the trials on the server. Prints load time and bytes (issue 17's figures).
    /// </summary>
    [SkippableFact]
    public void A_sweep_of_10000_trials_loads_in_seconds_and_pages_its_trials()
    {
        string? why = Browser.WhyNot();
        Skip.If(why != null, why);
        using var cluster = new LocalCluster(output) { SerializeMessages = false };
        cluster.StartCoordinator();
        cluster.StartNoOpWorker(0);
        cluster.StartNoOpWorker(0);
        string file = Path.Combine(cluster.Folder, "big.yaml");
        string rates = string.Join(", ", Enumerable.Range(0, 100).Select(i => (1e-4 + i * 1e-6).ToString("R", CultureInfo.InvariantCulture)));
        File.WriteAllText(file, $$"""
            name: big
            base: { model: convnet4 }
            target: { dataset: fashion-mnist, classes: [0, 1], data: {{LocalCluster.Subset}}, validation_per_class: 10 }
            train: { epochs: 1, batch_size: 64 }
            sweep:
              parameters: { initialization: [scratch], learning_rate: [{{rates}}], dataset_size: [10] }
              seeds: [{{string.Join(", ", Enumerable.Range(0, 100))}}]
            resources: { max_failures: 1 }
            """);
        string sweep = cluster.Submit(file);
        cluster.WaitFor(() => cluster.Count(sweep, "completed") == 10_000, TimeSpan.FromMinutes(3), "10,000 no-op trials");

        using var browser = new Browser(Path.Combine(cluster.Folder, "chromium"));
        var clock = Stopwatch.StartNew();
        browser.Open(cluster.ApiUrl + $"#/sweeps/{sweep}");
        // Every view drawn: tables, charts (no-op trials have no accuracy: they say so) and the first page of trials.
        browser.WaitFor(By.CssSelector("body[data-loaded]"), TimeSpan.FromSeconds(30));
        Assert.NotEmpty(browser.Page.FindElements(By.CssSelector("#table-results td[data-row]")));
        double seconds = clock.Elapsed.TotalSeconds;
        long bytes = Convert.ToInt64(browser.Script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + (e.encodedBodySize || 0), 0);"));
        output.WriteLine($"10,000-trial sweep page: loaded in {seconds:F2} s, {bytes / 1024.0:F0} KiB over the wire");
        Assert.True(seconds < 10, $"the page took {seconds:F1} s");
        Assert.Equal(50, browser.Page.FindElements(By.CssSelector("#trials-table tr[data-trial]")).Count);
        browser.Page.FindElement(By.Id("trials-next")).Click();
        browser.WaitFor(By.Id("trials-range"), TimeSpan.FromSeconds(10), e => e.Text == "51–100 of 10000");
        Assert.Empty(browser.ConsoleErrors());
    }

    const int Trials = 32;

    /// <summary>
    /// Small trials that still answer the question: pretrained at three freeze depths and from scratch, two rates,
    /// two dataset sizes, two seeds (32 trials of a second or so).
    /// </summary>
    static string Sweep(LocalCluster cluster)
    {
        string file = Path.Combine(cluster.Folder, "dashboard.yaml");
        File.WriteAllText(file, $$"""
            name: dashboard
            base: { model: convnet4, pretrain: { classes: [0, 1, 2, 3, 4], epochs: 1 } }
            target: { dataset: fashion-mnist, classes: [5, 6, 7, 8, 9], data: {{LocalCluster.Subset}}, validation_per_class: 20 }
            train: { epochs: 2, batch_size: 32 }
            sweep:
              parameters:
                initialization: [pretrained, scratch]
                freeze_depth: [0, 2, 4]
                learning_rate: [0.001, 0.003]
                dataset_size: [20, 60]
              seeds: [1, 2]
            resources: { device: cpu, max_failures: 3 }
            """);
        return file;
    }

    static int Completed(Browser browser)
    {
        string text = browser.Page.FindElement(By.Id("sweep-counts")).Text;   // "3/8 done · completed 3, running 1, ..."
        int at = text.IndexOf("completed ", StringComparison.Ordinal) + "completed ".Length;
        return int.Parse(text[at..text.IndexOf(',', at)], CultureInfo.InvariantCulture);
    }

    static void Publish(string shots)
    {
        if (Environment.GetEnvironmentVariable("RUNNER_SCREENSHOTS") is not { Length: > 0 } target || !Directory.Exists(shots)) return;
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(shots, "*.png")) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
    }
}
