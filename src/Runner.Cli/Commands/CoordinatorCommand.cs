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
        `runner worker --seed-nodes HOST:PORT[,HOST:PORT]`. Runs until Ctrl-C or SIGTERM; started again with the same
        state folder (or --store) it carries on every unfinished sweep. Several coordinators on one PostgreSQL
        --store: one is active, the others (--peers) stand by and take over within seconds when it goes.
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
        new("peers", "LIST", "the other coordinators' cluster HOST:PORT[,HOST:PORT] on the same --store: this one stands by (serving the API) while another is active, and takes over when it goes [RUNNER_PEERS]"),
        new("artifacts", "DIR", "where bases, uploaded files and checkpoints are kept [in the --store's database when it is PostgreSQL, else STATE/artifacts]"),
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
        // A cluster port beyond loopback with artifacts served on loopback: workers on other machines could join but
        // never fetch a base, an upload or a checkpoint. Said once here, not by every base attempt that fails.
        if (!ClusterWiring.IsLoopback(host) && args.Get("api-url") == null && Environment.GetEnvironmentVariable("RUNNER_API_URL") == null
            && ClusterWiring.IsLoopback(new Uri(artifactsUrl).Host))
            context.Error.WriteLine($"runner coordinator: WARNING: workers may join at {host}:{port}, but the API that serves them bases, uploads and checkpoints listens on {apiHost} only: give --api-host (an address they reach) or --api-url");
        var store = StateFolder.Store(args, context);
        var peers = ClusterWiring.SeedNodes(args, tls != null, "peers");
        if (peers.Count > 0 && !store.IsPostgres)
            throw new UsageException("--peers: standby coordinators share one store; give --store postgresql://... (a state folder's SQLite has one coordinator)");
        var active = new NodeOptions
        {
            Host = host, Port = port, Roles = new[] { NodeRoles.Coordinator }, StateFolder = state, Store = store,
            ArtifactsUrl = artifactsUrl, Tls = tls, ArtifactsFolder = args.Get("artifacts") is { } folder ? Path.GetFullPath(folder, context.WorkingDirectory) : null,
        };
        var standby = active with { Roles = new[] { NodeRoles.Standby }, SeedNodes = peers };

        for (bool first = true; ; first = false)
        {
            StoreLease? lease = null;
            if (store.IsPostgres)
            {
                // A store that cannot be reached at the first start is a wrong address or a server not up: say so. Later
                // (this coordinator lost the store) it is a partition or an outage: stand by until the store is back.
                try { lease = StoreLease.TryTake(store, $"{host}:{port}"); }
                catch (Npgsql.NpgsqlException e) when (!first) { Serilog.Log.Warning("The store does not answer ({Message}): standing by", e.Message); }
                catch (Npgsql.NpgsqlException e) { throw new CommandFailedException($"cannot reach the store {store}: {e.Message}"); }
                lease ??= StandBy(standby, api, context);
                if (lease == null) return 0;
            }
            var node = RunnerNode.Start(active, lease);
            try
            {
                using var server = new CoordinatorApi(node, api, Dashboard());
                context.Out.WriteLine($"coordinator up: cluster {node.Address}, API {server.Url}, state {node.Options.StoreLocation}");
                context.Out.Flush();
                if (!WaitForStop(context, node.System.WhenTerminated) || !node.LeaseLost.IsCompleted) return 0;
                context.Out.WriteLine($"coordinator: lost the store's lease ({node.LeaseLost.Result}): standing by");
            }
            finally
            {
                node.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
            }
        }
    }

    /// <summary>
    /// Another coordinator holds the store: say so, then stand by (<see cref="Standby{TLease}"/>) until the lease is
    /// free (null when stopped first). With --peers this process is a member of the active one's cluster serving the API.
    /// </summary>
    static StoreLease? StandBy(NodeOptions standby, ApiOptions api, CliContext context)
    {
        string why;
        try { why = "its lease is held by " + (StoreLease.Holder(standby.StoreLocation) ?? "a coordinator leaving"); }
        catch (Npgsql.NpgsqlException e) { why = $"it does not answer ({e.Message})"; }
        context.Out.WriteLine($"standby for the store {standby.StoreLocation}: {why}; taking over when it is free");
        context.Out.Flush();
        return new Standby<StoreLease>(
            () => StoreLease.TryTake(standby.StoreLocation, $"{standby.Host}:{standby.Port}"),
            () => standby.SeedNodes.Count == 0 ? null : Serving(RunnerNode.Start(standby), api),
            time => Stopped(context, time)).WaitForLease();
    }

    /// <summary>A standby's node with the API it serves: both go when it leaves.</summary>
    static INodeSession Serving(RunnerNode node, ApiOptions api)
    {
        try { return new ServingNode(node, new CoordinatorApi(node, api, Dashboard())); }
        catch
        {
            node.Abandon();
            throw;
        }
    }

    sealed class ServingNode(RunnerNode node, CoordinatorApi server) : INodeSession
    {
        INodeSession Node => node;
        public Task Joined => Node.Joined;
        public Task CoordinatorLost => Node.CoordinatorLost;
        public Task Terminated => Node.Terminated;
        public string Address => Node.Address;

        public void Abandon()
        {
            server.Dispose();
            node.Abandon();
        }

        public ValueTask DisposeAsync()
        {
            server.Dispose();
            return node.DisposeAsync();
        }
    }

    /// <summary>What the API serves beside its routes: the web dashboard.</summary>
    static IApiModule Dashboard() => new Runner.Dashboard.DashboardModule();

    /// <summary>Blocks until Ctrl-C, SIGTERM or the actor system ending on its own; true for the latter.</summary>
    public static bool WaitForStop(CliContext context, Task terminated) => Task.WaitAny(terminated, StopSignal(context)) == 0;

    /// <summary>Waits up to <paramref name="time"/>; true when Ctrl-C or SIGTERM came.</summary>
    static bool Stopped(CliContext context, TimeSpan time) => StopSignal(context).Wait(time);

    /// <summary>Completes on Ctrl-C or SIGTERM.</summary>
    static Task StopSignal(CliContext context)
    {
        Sigterm ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, s =>
        {
            s.Cancel = true;
            StopRequested.TrySetResult();
        });
        return Task.WhenAny(StopRequested.Task, Task.Delay(Timeout.Infinite, context.Cancel).ContinueWith(_ => { }));
    }

    static System.Runtime.InteropServices.PosixSignalRegistration? Sigterm;

    static readonly TaskCompletionSource StopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
