using Akka.Actor;
using Runner.Cluster.Hosting;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cli.Commands;

public sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Summary => "run a sweep here: one process with every role and N local workers";
    public string Description => """
        Runs the sweep embedded: a one-node Akka cluster in this process with the coordinator (sweeps, worker pool,
        SQLite journal in the state folder) and N local TrialWorkers. Prints progress, then test accuracy as
        mean ± std over seeds per configuration. Ctrl-C stops cleanly; the same command again resumes the same sweep
        (its id is the name plus a hash of the expanded trials), and trials finished in this state folder by any sweep
        (same trial id) are reused, not run again.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[] { new("FILE", "the sweep file") };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("workers", "N", "local workers (default: one per GPU, else 1; on the sweep's resources.device)"),
        new("devices", "LIST", "one worker per device: cpu,cpu or cuda:0,cuda:1"),
        new("threads", "N", "torch threads per worker (default: the cores split between CPU workers)"),
        new("state", "DIR", "state folder [$RUNNER_STATE or .runner]"),
        new("data", "DIR", "Fashion-MNIST folder (default: the sweep's target.data, then the usual search)"),
        OptionSpec.Flag("new", "allow a changed definition under a name this state folder already has"),
        OptionSpec.Flag("rerun", "run every trial again, even those with recorded results"),
        OptionSpec.Flag("no-progress", "plain line-by-line progress even on a terminal"),
        OptionSpec.Flag("tensorboard", "write TensorBoard event files per trial under STATE/tensorboard"),
        OptionSpec.Flag("dashboard", "serve the live web dashboard (and the API) on loopback while the sweep runs, and print its address"),
        new("dashboard-port", "N", "the dashboard's port [4080; 0 picks a free one]"),
        new("give-up-after", "S", "end with an error when the state folder's journal refuses writes and no trial finishes for this long [60]"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        string file = args.Single("a sweep FILE");
        var definition = SweepLoader.Load(file, args.Get("data"), context.Error);
        var request = SweepRequest.From(definition);
        var devices = ClusterWiring.Devices(args, definition.Resources.Device);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);
        int threads = ClusterWiring.ThreadsPerWorker(args, devices, definition.Resources.Threads);

        int? dashboardPort = args.Has("dashboard") ? ClusterWiring.Port(args, "dashboard-port", "RUNNER_DASHBOARD_PORT", 4080) : null;
        if (dashboardPort is { } free) CheckDashboardPort(free);
        var node = RunnerNode.Start(new NodeOptions
        {
            StateFolder = state,
            Devices = devices, ThreadsPerWorker = threads,
            // The progress lines are this command's output; the cluster's own log goes to state/logs.
            ConsoleLogLevel = Serilog.Events.LogEventLevel.Warning,
            // Akka's fallback logger prints its last shutdown lines to stdout; keep Akka itself to warnings here.
            ExtraConfig = "akka.loglevel = WARNING",
            Executor = new TrainerSettings(state, args.Get("data"), definition.Target.DataDir, threads, args.Has("tensorboard"))
                .InTrainerProcesses(m => context.Error.WriteLine(m)),
        });
        Runner.Cluster.Api.CoordinatorApi? dashboard = null;
        try
        {
            if (dashboardPort is { } port) dashboard = Dashboard(node, port, context);
            var submit = SweepSubmission.Prepare(node.Results!, request, args.Has("new"), args.Has("rerun"));
            var accepted = node.Sweeps.Ask<Accepted>(submit, TimeSpan.FromSeconds(60), context.Cancel).GetAwaiter().GetResult();
            context.Out.WriteLine($"sweep {accepted.SweepId}: {(request.Search == null ? "" : "up to ")}{accepted.Trials} trials on {devices.Count} local worker(s) [{string.Join(", ", devices)}], {threads} thread(s) each; state in {state}");
            Serilog.Log.Information("Sweep {SweepId} accepted: {Trials} trials, {Reused} reused, resumed {Resumed}, devices {Devices}",
                accepted.SweepId, accepted.Trials, submit.Reused.Length, accepted.AlreadyKnown, devices);
            if (accepted.AlreadyKnown) context.Out.WriteLine("resuming: trials recorded before are kept");
            else if (submit.Reused.Length > 0) context.Out.WriteLine($"{submit.Reused.Length} trial(s) reused from earlier results in this state folder (--rerun runs them again)");

            var watch = new StoreWatch(node, state, TimeSpan.FromSeconds(args.Int("give-up-after", 1) ?? 60));
            var status = ProgressView.Follow(() => watch.Poll(accepted.SweepId, context.Cancel), context, live: !args.Has("no-progress"));
            Serilog.Log.Information("Sweep {SweepId} finished: {Completed} completed, {Failed} failed", accepted.SweepId, status.Completed, status.Failed);
            // The sweep's last rows may still be on their way to the results store, which the pruning and the table read.
            node.ResultsWritten(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            // Models kept as candidates that the sweep's keep rule does not name go now that it is over.
            string models = Runner.Artifacts.ArtifactSource.StoreFolder(StateFolder.Artifacts(state));
            if (Directory.Exists(models)) new Runner.Cluster.Projection.ModelPruning(node.Results!, new Runner.Artifacts.ContentStore(models)).Prune(accepted.SweepId);
            var sweep = node.Results!.Sweeps().Single(s => s.SweepId == accepted.SweepId);
            ResultsCommand.RenderDefault(context, sweep, node.Results.Trials(accepted.SweepId));
            context.Out.WriteLine($"more: runner results {accepted.SweepId} --help, runner trials {accepted.SweepId}");
            return status.Failed > 0 ? 1 : 0;
        }
        finally
        {
            dashboard?.Dispose();
            node.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A taken port is said before the sweep starts, not after.</summary>
    static void CheckDashboardPort(int port)
    {
        try
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
        }
        catch (System.Net.Sockets.SocketException e) { throw PortTaken(port, e.Message); }
    }

    static CommandFailedException PortTaken(int port, string why) =>
        new($"cannot serve the dashboard on 127.0.0.1:{port} ({why}); pick another with --dashboard-port N");

    /// <summary>The coordinator's API with the dashboard, on loopback (open: nothing beyond this machine reaches it).</summary>
    static Runner.Cluster.Api.CoordinatorApi Dashboard(RunnerNode node, int port, CliContext context)
    {
        try
        {
            var api = new Runner.Cluster.Api.CoordinatorApi(node, new Runner.Cluster.Api.ApiOptions { Host = "127.0.0.1", Port = port },
                new Runner.Dashboard.DashboardModule());
            context.Out.WriteLine($"dashboard: {api.Url}");
            return api;
        }
        catch (IOException e) { throw PortTaken(port, e.Message); }
    }

    /// <summary>
    /// Follows the sweep's progress; when its store stays unusable (<see cref="StoreGiveUp"/> decides), `run` ends
    /// with one line and exit 1. Every trial the journal took is kept, and the same command resumes once the store is
    /// fixed.
    /// </summary>
    sealed class StoreWatch(RunnerNode node, string state, TimeSpan giveUpAfter)
    {
        readonly StoreGiveUp _giveUp = new(node.StoreTroubles, giveUpAfter);

        public SweepProgress Poll(string sweepId, CancellationToken cancel)
        {
            while (true)
            {
                try
                {
                    var progress = node.Sweeps.Ask<SweepProgress>(new GetProgress(sweepId), TimeSpan.FromSeconds(5), cancel).GetAwaiter().GetResult();
                    _giveUp.Saw(progress.Status.Done);
                    GiveUpIfStuck();
                    return progress;
                }
                catch (AskTimeoutException) { GiveUpIfStuck(); }
            }
        }

        void GiveUpIfStuck()
        {
            if (_giveUp.Verdict() is not var (broken, reason)) return;
            throw new CommandFailedException($"the journal in {state} has not worked for {broken.TotalSeconds:F0} s ({reason}); " +
                "trials it recorded are kept: fix the store (disk space, permissions, the file) and run the same command again to resume");
        }
    }
}
