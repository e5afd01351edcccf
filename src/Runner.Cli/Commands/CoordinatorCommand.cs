using Runner.Cluster.Api;
using Runner.Cluster.Hosting;

namespace Runner.Cli.Commands;

public sealed class CoordinatorCommand : ICommand
{
    public string Name => "coordinator";
    public string Summary => "start the coordinator of a cluster (sweeps, worker pool, journal, HTTP API)";
    public string Description => """
        Starts the coordinator role: every sweep (persistent, in the state folder's SQLite journal), the worker pool
        and the results store, plus a small HTTP API for `runner submit|status|cancel|resume`. Workers join it with
        `runner worker --seed-nodes HOST:PORT`. Runs until Ctrl-C or SIGTERM; started again with the same state
        folder it carries on every unfinished sweep.
        """;
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("host", "H", "address workers reach this node at [RUNNER_HOST, default 127.0.0.1]"),
        new("port", "P", "cluster port [RUNNER_PORT, default 4053]"),
        new("state", "DIR", "state folder [RUNNER_STATE, default .runner]"),
        StateFolder.StoreOption,
        new("api-host", "H", "HTTP API address [RUNNER_API_HOST, default 127.0.0.1: loopback only]"),
        new("api-port", "N", "HTTP API port [RUNNER_API_PORT, default 4080]"),
        ClusterWiring.TlsOption,
        ClusterWiring.InsecureOption,
        new("api-url", "URL", "the API's address as workers reach it, for artifacts [RUNNER_API_URL, default http(s)://API-HOST:API-PORT/, with --host when API-HOST is * or 0.0.0.0]"),
        new("max-trials", "N", $"the most trials one submitted sweep may have [{ApiOptions.DefaultMaxTrials}]"),
        new("max-request-mb", "N", $"the largest API request body in MiB (artifact uploads are exempt) [{ApiOptions.DefaultMaxRequestBytes >> 20}]"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        string host = ClusterWiring.Setting(args, "host", "RUNNER_HOST", "127.0.0.1");
        int port = ClusterWiring.Port(args, "port", "RUNNER_PORT", 4053);
        string apiHost = ClusterWiring.Setting(args, "api-host", "RUNNER_API_HOST", "127.0.0.1");
        int apiPort = ClusterWiring.Port(args, "api-port", "RUNNER_API_PORT", 4080);
        string state = StateFolder.Resolve(args.Get("state"), context.WorkingDirectory);

        var tls = ClusterWiring.Tls(args);
        ClusterWiring.CheckExposure(args, tls, context, host, apiHost);
        var api = new ApiOptions
        {
            Host = apiHost, Port = apiPort, Tls = tls,
            MaxTrials = args.Int("max-trials", 1) ?? ApiOptions.DefaultMaxTrials,
            MaxRequestBytes = (args.Int("max-request-mb", 1) ?? ApiOptions.DefaultMaxRequestBytes >> 20) << 20,
        };

        // Workers fetch bases, the user's files and checkpoints from this API: tell them an address they can reach.
        bool anyAddress = apiHost is "*" or "+" or "0.0.0.0";
        string artifactsUrl = ClusterWiring.Setting(args, "api-url", "RUNNER_API_URL",
            $"{(tls != null ? "https" : "http")}://{(anyAddress ? host : apiHost)}:{apiPort}/");
        var node = RunnerNode.Start(new NodeOptions
        {
            Host = host, Port = port, Roles = new[] { NodeRoles.Coordinator }, StateFolder = state, Store = StateFolder.Store(args, context),
            ArtifactsUrl = artifactsUrl, Tls = tls,
        });
        try
        {
            using var server = new CoordinatorApi(node, api);
            context.Out.WriteLine($"coordinator up: cluster {node.Address}, API {server.Url}, state {node.Options.StoreLocation}");
            context.Out.Flush();
            WaitForStop(context, node.System.WhenTerminated);
            return 0;
        }
        finally
        {
            node.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Blocks until Ctrl-C, SIGTERM or the actor system ending on its own.</summary>
    public static void WaitForStop(CliContext context, Task terminated)
    {
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, s =>
        {
            s.Cancel = true;
            StopRequested.TrySetResult();
        });
        Task.WaitAny(terminated, StopRequested.Task, Task.Delay(Timeout.Infinite, context.Cancel).ContinueWith(_ => { }));
    }

    static readonly TaskCompletionSource StopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
